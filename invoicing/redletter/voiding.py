"""数电 invoices are never voided: the refusal and what to do instead.
"""

from __future__ import annotations

from audit.services import Actor
from invoicing.errors import ServiceError
from invoicing.models import (
    Invoice,
)
from invoicing.redletter.common import VOID_EXPLANATION, S


def invoice_void(*, invoice: Invoice, actor: Actor) -> None:
    """数电 invoices are never voided: always refused, with the reason and what to do instead."""
    if invoice.status == S.ISSUED:
        raise ServiceError("void_not_allowed", VOID_EXPLANATION)
    if invoice.status in (S.DRAFT, S.PENDING, S.FAILED):
        raise ServiceError("void_use_cancel", "这张发票尚未上传税务平台，不需要作废：请直接取消")
    raise ServiceError("void_not_allowed", f"发票当前状态为“{invoice.get_status_display()}”，不能作废")
