"""Red-letter forms: the platform's state codes and reasons, and the helpers every step shares (snapshot, audit, lock).
"""

from __future__ import annotations

from datetime import timedelta

from audit.services import Actor, audit_record
from invoicing.models import (
    Invoice,
    RedLetterForm,
)
from invoicing.taxapi.base import (
    RedFormAction,
    RedFormState,
    RedReason,
)

F_ = RedLetterForm


S = Invoice.Status


ACTOR = Actor.job("redletter")


CONFIRM_WINDOW = timedelta(hours=72)


REMIND_BEFORE = timedelta(hours=24)


SYNC_WINDOW = timedelta(days=4)


STATE_CODES = {
    RedFormState.NO_CONFIRMATION_NEEDED: "01",
    RedFormState.AWAITING_BUYER: "02",
    RedFormState.AWAITING_SELLER: "03",
    RedFormState.CONFIRMED: "04",
    RedFormState.VOID_BUYER_DENIED: "05",
    RedFormState.VOID_SELLER_DENIED: "06",
    RedFormState.VOID_EXPIRED: "07",
    RedFormState.REVOKED: "08",
    RedFormState.VOID_REVOKED_AFTER_CONFIRMATION: "09",
    RedFormState.VOID_ABNORMAL: "10",
}


REASONS = {"01": RedReason.WRONG_INVOICE, "02": RedReason.SALES_RETURN, "03": RedReason.SERVICE_STOPPED,
           "04": RedReason.SALES_ALLOWANCE}


REASON_CODES = {reason: code for code, reason in REASONS.items()}


ACTIONS = {"confirm": RedFormAction.CONFIRM, "deny": RedFormAction.DENY, "revoke": RedFormAction.REVOKE}


ACTION_LABELS = {"confirm": "确认", "deny": "否认", "revoke": "撤销"}


VOID_EXPLANATION = ("数电发票开具后不能作废，只能通过红字发票冲红：请为这张发票申请红字确认单（红冲），"
                    "对方无需确认或确认后，系统自动开具红字发票。作废只适用于当月开具、购方未认证的纸质税控发票。")


EXPIRED_NOTE = "超过72小时对方未确认，确认单已自动作废（07）；如仍需红冲，请重新申请"


def form_snapshot(form: RedLetterForm) -> dict:
    return {"state": form.state, "submission": form.submission, "approval": form.approval, "number": form.number,
            "amount": form.amount, "tax": form.tax, "reason": form.reason, "red_invoice": form.red_invoice_id,
            "note": form.note}


def form_audit(form: RedLetterForm, *, actor: Actor, action: str, before: dict | None) -> None:
    audit_record(actor=actor, action=action, obj=form, company=form.company, store=form.store, before=before,
                 after=form_snapshot(form))


def form_lock(form_id: int) -> RedLetterForm:
    return (RedLetterForm.objects.select_for_update(of=("self",)).select_related("company", "store", "blue_invoice")
            .get(pk=form_id))
