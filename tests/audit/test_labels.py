"""The audit trail in users' words: every action the product writes has a Chinese label (found
by scanning the code, so a new action without one fails here), and the screen, the PDF and the
exports show labels and 字段：旧值 → 新值 rather than codes and raw dicts."""

import ast
import csv
import datetime as dt
import io
import re
import subprocess
from pathlib import Path
from unittest import mock

import django_rq
import pytest
from django.db import transaction
from django.urls import reverse
from openpyxl import load_workbook
from rq import SimpleWorker

from audit import labels
from audit.models import ReportJob
from audit.services import Actor, audit_record
from invoicing.redletter.common import ACTIONS as RED_FORM_ACTIONS
from invoicing.taxapi import leqi

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")


def _constants(node) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def written_actions() -> tuple[set[str], list[str]]:
    """Action codes in product code: ``action=`` arguments (constants, either branch of a
    conditional, f-strings expanded where their parts are known), ``action`` variables and
    parameter defaults. Returns the codes and the f-strings this scan cannot expand."""
    found, unknown = set(), []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in ("tests", "bench", "sandbox") or rel.parts[0].startswith("."):
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            values = []
            if isinstance(node, ast.keyword) and node.arg == "action":
                values.append(node.value)
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "action" for t in node.targets):
                values.append(node.value)
            elif isinstance(node, ast.arguments):
                args = node.args[len(node.args) - len(node.defaults):] if node.defaults else []
                values += [d for a, d in zip(args, node.defaults, strict=True) if a.arg == "action"]
                values += [d for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True)
                           if a.arg == "action" and d is not None]
            for value in values:
                if isinstance(value, ast.JoinedStr):
                    prefix = "".join(p.value for p in value.values if isinstance(p, ast.Constant))
                    parts = [p.value for p in value.values if isinstance(p, ast.FormattedValue)]
                    inner = set().union(*(_constants(p) for p in parts))
                    if prefix == "red_form." and all(isinstance(p, ast.Name) for p in parts):
                        found |= {f"red_form.{a}" for a in RED_FORM_ACTIONS}
                    elif inner:
                        found |= {prefix + c for c in inner}
                    else:
                        unknown.append(f"{rel}:{value.lineno}")
                else:
                    found |= {c for c in _constants(value) if CODE.match(c)}
    return found, unknown


def test_every_action_the_product_writes_has_a_chinese_label():
    found, unknown = written_actions()
    assert not unknown, f"无法展开的动作代码（请在测试中说明其取值）：{unknown}"
    assert {"product.create", "invoice.issue", "invoice.deliver", "red_form.confirm", "store.updated"} <= found
    missing = sorted(found - set(labels.ACTIONS))
    assert not missing, f"这些动作没有中文名称，请加到 audit/labels.py 的 ACTIONS：{missing}"
    for code, label in labels.ACTIONS.items():
        assert re.search(r"[\u4e00-\u9fff]", label) and "." not in label, code


def test_every_platform_service_has_a_chinese_name():
    codes = {v for k, v in vars(leqi).items() if k.isupper() and isinstance(v, str) and re.fullmatch(r"[A-Z]{6,12}", v)}
    assert len(codes) >= 10 and not codes - set(labels.SERVICES)


def test_labels_read_as_people_say_them():
    assert labels.object_label("stores.store") == "门店"
    assert labels.channel_label("email") == "电子邮件"
    assert labels.service_label("QDFPSC") == "发票上传（QDFPSC）"
    assert labels.actor_label("pipeline", "job") == "系统自动开票"
    assert labels.actor_label("system", "system") == "系统"
    assert labels.actor_label("refund:R9", "job") == "退款自动红冲（R9）"
    assert labels.actor_label("pipeline", "user") == "pipeline"  # a person called pipeline keeps the name
    assert labels.change_text({"status": "pending"}, {"status": "issued"}, "invoicing.invoice") == "状态：待开具 → 已开具"
    assert labels.change_text(None, {"sku": "DM-022", "rate": "0.09", "channels": ["email", "sms"]}) == \
        "商品编码：DM-022；税率：9%；交付渠道：电子邮件、短信"


def _trail(tenants):
    moment = dt.datetime(2025, 3, 5, 12, 0, tzinfo=dt.UTC)
    with transaction.atomic(), mock.patch("audit.services.timezone.now", return_value=moment):
        audit_record(actor=Actor.for_user(tenants.clerk_a1), action="product.create", object_type="invoicing.product",
                     object_id="7", object_repr="纯牛奶", company=tenants.a, store=tenants.a1,
                     after={"sku": "DM-022", "name": "纯牛奶", "rate": "0.09"})
        audit_record(actor=Actor.job("pipeline"), action="invoice.issue", object_type="invoicing.invoice",
                     object_id="8", object_repr="发票 26310000000000000008", company=tenants.a, store=tenants.a1,
                     before={"status": "pending"}, after={"status": "issued"})


RAW = ("product.create", "invoice.issue", "invoicing.product", "{'sku'", '{"sku"', "pipeline", "verify_audit_chain")


@pytest.mark.django_db
def test_the_audit_screen_reads_in_users_words(client, tenants):
    _trail(tenants)
    client.force_login(tenants.hq_finance)
    body = client.get("/audit/events/").content.decode()
    visible = re.sub(r'title="[^"]*"', "", body)  # the code stays in a tooltip for developers
    for raw in RAW:
        assert raw not in visible, raw
    assert "新增商品" in body and "系统自动开票" in body and "发票开具成功" in body
    assert "商品编码：DM-022" in body and "状态：待开具 → 已开具" in body
    assert [e.action for e in client.get("/audit/events/", {"action": "新增商品"}).context["page"]] == ["product.create"]


@pytest.mark.django_db
def test_the_pdf_and_exports_read_in_users_words(client, tenants, settings, tmp_path,
                                                 django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    _trail(tenants)
    client.force_login(tenants.hq_finance)
    query = {"company": tenants.a.pk, "date_from": "2025-03-01", "date_to": "2025-03-31"}
    rows = list(csv.reader(io.StringIO(b"".join(
        client.get(reverse("audit:export", args=["audit", "csv"]), query).streaming_content).decode("utf-8-sig"))))
    header = rows[0]
    by_action = {r[header.index("动作代码")]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    product = by_action["product.create"]
    assert (product["动作"], product["对象类型"], product["操作人"]) == ("新增商品", "商品", "a1_clerk")
    assert product["变更内容"] == "商品编码：DM-022；名称：纯牛奶；税率：9%"
    assert by_action["invoice.issue"]["操作人"] == "系统自动开票"
    sheet = load_workbook(io.BytesIO(b"".join(client.get(reverse("audit:export", args=["audit", "xlsx"]), query)
                                              .streaming_content)), read_only=True).active
    assert "状态：待开具 → 已开具" in [c for row in sheet.values for c in row]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("audit:report_list"), {**query, "do": "report"})
    SimpleWorker([django_rq.get_queue("reports")], connection=django_rq.get_connection("reports")).work(burst=True)
    job = ReportJob.objects.get()
    assert job.status == "done", job.error
    text = subprocess.run(["pdftotext", "-layout", job.file.path, "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = "".join(text.split())
    assert "新增商品" in flat and "系统自动开票" in flat and "状态：待开具→已开具" in flat
    for raw in ("product.create", "invoice.issue", "pipeline", "status:"):
        assert raw not in flat, raw


def test_delivery_and_order_snapshots_read_in_chinese():
    """Seen in the after screenshot of 审计记录: try, target, delivered_at, email, source api, ISO instants."""
    rows = labels.changes(
        {"delivered_at": None},
        {"try": 1, "target": "bu***@example.com", "delivered_at": "2026-12-08T00:16:48.833727+00:00",
         "delivery_channel": "email", "source": "api", "trigger": "auto", "order": "SEED-1"},
    )
    text = "；".join(f"{label}：{old}→{new}" for label, old, new in rows)
    for raw in ("try", "target", "delivered_at", "delivery_channel", "email", "source", ":api", "trigger", "order"):
        assert raw not in text.replace("example.com", ""), text
    assert "送达时间：（空）→2026-12-08 08:16:48" in text
    assert "交付渠道：→电子邮件" in text and "来源：→商城接口" in text and "触发方式：→开具后自动发送" in text
