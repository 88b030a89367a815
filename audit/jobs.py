"""Periodic audit jobs."""

import logging

from django.conf import settings
from django.core.mail import mail_admins, send_mail

from audit.chain import verify_all

logger = logging.getLogger(__name__)


def verify_audit_chains() -> int:
    """Nightly: recompute every company's audit chain; on a break, log it and e-mail HQ."""
    breaks = verify_all()
    for b in breaks:
        logger.error("audit chain broken: company=%s seq=%s event=%s: %s", b.company_id, b.seq, b.event_id, b.reason)
    if breaks:
        body = "\n".join(f"公司 {b.company_id} 第 {b.seq} 条：{b.reason}" for b in breaks)
        if settings.HQ_ALERT_EMAILS:
            send_mail("【开票】审计链校验失败", body, None, settings.HQ_ALERT_EMAILS)
        else:
            mail_admins("【开票】审计链校验失败", body)
    return len(breaks)
