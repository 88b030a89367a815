"""Each job (by its dotted path) in Chinese, and which company it works for.

A job carries ids, not its company: ``COMPANY_OF`` finds the company from the id the job was
given, so that an HQ user sees and retries only their own company's jobs. Jobs that work for every
company at once (the periodic sweeps) have none and are shown to operators (superusers) only.
"""

from __future__ import annotations

from collections.abc import Callable

from audit.models import ReportJob
from invoicing.models import BatchReversal, Invoice, Order, RedLetterForm, Refund, UploadBatch, WebhookDelivery

JOB_LABELS: dict[str, str] = {
    "invoicing.issuing.jobs.company_batch": "批量上传发票到税务平台",
    "invoicing.issuing.jobs.upload_batch_poll": "查询上传结果",
    "invoicing.issuing.jobs.number_blocks_refill": "领取发票号码段",
    "invoicing.issuing.jobs.pipeline_sweep": "补发遗漏的开票任务（定时）",
    "invoicing.issuing.jobs.invoice_status_sync": "同步已开发票的平台状态（定时）",
    "invoicing.redletter.jobs.red_letter_form_submit": "提交红字确认单",
    "invoicing.redletter.jobs.red_letter_forms_sync": "同步红字确认单状态",
    "invoicing.redletter.jobs.red_letter_forms_sync_all": "同步全部红字确认单（定时）",
    "invoicing.redletter.jobs.red_letter_reminders": "发送确认单作废提醒（定时）",
    "invoicing.redletter.jobs.refund_reverse": "退款红冲",
    "invoicing.redletter.jobs.refunds_reverse_pending": "处理待红冲的退款（定时）",
    "invoicing.redletter.jobs.batch_reversal_run": "批量红冲",
    "invoicing.delivery.jobs.delivery_auto": "开具后自动交付发票",
    "invoicing.delivery.jobs.delivery_send": "发送发票（邮件/短信）",
    "invoicing.delivery.jobs.delivery_sweep": "补发遗漏的交付（定时）",
    "invoicing.integrations.jobs.webhook_deliver": "推送开票结果（Webhook）",
    "invoicing.taxcodes.jobs.tax_codes_sync": "同步税收分类编码（定时）",
    "invoicing.dashboard.selectors.dashboard_alerts_mail": "发送看板告警邮件（定时）",
    "audit.jobs.verify_audit_chains": "校验审计记录完整性（定时）",
    "audit.report_jobs.audit_report_job": "生成审计报告 PDF",
    "audit.report_jobs.report_jobs_expire": "清理过期的审计报告（定时）",
    "invoicing.summary.jobs.monthly_summaries_compute": "计算上月发票汇总（定时）",
    "invoicing.orders.jobs.order_lines_code": "为超出预算的明细赋码",
}


def _by(model, position: int = 0, field: str = "company_id") -> Callable[[tuple], int | None]:
    def company_of(args: tuple) -> int | None:
        if len(args) <= position:
            return None
        return model.objects.filter(pk=args[position]).values_list(field, flat=True).first()
    return company_of


def _given(args: tuple) -> int | None:
    return args[0] if args and isinstance(args[0], int) else None


COMPANY_OF: dict[str, Callable[[tuple], int | None]] = {
    "invoicing.issuing.jobs.company_batch": _given,
    "invoicing.issuing.jobs.number_blocks_refill": _given,
    "invoicing.redletter.jobs.red_letter_forms_sync": _given,
    "invoicing.issuing.jobs.upload_batch_poll": _by(UploadBatch),
    "invoicing.redletter.jobs.red_letter_form_submit": _by(RedLetterForm),
    "invoicing.redletter.jobs.refund_reverse": _by(Refund),
    "invoicing.redletter.jobs.batch_reversal_run": _by(BatchReversal),
    "invoicing.delivery.jobs.delivery_auto": _by(Invoice),
    "invoicing.delivery.jobs.delivery_send": _by(Invoice, position=1),
    "invoicing.integrations.jobs.webhook_deliver": _by(WebhookDelivery, field="endpoint__store__company_id"),
    "audit.report_jobs.audit_report_job": _by(ReportJob),
    "invoicing.orders.jobs.order_lines_code": _by(Order),
}


def job_label(func_name: str) -> str:
    return JOB_LABELS.get(func_name, "其他任务")


def job_company_id(func_name: str, args: tuple) -> int | None:
    resolve = COMPANY_OF.get(func_name)
    return resolve(tuple(args)) if resolve else None
