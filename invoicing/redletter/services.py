"""Red-letter reversal (红冲): apply for confirmation forms, mirror their states, issue the red invoice.

The platform is the authority on a form's state; we store the request *before* calling it
(``submission = waiting → sending``), so a lost answer (``unknown``) is resolved by finding the
form in the platform's list, never by applying twice. When a form reaches 01 or 04 the red
invoice is created as a pending invoice and goes through the same batch pipeline as blue ones.

What is left on a blue line is computed under a row lock on the blue invoice, from every form
that is not void: two requests racing for the same quantity cannot both get it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from audit.services import Actor, audit_record
from invoicing.errors import ServiceError
from invoicing.issuing.platform import provider_for
from invoicing.models import (
    BatchReversal,
    BatchReversalItem,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    RedLetterForm,
    RedLetterFormLine,
    RedLetterPolicy,
    Refund,
)
from invoicing.redletter import rules
from invoicing.redletter.rules import RedLetterRuleError, Requested
from invoicing.redletter.selectors import blue_invoice_remaining, blue_is_margin_taxed
from invoicing.rules.amounts import fmt_money, money, split_with_tax
from invoicing.taxapi import PermanentError, RetryableError, TaxPlatformError, UnknownOutcomeError
from invoicing.taxapi.base import (
    RedFormAction,
    RedFormApplication,
    RedFormEnteredBy,
    RedFormLine,
    RedFormReceipt,
    RedFormState,
    RedReason,
)
from stores.models import Company

logger = logging.getLogger(__name__)

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


def _snapshot(form: RedLetterForm) -> dict:
    return {"state": form.state, "submission": form.submission, "approval": form.approval, "number": form.number,
            "amount": form.amount, "tax": form.tax, "reason": form.reason, "red_invoice": form.red_invoice_id,
            "note": form.note}


def _audit(form: RedLetterForm, *, actor: Actor, action: str, before: dict | None) -> None:
    audit_record(actor=actor, action=action, obj=form, company=form.company, store=form.store, before=before,
                 after=_snapshot(form))


def _lock(form_id: int) -> RedLetterForm:
    return (RedLetterForm.objects.select_for_update(of=("self",)).select_related("company", "store", "blue_invoice")
            .get(pk=form_id))


# --- policy ---------------------------------------------------------------------------------------


def red_letter_policy_requires_approval(*, store) -> bool:
    """The store's own setting, else the company's, else yes (a clerk's request waits for a manager)."""
    policy = (RedLetterPolicy.objects.filter(store=store).first()
              or RedLetterPolicy.objects.filter(company_id=store.company_id, store__isnull=True).first())
    return True if policy is None else policy.clerk_requests_need_approval


@transaction.atomic
def red_letter_policy_set(*, company, actor: Actor, clerk_requests_need_approval: bool, store=None) -> RedLetterPolicy:
    policy, _ = RedLetterPolicy.objects.select_for_update().get_or_create(
        company=company, store=store, defaults={"clerk_requests_need_approval": clerk_requests_need_approval})
    before = {"clerk_requests_need_approval": policy.clerk_requests_need_approval}
    policy.clerk_requests_need_approval = clerk_requests_need_approval
    policy.save()
    audit_record(actor=actor, action="red_policy.set", obj=policy, company=company, store=store, before=before,
                 after={"clerk_requests_need_approval": clerk_requests_need_approval})
    return policy


# --- requesting a form ----------------------------------------------------------------------------


def _blue_refusal(blue: Invoice) -> str | None:
    if blue.kind != Invoice.Kind.BLUE:
        return "红字发票不能再红冲；请选择它对应的蓝字发票"
    if blue.status != S.ISSUED:
        if blue.status in (S.DRAFT, S.PENDING, S.FAILED):
            return f"发票尚未开具（{blue.get_status_display()}），不需要红冲：未上传的发票可直接取消"
        return f"发票当前状态为“{blue.get_status_display()}”，只有已开具的蓝字发票可以红冲"
    return None


@transaction.atomic
def red_letter_form_request(*, invoice: Invoice, actor: Actor, reason: str, full: bool,
                            lines: list[Requested] | None = None, needs_approval: bool = False,
                            refund: Refund | None = None, note: str = "") -> RedLetterForm:
    """Store a reversal request against an issued blue invoice, after checking every red-letter rule.

    The blue invoice row is locked, and what is left on each line is computed from the forms that
    are not void, so concurrent requests never reverse more than a line holds. The platform is
    not called here: ``red_letter_form_submit`` does that after commit (unless approval is pending).
    """
    blue = (Invoice.objects.select_for_update(of=("self",)).select_related("company", "store")
            .get(pk=invoice.pk))
    refusal = _blue_refusal(blue)
    if refusal:
        raise ServiceError("red_not_reversible", refusal)
    remaining = blue_invoice_remaining(blue)
    reversed_before = any(line.remaining_amount != line.amount for line in remaining.lines)
    try:
        plan = rules.plan_reversal(reason=reason, blue_lines=remaining.as_rule_lines(), requested=lines or [],
                                   full=full, margin_taxed=blue_is_margin_taxed(blue), reversed_before=reversed_before)
        # The red invoice copies the blue invoice's type; checked here so the rule lives where it is enforced.
        rules.check_red_invoice_type(blue_type=blue.type, red_type=blue.type)
    except RedLetterRuleError as error:
        raise ServiceError(error.code, error.message) from error
    blue_lines = {line.line_no: line for line in blue.lines.all()}
    everything = all(
        any(r.line_no == x.line_no and -r.amount == x.remaining_amount for r in plan.lines)
        for x in remaining.lines if x.remaining_amount > 0)
    form = RedLetterForm.objects.create(
        company=blue.company, store=blue.store, blue_invoice=blue, reason=reason, is_full=full or everything,
        amount=plan.amount, tax=plan.tax, initiated_by=RedLetterForm.InitiatedBy.SELLER,
        approval=F_.Approval.PENDING if needs_approval else F_.Approval.NOT_REQUIRED,
        submission=F_.Submission.WAITING, refund=refund, note=note[:500],
        requested_by=actor.user, requested_by_label=actor.label[:150],
    )
    RedLetterFormLine.objects.bulk_create([
        RedLetterFormLine(form=form, position=position, blue_line=blue_lines[line.line_no], quantity=line.quantity,
                          unit_price=line.unit_price, amount=line.amount, tax=line.tax)
        for position, line in enumerate(plan.lines, start=1)
    ])
    _audit(form, actor=actor, action="red_form.request", before=None)
    return form


def red_letter_form_request_for_user(*, invoice: Invoice, user, access, reason: str, full: bool,
                                     lines: list[Requested] | None = None, note: str = "") -> RedLetterForm:
    """A person's request: a clerk's waits for approval when the policy says so; others go straight on."""
    needs_approval = (not access.can("invoice.reverse_approve", invoice.store)
                      and red_letter_policy_requires_approval(store=invoice.store))
    form = red_letter_form_request(invoice=invoice, actor=Actor.for_user(user), reason=reason, full=full,
                                   lines=lines, needs_approval=needs_approval, note=note)
    if not needs_approval:
        form = red_letter_form_submit_now(form_id=form.pk)
    return form


@transaction.atomic
def red_letter_form_approve(*, form: RedLetterForm, actor: Actor, approve: bool, note: str = "") -> RedLetterForm:
    form = _lock(form.pk)
    if form.approval != F_.Approval.PENDING:
        raise ServiceError("red_not_pending_approval", f"该红冲申请{form.get_approval_display()}，不需要再审批")
    if actor.user is not None and form.requested_by_id == actor.user.pk:
        raise ServiceError("red_self_approval", "不能审批自己提交的红冲申请，请由店长或总部财务审批")
    before = _snapshot(form)
    form.approval = F_.Approval.APPROVED if approve else F_.Approval.REJECTED
    form.approved_by = actor.user
    form.approved_at = timezone.now()
    if note:
        form.note = note[:500]
    form.save()
    _audit(form, actor=actor, action="red_form.approve" if approve else "red_form.reject", before=before)
    return form


@transaction.atomic
def red_letter_form_withdraw(*, form: RedLetterForm, actor: Actor) -> RedLetterForm:
    """Take back a request that has not reached the platform (waiting for approval or for submission)."""
    form = _lock(form.pk)
    if form.submission != F_.Submission.WAITING or form.approval == F_.Approval.REJECTED:
        raise ServiceError("red_not_withdrawable", "申请已提交税务平台或已处理，不能撤回；已提交的确认单请使用“撤销”")
    before = _snapshot(form)
    form.submission = F_.Submission.WITHDRAWN
    form.save()
    _audit(form, actor=actor, action="red_form.withdraw", before=before)
    return form


@transaction.atomic
def red_letter_form_reapply(*, form: RedLetterForm, actor: Actor) -> RedLetterForm:
    """A new request with the same lines and reason, for a form that became void (expired, denied, refused)."""
    form = _lock(form.pk)
    if not form.is_void:
        raise ServiceError("red_not_void", "只有已作废、被拒绝或已撤回的申请可以重新申请")
    lines = [Requested(line_no=line.blue_line.line_no, quantity=-line.quantity if line.quantity is not None else None,
                       amount=-line.amount) for line in form.lines.select_related("blue_line")]
    return red_letter_form_request(invoice=form.blue_invoice, actor=actor, reason=form.reason, full=False,
                                   lines=lines, refund=form.refund, note=f"重新申请（原申请 {form}）")


# --- talking to the platform ------------------------------------------------------------------------


def _application(form: RedLetterForm) -> RedFormApplication:
    lines = []
    for line in form.lines.select_related("blue_line").order_by("position"):
        blue = line.blue_line
        lines.append(RedFormLine(blue_line_no=blue.line_no, item_name=blue.name, tax_code=blue.tax_code,
                                 amount=line.amount, tax_rate=blue.rate, tax=line.tax, spec=blue.spec,
                                 unit=blue.unit, quantity=line.quantity, unit_price=line.unit_price))
    return RedFormApplication(blue_invoice_number=form.blue_invoice.number, reason=REASONS[form.reason],
                              amount=form.amount, tax=form.tax, lines=tuple(lines))


@transaction.atomic
def _submission_mark(*, form_id: int, submission: str, note: str, actor: Actor = ACTOR) -> RedLetterForm:
    form = _lock(form_id)
    before = _snapshot(form)
    form.submission = submission
    form.note = note[:500]
    form.save()
    _audit(form, actor=actor, action="red_form.submission", before=before)
    return form


def red_letter_form_submit(*, form_id: int, provider=None) -> RedLetterForm:
    """Send a stored request to the platform (QDHZQRDSQ) once; safe to call again at any time.

    Retryable failures put it back to ``waiting`` and raise (the job queue retries); an unknown
    outcome is ``unknown`` until the form turns up in the platform's list.
    """
    claimed = (RedLetterForm.objects
               .filter(pk=form_id, submission=F_.Submission.WAITING,
                       approval__in=[F_.Approval.NOT_REQUIRED, F_.Approval.APPROVED])
               .update(submission=F_.Submission.SENDING, updated_at=timezone.now()))
    form = RedLetterForm.objects.select_related("company", "store", "blue_invoice").get(pk=form_id)
    if not claimed:
        return form
    try:
        provider = provider or provider_for(form.company)
        receipt = provider.red_form_apply(application=_application(form))
    except RetryableError as exc:
        _submission_mark(form_id=form_id, submission=F_.Submission.WAITING,
                         note=f"税务平台暂时不可用（{exc.message}），将自动重新提交")
        raise
    except UnknownOutcomeError as exc:
        return _submission_mark(form_id=form_id, submission=F_.Submission.UNKNOWN,
                                note=f"已提交但未收到平台答复（{exc.message}），正在向平台核实，请勿重复申请")
    except PermanentError as exc:
        return red_letter_form_refused(form_id=form_id, code=exc.code, message=exc.message)
    return red_letter_form_applied(form_id=form_id, receipt=receipt)


def red_letter_form_submit_now(*, form_id: int) -> RedLetterForm:
    """Submit from a web request: a busy platform is not an error for the user, the job retries."""
    try:
        return red_letter_form_submit(form_id=form_id)
    except RetryableError:
        red_letter_form_schedule_submit(form_id, delay=10)
        return RedLetterForm.objects.get(pk=form_id)


def red_letter_form_schedule_submit(form_id: int, *, delay: float = 0) -> bool:
    from invoicing import enqueue as q
    from invoicing.redletter import jobs

    return q.enqueue("tax", jobs.red_letter_form_submit, form_id, delay=delay, retry=True)


@transaction.atomic
def red_letter_form_refused(*, form_id: int, code: str, message: str) -> RedLetterForm:
    form = _lock(form_id)
    before = _snapshot(form)
    form.submission = F_.Submission.REFUSED
    form.note = f"税务平台拒绝（{code}）：{message}"[:500]
    form.save()
    _audit(form, actor=ACTOR, action="red_form.refused", before=before)
    return form


@transaction.atomic
def red_letter_form_applied(*, form_id: int, receipt: RedFormReceipt, actor: Actor = ACTOR) -> RedLetterForm:
    """The platform holds the form: keep its number, uuid and state (01 → the red invoice at once)."""
    form = _lock(form_id)
    if form.submission == F_.Submission.APPLIED:
        return form
    before = _snapshot(form)
    now = timezone.now()
    form.uuid, form.number = receipt.uuid, receipt.form_number
    form.submission = F_.Submission.APPLIED
    # The platform's entry time (lrrq) is its deadline minus 72 h; our clock may differ by the call's duration.
    form.expires_at = receipt.expires_at or now + CONFIRM_WINDOW
    form.applied_at = form.expires_at - CONFIRM_WINDOW
    form.last_refreshed_at = now
    form.note = ""
    form.state = STATE_CODES[receipt.state]
    form.save()
    _audit(form, actor=actor, action="red_form.apply", before=before)
    _after_state(form, actor=actor)
    return form


def _after_state(form: RedLetterForm, *, actor: Actor) -> None:
    if form.state in F_.ISSUABLE_STATES and form.red_invoice_id is None:
        _red_invoice_create(form, actor=actor)


@transaction.atomic
def red_letter_form_record_state(*, form_id: int, state: str, actor: Actor = ACTOR,
                                 action: str = "red_form.state") -> RedLetterForm:
    """Mirror the platform's state of a form (and act on it: 01/04 → red invoice, 07 → the note)."""
    form = _lock(form_id)
    form.last_refreshed_at = timezone.now()
    if state == form.state:
        form.save(update_fields=["last_refreshed_at"])
        if action != "red_form.state":  # an action the platform answered with the same state is still recorded
            _audit(form, actor=actor, action=action, before=_snapshot(form))
        _after_state(form, actor=actor)
        return form
    before = _snapshot(form)
    form.state = state
    if state == F_.State.VOID_EXPIRED:
        form.note = EXPIRED_NOTE
    form.save()
    _audit(form, actor=actor, action=action, before=before)
    if state in F_.VOID_STATES and form.red_invoice_id:
        _red_invoice_cancel_if_unsent(form, actor=actor)
    _after_state(form, actor=actor)
    return form


def red_letter_form_refresh(*, form_id: int, provider=None) -> RedLetterForm:
    """Ask the platform for one form (CXQDHZQRDMX) and mirror its state."""
    form = RedLetterForm.objects.select_related("company").get(pk=form_id)
    if not form.uuid:
        return form
    provider = provider or provider_for(form.company)
    detail = provider.red_form_detail(uuid=form.uuid)
    return red_letter_form_record_state(form_id=form_id, state=STATE_CODES[detail.state])


def red_letter_form_act(*, form: RedLetterForm, action: str, actor: Actor, provider=None) -> RedLetterForm:
    """Confirm, deny (a form the buyer entered, state 03) or revoke (as the last party that acted) — QDHZQRDQR."""
    form = RedLetterForm.objects.select_related("company", "red_invoice").get(pk=form.pk)
    if action not in ACTIONS:
        raise ServiceError("red_action_unknown", "操作须为确认、否认或撤销")
    label = ACTION_LABELS[action]
    if not form.uuid:
        raise ServiceError("red_not_applied", "申请尚未提交到税务平台，不能确认、否认或撤销；未提交的申请可以撤回")
    if action in ("confirm", "deny") and form.state != F_.State.AWAITING_SELLER:
        raise ServiceError("red_state", f"只有购方录入、等待本方确认（03）的确认单可以{label}；"
                                        f"该确认单当前状态为“{form.get_state_display()}”")
    if action == "revoke":
        if form.state not in ("01", "02", "03", "04"):
            raise ServiceError("red_state", f"确认单当前状态为“{form.get_state_display()}”，不能撤销")
        red = form.red_invoice
        if red is not None and red.status in (S.ISSUED, S.UPLOADING):
            raise ServiceError("red_state", "已开具（或正在上传）红字发票的确认单不能撤销")
    try:
        provider = provider or provider_for(form.company)
        answer = provider.red_form_confirm(uuid=form.uuid, action=ACTIONS[action])
    except PermanentError as exc:
        raise ServiceError("platform_refused", f"税务平台拒绝{label}：{exc.message}") from exc
    except TaxPlatformError as exc:
        raise ServiceError("platform_unavailable",
                           f"税务平台暂时无法处理（{exc.message}），请稍后再试；确认单状态会自动同步") from exc
    return red_letter_form_record_state(form_id=form.pk, state=STATE_CODES[answer.state], actor=actor,
                                        action=f"red_form.{action}")


# --- the red invoice ----------------------------------------------------------------------------------


def _red_invoice_create(form: RedLetterForm, *, actor: Actor) -> Invoice:
    """The red invoice of a form in 01/04: lines as on the form, pending for the batch pipeline."""
    from invoicing.issuing.pipeline import schedule_company_batch

    blue = Invoice.objects.select_for_update(of=("self",)).select_related("company").get(pk=form.blue_invoice_id)
    rules.check_red_invoice_type(blue_type=blue.type, red_type=blue.type)
    lines = list(form.lines.select_related("blue_line").order_by("position"))
    now = timezone.now()
    # The remark goes to the tax platform and the timeline message is stored: both in Chinese,
    # whatever language the requesting user's screens are in.
    with translation.override(settings.LANGUAGE_CODE):
        reason_display, state_display = form.get_reason_display(), form.get_state_display()
    red = Invoice.objects.create(
        company=blue.company, store=form.store, order=blue.order, kind=Invoice.Kind.RED, type=blue.type,
        status=S.PENDING, blue_invoice=blue, red_form_number=form.number, buyer_name=blue.buyer_name,
        buyer_tax_id=blue.buyer_tax_id, buyer_is_person=blue.buyer_is_person, buyer_address=blue.buyer_address,
        buyer_phone=blue.buyer_phone, buyer_bank_name=blue.buyer_bank_name,
        buyer_bank_account=blue.buyer_bank_account, buyer_email=blue.buyer_email, buyer_mobile=blue.buyer_mobile,
        seller=blue.seller, total_amount=form.amount, total_tax=form.tax, total_with_tax=form.amount + form.tax,
        remark=f"红冲原因：{reason_display}", drawer=blue.company.drawer_name or blue.drawer,
        order_received_at=now,
    )
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=red, line_no=line.position, name=line.blue_line.name, tax_code=line.blue_line.tax_code,
                    spec=line.blue_line.spec, unit=line.blue_line.unit, quantity=line.quantity,
                    unit_price=line.unit_price, amount=line.amount, rate=line.blue_line.rate, tax=line.tax,
                    line_kind=InvoiceLine.LineKind.NORMAL, preferential=line.blue_line.preferential)
        for line in lines
    ])
    audit_record(actor=actor, action="invoice.create", obj=red, company=red.company, store=red.store,
                 after={"status": red.status, "kind": red.kind, "blue_invoice": blue.number,
                        "red_form_number": form.number, "total_with_tax": red.total_with_tax})
    InvoiceEvent.objects.create(invoice=red, created_at=now, status_from="", status_to=red.status,
                                actor_label=actor.label[:150],
                                message=f"红字确认单 {form.number}（{state_display}）自动开具红字发票")
    before = _snapshot(form)
    form.red_invoice = red
    form.save(update_fields=["red_invoice", "updated_at"])
    _audit(form, actor=actor, action="red_form.red_invoice", before=before)
    if form.refund_id:
        from invoicing.orders.refunds import refund_mark_reversed

        refund = Refund.objects.get(pk=form.refund_id)
        if refund.status == Refund.Status.AWAITING_RED_LETTER:
            refund_mark_reversed(refund=refund, red_invoice=red, actor=actor)
    company_id = red.company_id
    transaction.on_commit(lambda: schedule_company_batch(company_id))
    return red


def _red_invoice_cancel_if_unsent(form: RedLetterForm, *, actor: Actor) -> None:
    """A form that became void takes its not-yet-uploaded red invoice with it."""
    from invoicing.issuing.transitions import begin, record_transitions

    red = Invoice.objects.select_for_update(of=("self",)).select_related("company", "store").get(
        pk=form.red_invoice_id)
    if red.status in (S.DRAFT, S.PENDING, S.FAILED):
        t = begin(red, f"红字确认单 {form.number} 已作废（{form.get_state_display()}），红字发票取消")
        red.status = S.CANCELLED
        record_transitions([t], actor=actor, action="invoice.cancel", update_fields=["status"])


# --- keeping forms in step with the platform ------------------------------------------------------------


def red_letter_forms_sync(*, company_id: int, provider=None) -> dict:
    """List the company's recent forms (CXQDHZQRDLB): new buyer forms come in, states are mirrored.

    Open forms older than the list window are asked for one by one (CXQDHZQRDMX); requests whose
    answer was lost are matched to the form the platform holds; requests never sent are sent.
    """
    close_old_connections()
    company = Company.objects.get(pk=company_id)
    provider = provider or provider_for(company)
    now = timezone.now()
    report = {"listed": 0, "changed": 0, "imported": 0, "refreshed": 0, "submitted": 0, "errors": 0}
    seen: set[str] = set()
    page_no = 1
    while True:
        page = provider.red_form_list(entered_from=now - SYNC_WINDOW, page_no=page_no, page_size=100)
        for summary in page.forms:
            seen.add(summary.uuid)
            report["listed"] += 1
            try:
                outcome = _sync_one(company, summary, provider)
            except TaxPlatformError as exc:
                report["errors"] += 1
                logger.info("red form %s of company %s: %s", summary.uuid, company_id, exc)
                continue
            if outcome:
                report[outcome] += 1
        if not page.forms or page_no * 100 >= page.total:
            break
        page_no += 1
    older = (RedLetterForm.objects.filter(company=company, submission=F_.Submission.APPLIED).exclude(uuid="")
             .exclude(uuid__in=seen)
             .filter(Q(state__in=F_.AWAITING_STATES) | Q(state__in=F_.ISSUABLE_STATES, red_invoice__isnull=True)))
    for form_id in older.values_list("id", flat=True)[:200]:
        try:
            red_letter_form_refresh(form_id=form_id, provider=provider)
            report["refreshed"] += 1
        except TaxPlatformError as exc:
            report["errors"] += 1
            logger.info("refresh of red form %s failed: %s", form_id, exc)
    stale = now - timedelta(seconds=int(getattr(settings, "RED_LETTER_RESUBMIT_AFTER_S", 600)))
    # An answer lost long ago and no such form in the platform's list: the platform never took it.
    for form_id in RedLetterForm.objects.filter(company=company, submission=F_.Submission.UNKNOWN,
                                                updated_at__lt=stale).values_list("id", flat=True):
        _submission_mark(form_id=form_id, submission=F_.Submission.WAITING,
                         note="平台未收到上次提交，重新提交")
    waiting = RedLetterForm.objects.filter(
        company=company, submission=F_.Submission.WAITING, updated_at__lt=now - timedelta(seconds=30),
        approval__in=[F_.Approval.NOT_REQUIRED, F_.Approval.APPROVED])
    for form_id in waiting.values_list("id", flat=True)[:100]:
        try:
            red_letter_form_submit(form_id=form_id, provider=provider)
            report["submitted"] += 1
        except TaxPlatformError:
            report["errors"] += 1
    cache.set(_synced_key(company_id), now.isoformat(), timeout=3600)
    return report


def _synced_key(company_id: int) -> str:
    return f"redletter:synced:{company_id}"


def red_letter_forms_sync_if_stale(*, company_id: int, max_age_s: int = 60) -> dict | None:
    """For page views: sync when the last sync is older than ``max_age_s``; never fails the page."""
    last = cache.get(_synced_key(company_id))
    if last and max_age_s > 0 and timezone.now() - datetime.fromisoformat(last) < timedelta(seconds=max_age_s):
        return None
    try:
        return red_letter_forms_sync(company_id=company_id)
    except TaxPlatformError as exc:
        logger.info("red form sync of company %s failed: %s", company_id, exc)
        return None


def _sync_one(company, summary, provider) -> str | None:
    local = RedLetterForm.objects.filter(company=company, uuid=summary.uuid).first()
    code = STATE_CODES[summary.state]
    if local is not None:
        if local.state != code or (code in F_.ISSUABLE_STATES and local.red_invoice_id is None):
            red_letter_form_record_state(form_id=local.pk, state=code)
            return "changed"
        RedLetterForm.objects.filter(pk=local.pk).update(last_refreshed_at=timezone.now())
        return None
    if summary.entered_by == RedFormEnteredBy.BUYER:
        detail = provider.red_form_detail(uuid=summary.uuid)
        return "imported" if red_letter_form_import(company=company, detail=detail) else None
    # One of ours whose answer was lost: same blue invoice and amounts, no uuid yet.
    lost = (RedLetterForm.objects.filter(company=company, uuid="", submission=F_.Submission.UNKNOWN,
                                         blue_invoice__number=summary.blue_invoice_number, amount=summary.amount,
                                         tax=summary.tax).order_by("id").first())
    if lost is not None:
        red_letter_form_applied(form_id=lost.pk, receipt=RedFormReceipt(
            uuid=summary.uuid, form_number=summary.form_number, state=summary.state, expires_at=summary.expires_at))
        return "changed"
    return None


@transaction.atomic
def red_letter_form_import(*, company, detail) -> RedLetterForm | None:
    """A form the buyer entered against one of our blue invoices (it waits for us: 03)."""
    blue = (Invoice.objects.select_for_update(of=("self",)).select_related("store")
            .filter(company=company, number=detail.blue_invoice_number, kind=Invoice.Kind.BLUE).first())
    if blue is None:
        logger.warning("buyer red form %s names blue invoice %s unknown to company %s",
                       detail.uuid, detail.blue_invoice_number, company.pk)
        return None
    if RedLetterForm.objects.filter(company=company, uuid=detail.uuid).exists():
        return None
    blue_lines = {line.line_no: line for line in blue.lines.all()}
    now = timezone.now()
    form = RedLetterForm.objects.create(
        company=company, store=blue.store, blue_invoice=blue, uuid=detail.uuid, number=detail.form_number,
        state=STATE_CODES[detail.state], reason=REASON_CODES.get(detail.reason, "01"),
        initiated_by=F_.InitiatedBy.BUYER, amount=detail.amount or Decimal("0.00"), tax=detail.tax or Decimal("0.00"),
        approval=F_.Approval.NOT_REQUIRED, submission=F_.Submission.APPLIED,
        applied_at=detail.entered_at or now, expires_at=detail.expires_at or now + CONFIRM_WINDOW,
        last_refreshed_at=now, requested_by_label="购方", note="购方录入的红字确认单：请在72小时内确认或否认",
    )
    RedLetterFormLine.objects.bulk_create([
        RedLetterFormLine(form=form, position=position, blue_line=blue_lines[line.blue_line_no],
                          quantity=line.quantity, unit_price=line.unit_price, amount=line.amount, tax=line.tax)
        for position, line in enumerate(detail.lines, start=1) if line.blue_line_no in blue_lines
    ])
    _audit(form, actor=ACTOR, action="red_form.import", before=None)
    _after_state(form, actor=ACTOR)
    return form


# --- reminders (作废提醒) ------------------------------------------------------------------------------------


def red_letter_reminders_send(*, now=None) -> int:
    """E-mail the store manager once per form waiting for the other side when under 24 h are left."""
    now = now or timezone.now()
    due = (RedLetterForm.objects.filter(state__in=F_.AWAITING_STATES, reminder_sent_at__isnull=True,
                                        expires_at__gt=now, expires_at__lte=now + REMIND_BEFORE)
           .values_list("id", flat=True))
    sent = 0
    for form_id in list(due):
        with transaction.atomic():
            form = (RedLetterForm.objects.select_for_update(of=("self",))
                    .select_related("company", "store", "blue_invoice")
                    .filter(pk=form_id, reminder_sent_at__isnull=True).first())
            if form is None:
                continue
            before = _snapshot(form)
            form.reminder_sent_at = now
            form.save(update_fields=["reminder_sent_at", "updated_at"])
            _audit(form, actor=ACTOR, action="red_form.reminder", before=before)
            if form.store.manager_email:
                subject, body = _reminder_text(form, now=now)
                recipient = form.store.manager_email
                transaction.on_commit(lambda s=subject, b=body, r=recipient: _mail(s, b, r))
                sent += 1
    return sent


def _reminder_text(form: RedLetterForm, *, now) -> tuple[str, str]:
    left = form.expires_at - now
    hours, minutes = int(left.total_seconds()) // 3600, int(left.total_seconds()) % 3600 // 60
    waiting_for = "购方确认" if form.state == F_.State.AWAITING_BUYER else "本方（销方）确认或否认"
    subject = f"红字确认单 {form.number} 将在 {hours} 小时后自动作废"
    body = (f"{form.store.name}：\n\n红字确认单 {form.number}（蓝字发票 {form.blue_invoice.number}，"
            f"红冲金额 {fmt_money(form.amount)}，税额 {fmt_money(form.tax)}）正在等待{waiting_for}，"
            f"剩余 {hours} 小时 {minutes} 分钟。超过72小时未确认，税务平台将自动作废该确认单（07），"
            "届时需要重新申请。\n\n请登录开票系统的“红字确认单”页面处理。")
    return subject, body


def _mail(subject: str, body: str, recipient: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    except Exception:  # noqa: BLE001 - a mail server hiccup must not undo the reminder flag; logged
        logger.exception("red-letter reminder to %s failed", recipient)


# --- refunds ------------------------------------------------------------------------------------------------


def _order_line_map(order, blue: Invoice) -> dict[int, int]:
    """Order line number → blue line number (lines fully refunded before issue were dropped from the invoice)."""
    blue_lines = list(blue.lines.order_by("line_no"))
    mapping, position = {}, 0
    for line in order.lines:
        if position < len(blue_lines) and (blue_lines[position].name, blue_lines[position].tax_code) == (
                line["name"], line["tax_code"]):
            mapping[int(line["line_no"])] = blue_lines[position].line_no
            position += 1
    return mapping


def _refund_plan(refund: Refund, blue: Invoice) -> tuple[str, list[Requested] | None, bool]:
    """Reason, lines and whether in full, for a refund against an issued invoice.

    Goods returned by quantity → 02 销货退回; services → 03 服务中止; a mix → 01; a partial refund
    without lines → 04 销售折让 spread over the lines.
    """
    remaining = blue_invoice_remaining(blue)
    by_no = {line.line_no: line for line in remaining.lines}
    services = [line.tax_code.startswith("3") for line in remaining.lines if line.remaining_amount > 0]
    if refund.is_full:
        if all(services):
            return "03", None, True
        if not any(services) and all(line.unit_price is not None for line in remaining.lines):
            return "02", None, True
        return "01", None, True
    if not refund.lines:
        return "04", rules.allocate_amount(remaining.as_rule_lines(), refund.amount), False
    mapping = _order_line_map(refund.order, blue)
    requested, kinds = [], set()
    for line in refund.lines:
        blue_no = mapping.get(int(line["line_no"]))
        if blue_no is None or blue_no not in by_no:
            raise ServiceError("red_refund_line", f"退款第{line['line_no']}行在已开具的发票中找不到对应明细，请人工红冲")
        blue_line = by_no[blue_no]
        quantity = Decimal(line["quantity"]) if line.get("quantity") not in (None, "") else None
        is_service = blue_line.tax_code.startswith("3")
        if quantity is not None and blue_line.unit_price is not None and not is_service:
            requested.append(Requested(line_no=blue_no, quantity=quantity))
            kinds.add("goods_quantity")
        else:
            amount, _tax = split_with_tax(money(line["amount"]), blue_line.rate)
            requested.append(Requested(line_no=blue_no, amount=amount))
            kinds.add("service" if is_service else "goods_amount")
    if kinds == {"goods_quantity"}:
        return "02", requested, False
    if kinds == {"service"}:
        return "03", requested, False
    if kinds == {"goods_amount"}:
        return "04", requested, False
    return "01", requested, False


def refund_reverse(*, refund_id: int) -> RedLetterForm | None:
    """Reverse an issued invoice for a refund (idempotent per refund: one form per refund while not void)."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("order", "company", "store").get(pk=refund_id)
        form = refund.red_letter_forms.order_by("-id").first()
        if form is None:
            if refund.status != Refund.Status.AWAITING_RED_LETTER:
                return None
            blue = (Invoice.objects.filter(order=refund.order, kind=Invoice.Kind.BLUE, status=S.ISSUED)
                    .order_by("-id").first())
            if blue is None:
                return None  # not issued yet (uploading): the periodic job comes back
            reason, lines, full = _refund_plan(refund, blue)
            form = red_letter_form_request(
                invoice=blue, actor=Actor.job(f"refund:{refund.refund_id}"), reason=reason, full=full, lines=lines,
                refund=refund, note=f"退款 {refund.refund_id} 自动红冲（{fmt_money(refund.amount)} 元含税）")
    if form.submission == F_.Submission.WAITING:
        form = red_letter_form_submit(form_id=form.pk)
    return form


def refunds_reverse_pending(*, limit: int = 200) -> dict:
    """Periodic: every refund waiting for a red letter whose invoice is issued and that has no form yet."""
    close_old_connections()
    report = {"reversed": 0, "failed": 0, "waiting": 0}
    from invoicing.selectors import refunds_awaiting_red_letter

    refunds = refunds_awaiting_red_letter().filter(red_letter_forms__isnull=True).values_list("id", flat=True)[:limit]
    for refund_id in list(refunds):
        if cache.get(f"redletter:refund-failed:{refund_id}"):
            continue
        try:
            form = refund_reverse(refund_id=refund_id)
        except ServiceError as exc:
            report["failed"] += 1
            _refund_failed(refund_id, exc.message)
            continue
        except RetryableError:
            report["waiting"] += 1
            continue
        report["reversed" if form is not None else "waiting"] += 1
    return report


def _refund_failed(refund_id: int, message: str) -> None:
    # The rules refused: a person must reverse it from the invoice page; do not retry every minute.
    cache.set(f"redletter:refund-failed:{refund_id}", message, timeout=3600)
    with transaction.atomic():
        refund = Refund.objects.select_related("company", "store").get(pk=refund_id)
        audit_record(actor=ACTOR, action="refund.red_letter_failed", obj=refund, company=refund.company,
                     store=refund.store, after={"message": message})
    logger.warning("automatic reversal of refund %s refused: %s", refund_id, message)


def refund_schedule_reversal(refund_id: int) -> bool:
    """For the refund intake: reverse right after commit instead of waiting for the periodic job."""
    from invoicing import enqueue as q
    from invoicing.redletter import jobs

    return q.enqueue("tax", jobs.refund_reverse, refund_id, retry=True)


# --- batch reversal ------------------------------------------------------------------------------------


@transaction.atomic
def batch_reversal_create(*, company, actor: Actor, reason: str, invoices: list[Invoice],
                          selection: dict) -> BatchReversal:
    """A batch of full reversals with one reason; the work runs as a job on the "default" queue."""
    if reason not in rules.REASONS:
        raise ServiceError("red_reason", "请选择红冲原因：01开票有误、02销货退回、03服务中止或04销售折让")
    if not invoices:
        raise ServiceError("batch_empty", "没有符合条件的已开具蓝字发票，请调整门店、日期或发票号码")
    batch = BatchReversal.objects.create(company=company, reason=reason, selection=selection, total=len(invoices),
                                         created_by=actor.user, created_by_label=actor.label[:150])
    BatchReversalItem.objects.bulk_create([BatchReversalItem(batch=batch, invoice=invoice) for invoice in invoices])
    audit_record(actor=actor, action="batch_reversal.create", obj=batch, company=company,
                 after={"reason": reason, "total": batch.total, "selection": selection})
    batch_id = batch.pk
    transaction.on_commit(lambda: batch_reversal_schedule(batch_id))
    return batch


def batch_reversal_schedule(batch_id: int) -> bool:
    from invoicing import enqueue as q
    from invoicing.redletter import jobs

    return q.enqueue("default", jobs.batch_reversal_run, batch_id, job_id=f"redletter-batch-{batch_id}")


def batch_reversal_run(*, batch_id: int) -> dict:
    """Process every pending item; each commits on its own and one failure never stops the rest."""
    close_old_connections()
    BatchReversal.objects.filter(pk=batch_id, status=BatchReversal.Status.QUEUED).update(
        status=BatchReversal.Status.RUNNING, started_at=timezone.now())
    batch = BatchReversal.objects.select_related("company", "created_by").get(pk=batch_id)
    actor = Actor.for_user(batch.created_by) if batch.created_by else Actor.job(f"batch_reversal:{batch_id}")
    for item_id in list(batch.items.filter(outcome=BatchReversalItem.Outcome.PENDING).values_list("id", flat=True)):
        try:
            batch_reversal_item_process(item_id=item_id, actor=actor)
        except Exception as exc:  # noqa: BLE001 - one invoice's surprise must not stop the batch; kept on the item
            logger.exception("batch reversal %s item %s failed", batch_id, item_id)
            _item_finish(item_id, BatchReversalItem.Outcome.FAILED, f"处理出错：{exc}")
    with transaction.atomic():
        batch = BatchReversal.objects.select_for_update().get(pk=batch_id)
        if not batch.items.filter(outcome=BatchReversalItem.Outcome.PENDING).exists():
            batch.status = BatchReversal.Status.DONE
            batch.finished_at = timezone.now()
            batch.save(update_fields=["status", "finished_at"])
            audit_record(actor=actor, action="batch_reversal.done", obj=batch, company=batch.company,
                         after={"total": batch.total, "succeeded": batch.succeeded, "failed": batch.failed})
    return {"processed": batch.processed, "succeeded": batch.succeeded, "failed": batch.failed}


def batch_reversal_item_process(*, item_id: int, actor: Actor) -> str:
    item = BatchReversalItem.objects.select_related("batch", "invoice").get(pk=item_id)
    if item.outcome != BatchReversalItem.Outcome.PENDING:
        return item.outcome
    try:
        form = red_letter_form_request(invoice=item.invoice, actor=actor, reason=item.batch.reason, full=True,
                                       note=f"批量红冲 #{item.batch_id}")
    except ServiceError as exc:
        return _item_finish(item_id, BatchReversalItem.Outcome.FAILED, exc.message)
    try:
        form = red_letter_form_submit(form_id=form.pk)
    except RetryableError as exc:
        red_letter_form_schedule_submit(form.pk, delay=10)
        return _item_finish(item_id, BatchReversalItem.Outcome.APPLIED,
                            f"已保存申请，税务平台繁忙（{exc.message}），稍后自动提交", form=form)
    if form.submission == F_.Submission.REFUSED:
        return _item_finish(item_id, BatchReversalItem.Outcome.FAILED, form.note, form=form)
    return _item_finish(item_id, BatchReversalItem.Outcome.APPLIED,
                        f"红字确认单 {form.number or '（待核实）'}：{form.status_label}", form=form)


@transaction.atomic
def _item_finish(item_id: int, outcome: str, message: str, *, form: RedLetterForm | None = None) -> str:
    item = BatchReversalItem.objects.select_for_update().get(pk=item_id)
    if item.outcome != BatchReversalItem.Outcome.PENDING:
        return item.outcome
    item.outcome, item.message, item.form, item.processed_at = outcome, message[:500], form, timezone.now()
    item.save()
    counter = "succeeded" if outcome == BatchReversalItem.Outcome.APPLIED else "failed"
    BatchReversal.objects.filter(pk=item.batch_id).update(processed=F("processed") + 1, **{counter: F(counter) + 1})
    return outcome


# --- voiding ----------------------------------------------------------------------------------------------


def invoice_void(*, invoice: Invoice, actor: Actor) -> None:
    """数电 invoices are never voided: always refused, with the reason and what to do instead."""
    if invoice.status == S.ISSUED:
        raise ServiceError("void_not_allowed", VOID_EXPLANATION)
    if invoice.status in (S.DRAFT, S.PENDING, S.FAILED):
        raise ServiceError("void_use_cancel", "这张发票尚未上传税务平台，不需要作废：请直接取消")
    raise ServiceError("void_not_allowed", f"发票当前状态为“{invoice.get_status_display()}”，不能作废")
