"""Error pages in Chinese, in the product's layout, with a way back; run with DEBUG=False (as
production and ./run do) so Django serves these templates rather than its debug pages."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, RequestFactory
from django.views import defaults

ENGLISH = ("Not Found", "Forbidden", "Bad Request", "Server Error", "CSRF verification failed", "The requested")


def _assert_chinese_page_with_way_back(body: str, heading: str):
    assert heading in body
    assert 'href="/"' in body and "返回首页" in body and "返回上一页" in body
    assert "开票 <small>Kaipiao</small>" in body  # the product's top bar
    for english in ENGLISH:
        assert english not in body


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


@pytest.mark.django_db
def test_404_in_chinese_for_visitors_and_users(client, tenants):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    _assert_chinese_page_with_way_back(response.content.decode(), "页面不存在")
    client.force_login(tenants.clerk_a1)
    response = client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404 and "退出" in body  # the signed-in layout, navigation included
    _assert_chinese_page_with_way_back(body, "页面不存在")


@pytest.mark.django_db
def test_403_and_400_in_chinese(rf: RequestFactory, tenants):
    request = rf.get("/x/")
    request.user = tenants.clerk_a1
    response = defaults.permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    _assert_chinese_page_with_way_back(response.content.decode(), "没有权限")
    response = defaults.bad_request(request, SuspiciousOperation())
    assert response.status_code == 400
    _assert_chinese_page_with_way_back(response.content.decode(), "请求有误")


def test_500_in_chinese_without_any_context(rf):
    response = defaults.server_error(rf.get("/x/"))
    assert response.status_code == 500
    _assert_chinese_page_with_way_back(response.content.decode(), "系统出错")


@pytest.mark.django_db
def test_csrf_failure_in_chinese(tenants):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenants.clerk_a1)
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    _assert_chinese_page_with_way_back(response.content.decode(), "页面已过期")


@pytest.mark.django_db
def test_the_sandbox_address_run_prints_answers_a_page(client):
    response = client.get("/sandbox/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "税务平台沙箱" in body and "进入开票系统" in body
