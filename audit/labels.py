"""The audit trail in its readers' words: one table of Chinese labels for action codes, object
types, snapshot fields, delivery channels, platform services and automatic actors, used by the
audit screens, the audit PDF and the CSV/XLSX exports alike.

The trail itself keeps the codes (they are hashed into the chain and are what a developer
searches for); only what people read is translated. tests/audit/test_labels.py scans the code
for every action the product writes and fails when one has no label here.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone

ACTIONS = {
    "api_key.create": "新建 API 密钥",
    "api_key.revoke": "停用 API 密钥",
    "batch_reversal.create": "发起批量红冲",
    "batch_reversal.done": "批量红冲完成",
    "company.auto_code_threshold": "修改自动赋码阈值",
    "company.credentials_set": "设置税务平台接入凭据",
    "company.tax_office_code": "修改省级税务机关代码",
    "invoice.cancel": "取消开票",
    "job.retry": "重试失败的后台任务",
    "invoice.correct": "更正发票信息",
    "invoice.create": "新建发票",
    "invoice.delivered": "发票已送达",
    "invoice.delivery_failed": "发票交付失败",
    "invoice.deliver": "交付发票",
    "invoice.resend": "重发发票",
    "invoice.fail": "开票失败",
    "invoice.issue": "发票开具成功",
    "invoice.line_code": "明细赋码",
    "invoice.number_assign": "分配发票号码",
    "invoice.platform_state": "平台发票状态变化",
    "invoice.reduce": "发票金额冲减",
    "invoice.resubmit": "重新提交开票",
    "invoice.submit": "提交开票",
    "membership.granted": "授予用户角色",
    "membership.revoked": "撤销用户角色",
    "number_block.receive": "领取发票号码段",
    "number_block.request": "申请发票号码段",
    "order.receive": "接收订单",
    "product.create": "新增商品",
    "product.update": "修改商品",
    "quota.download": "下载授信额度",
    "quota.request": "申请授信额度",
    "red_form.apply": "红字确认单提交平台",
    "red_form.approve": "审批通过红字申请",
    "red_form.reject": "驳回红字申请",
    "red_form.confirm": "确认红字确认单",
    "red_form.deny": "否认红字确认单",
    "red_form.revoke": "撤销红字确认单",
    "red_form.import": "导入对方发起的红字确认单",
    "red_form.red_invoice": "开具红字发票",
    "red_form.refused": "平台拒绝红字确认单",
    "red_form.reminder": "红字确认单到期提醒",
    "red_form.request": "申请红冲",
    "red_form.state": "红字确认单状态变化",
    "red_form.submission": "红字确认单提交中",
    "red_form.withdraw": "撤回红字申请",
    "red_policy.set": "设置红冲审批规则",
    "refund.receive": "接收退款",
    "refund.red_letter_failed": "退款红冲失败",
    "refund.red_invoice": "退款的红字发票已生成（待开具）",
    "refund.reversed": "退款已红冲",
    "report.request": "申请生成审计报告",
    "report.retry": "重新生成审计报告",
    "store.created": "新建门店",
    "summary.confirm": "汇总确认上传",
    "summary.confirm_failed": "汇总确认未成功",
    "store.delivery_defaults_set": "设置门店交付方式",
    "store.rollout_changed": "修改门店自动开票比例",
    "store.updated": "修改门店信息",
    "tax_codes.platform_update": "税收分类编码更新",
    "webhook.create": "新建 Webhook",
    "webhook.deactivate": "停用 Webhook",
}

# Object types are model labels (``app.model``); a model's own verbose_name is Chinese, this
# table only overrides where the model's name reads wrong in the trail.
OBJECTS = {
    "stores.company": "纳税主体",
    "stores.store": "门店",
    "stores.membership": "用户角色",
    "invoicing.invoice": "发票",
    "invoicing.product": "商品",
    "audit.reportjob": "审计报告",
    "rq.job": "后台任务",
}

CHANNELS = {"email": "电子邮件", "sms": "短信", "link": "链接", "api": "商城接口", "print": "打印"}

SERVICES = {
    "QDFPPLFM": "领取发票号码段",
    "CXSXED": "查询授信额度",
    "XZTHSXED": "下载/退回授信额度",
    "CXNSRJBXX": "查询纳税人基本信息",
    "CXKYSL": "查询可用税率",
    "CXSSFLBM": "查询税收分类编码",
    "QDFPSC": "发票上传",
    "CXQDFPSCJG": "查询发票上传结果",
    "QDHZQRDSQ": "红字确认单申请",
    "QDHZQRDQR": "红字确认单确认",
    "CXQDHZQRDLB": "查询红字确认单列表",
    "CXQDHZQRDMX": "查询红字确认单明细",
    "FPZTXXCX": "查询发票状态",
    "TZSXEDYXQ": "调整授信额度有效期",
    "CXNSRFXXX": "查询纳税人风险信息",
    "CXCEZSBM": "查询差额征税编码",
    "LQSX_SWZJ_GT4_CXXNQYXX": "查询沙箱虚拟企业",
    "LQSX_SWZJ_GT4_QYXXCSH": "初始化沙箱虚拟企业",
    "SCFPHZQRXX": "上传发票汇总确认信息",
    "CXFPHZQRXX": "查询发票汇总确认信息",
}

# Automatic actors: Actor.job(name) and Actor.system(); a ``name:ref`` label keeps its reference.
ACTORS = {
    "system": "系统",
    "pipeline": "系统自动开票",
    "delivery": "系统自动交付",
    "numbers": "系统号码段管理",
    "redletter": "系统红冲处理",
    "status_sync": "系统发票状态同步",
    "tax_codes_platform_update": "系统税收编码更新",
    "tax_codes_sync": "系统税收编码同步",
    "refund": "退款自动红冲",
    "batch_reversal": "批量红冲",
}

# Snapshot keys that are not a model field name (or whose field name reads badly).
FIELDS = {
    "status": "状态",
    "kind": "种类",
    "type": "发票种类",
    "number": "发票号码",
    "buyer_name": "购方名称",
    "buyer_tax_id": "购方税号",
    "total_amount": "金额",
    "total_tax": "税额",
    "total_with_tax": "价税合计",
    "failure_message": "失败原因",
    "failure_code": "失败代码",
    "sku": "商品编码",
    "name": "名称",
    "tax_code": "税收分类编码",
    "rate": "税率",
    "price": "单价",
    "unit": "单位",
    "spec": "规格型号",
    "channels": "交付渠道",
    "channel": "交付渠道",
    "email": "电子邮箱",
    "phone": "手机号",
    "role": "角色",
    "user": "用户",
    "store": "门店",
    "company": "纳税主体",
    "date_from": "开始日期",
    "date_to": "结束日期",
    "store_ids": "门店",
    "actions": "事件类型",
    "reason": "原因",
    "lines": "明细",
    "amount": "金额",
    "tax": "税额",
    "state": "状态",
    "threshold": "阈值",
    "rollout_percent": "自动开票比例",
    "label": "名称",
    "url": "地址",
    "active": "启用",
    "count": "数量",
    "order_id": "订单号",
    "refund_id": "退款单号",
    "uuid": "确认单编号",
    "blue_invoice": "原蓝字发票",
    "red_invoice": "红字发票",
    "message": "说明",
    "month": "所属月份",
    "order": "订单号",
    "source": "来源",
    "try": "第几次尝试",
    "error": "错误",
    "target": "接收方",
    "sends": "发送",
    "trigger": "触发方式",
    "delivered_at": "送达时间",
    "delivery_channel": "交付渠道",
    "upload_batch": "上传批次",
    "serial": "业务流水号",
    "request_serial": "业务流水号",
    "available": "可用",
    "first": "起始号码",
    "last": "终止号码",
}

# Codes stored in snapshots whose field has no choices of its own.
VALUES = {
    "source": {"api": "商城接口", "manual": "手工开票", "red_letter": "红字确认单", "memory": "开票记忆",
               "matcher": "自动匹配", "catalogue": "商品目录"},
    "trigger": {"auto": "开具后自动发送", "manual": "手工发送", "resend": "重发"},
}


def action_label(code: str) -> str:
    return ACTIONS.get(code, code)


def object_label(object_type: str) -> str:
    if object_type in OBJECTS:
        return OBJECTS[object_type]
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def channel_label(code: str) -> str:
    return CHANNELS.get(code, code)


def service_label(code: str) -> str:
    name = SERVICES.get((code or "").upper())
    return f"{name}（{code}）" if name else code


def actor_label(label: str, actor_type: str = "") -> str:
    """Users keep their name; jobs and the system read as what they do (``refund:R1`` keeps R1)."""
    if actor_type in ("user", "api_key"):
        return label
    name, _, ref = label.partition(":")
    text = ACTORS.get(name)
    if text is None:
        return label
    return f"{text}（{ref}）" if ref else text


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model, key: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def field_label(key: str, object_type: str = "") -> str:
    field = _field(_model(object_type), key)
    if key in FIELDS:
        return FIELDS[key]
    if field is not None and getattr(field, "verbose_name", None) and str(field.verbose_name) != key.replace("_", " "):
        return str(field.verbose_name)
    return key


_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")


def value_text(value, key: str = "", object_type: str = "") -> str:
    """A snapshot value as a person reads it: choices by their label, 是/否, channels in Chinese."""
    if value is None or value == "" or value == []:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if key in VALUES and isinstance(value, str):
        return VALUES[key].get(value, value)
    if key in ("channels", "channel", "delivery_channel"):
        values = value if isinstance(value, list) else [value]
        return "、".join(channel_label(str(v)) for v in values)
    if key == "rate":
        try:
            return f"{(Decimal(str(value)) * 100).normalize():f}%"
        except (InvalidOperation, ValueError):
            return str(value)
    field = _field(_model(object_type), key)
    if field is not None and getattr(field, "choices", None) and not isinstance(value, (list, dict)):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, list):
        return "、".join(value_text(v) for v in value) if all(not isinstance(v, dict) for v in value) \
            else f"{len(value)} 项"
    if isinstance(value, dict):
        return "；".join(f"{field_label(k)}：{value_text(v, k)}" for k, v in value.items())
    if isinstance(value, str) and _ISO_INSTANT.match(value):
        # A snapshot's instants are ISO text in UTC: show them as the screens do, local and to the second.
        moment = datetime.fromisoformat(value)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(moment) else value
    return str(value)


def changes(before, after, object_type: str = "") -> list[tuple[str, str, str]]:
    """(字段, 旧值, 新值) for each key whose value differs; a new object lists its values."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    out = []
    for key in [*after, *(k for k in before if k not in after)]:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        out.append((field_label(key, object_type), value_text(old, key, object_type) if key in before else "",
                    value_text(new, key, object_type) if key in after else "（删除）"))
    return out


def change_text(before, after, object_type: str = "") -> str:
    """字段：旧值 → 新值；…  (a value first set reads 字段：新值)."""
    parts = []
    for label, old, new in changes(before, after, object_type):
        parts.append(f"{label}：{old} → {new}" if old else f"{label}：{new}")
    return "；".join(parts)


def raw_json(value) -> str:
    return json.dumps(value, ensure_ascii=False) if value is not None else ""
