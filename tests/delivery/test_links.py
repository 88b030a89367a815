import time
from unittest import mock

from django.urls import reverse

from invoicing.documents.links import invoice_download_url, invoice_link_token
from tests.delivery.conftest import make_invoice


def test_a_signed_link_serves_the_files_without_login(client, tenants):
    invoice = make_invoice(tenants.a1)
    url = invoice_download_url(invoice)
    assert url.startswith("https://kaipiao.example.com/documents/d/")
    token = invoice_link_token(invoice)
    page = client.get(reverse("documents:link_landing", args=[token]))
    assert page.status_code == 200 and invoice.number in page.content.decode()
    pdf = client.get(reverse("documents:link_file", args=[token, "pdf"]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    xml = client.get(reverse("documents:link_file", args=[token, "xml"]))
    assert xml.status_code == 200


def test_an_expired_link_answers_410_in_chinese(client, tenants):
    invoice = make_invoice(tenants.a1)
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 31 * 86400):
        token = invoice_link_token(invoice)
    response = client.get(reverse("documents:link_file", args=[token, "pdf"]))
    assert response.status_code == 410
    assert "下载链接已过期" in response.content.decode()


def test_a_tampered_link_answers_404_in_chinese(client, tenants):
    invoice = make_invoice(tenants.a1)
    other = make_invoice(tenants.b1)
    token = invoice_link_token(invoice)
    forged = token.replace(f"{invoice.pk}-{invoice.number}", f"{other.pk}-{other.number}")
    for bad in (forged, token[:-2] + "xx", "nonsense"):
        response = client.get(reverse("documents:link_landing", args=[bad]))
        assert response.status_code == 404
        assert "下载链接无效" in response.content.decode()
