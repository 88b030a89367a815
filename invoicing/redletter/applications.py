"""Applying for red-letter confirmation forms (红字确认单) and following their states.

The platform is the authority on a form's state; we store the request *before* calling it
(``submission = waiting → sending``), so a lost answer (``unknown``) is resolved by finding the
form in the platform's list, never by applying twice. When a form reaches 01 or 04 the red
invoice is created (``red_invoices``) and goes through the same batch pipeline as blue ones.

What is left on a blue line is computed under a row lock on the blue invoice, from every form
that is not void: two requests racing for the same quantity cannot both get it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit.services import Actor
from invoicing.concurrency import create_once, retry_on_conflict
from invoicing.enqueue import enqueue
from invoicing.errors import ServiceError
from invoicing.issuing.platform import provider_for
from invoicing.models import (
    Invoice,
    RedLetterForm,
    RedLetterFormLine,
    Refund,
)
from invoicing.redletter import rules
from invoicing.redletter.common import (
    ACTION_LABELS,
    ACTIONS,
    ACTOR,
    CONFIRM_WINDOW,
    EXPIRED_NOTE,
    F_,
    REASONS,
    STATE_CODES,
    S,
    form_audit,
    form_lock,
    form_snapshot,
)
from invoicing.redletter.policy import red_letter_policy_requires_approval
from invoicing.redletter.red_invoices import red_invoice_cancel_if_unsent, red_invoice_create
from invoicing.redletter.rules import RedLetterRuleError, Requested
from invoicing.redletter.selectors import blue_invoice_remaining, blue_is_margin_taxed
from invoicing.taxapi import PermanentError, RetryableError, TaxPlatformError, UnknownOutcomeError
from invoicing.taxapi.base import (
    RedFormApplication,
    RedFormLine,
    RedFormReceipt,
)
from invoicing.taxcodes.table import display_name, short_name_of


def _blue_refusal(blue: Invoice) -> str | None:
    if blue.kind != Invoice.Kind.BLUE:
        return "红字发票不能再红冲；请选择它对应的蓝字发票"
    if blue.status != S.ISSUED:
        if blue.status in (S.DRAFT, S.PENDING, S.FAILED):
            return f"发票尚未开具（{blue.get_status_display()}），不需要红冲：未上传的发票可直接取消"
        return f"发票当前状态为“{blue.get_status_display()}”，只有已开具的蓝字发票可以红冲"
    return None


@retry_on_conflict
@transaction.atomic
def red_letter_form_request(*, invoice: Invoice, actor: Actor, reason: str, full: bool,
                            lines: list[Requested] | None = None, needs_approval: bool = False,
                            refund: Refund | None = None, note: str = "",
                            submission_key: str | None = None) -> RedLetterForm | None:
    """Store a reversal request against an issued blue invoice, after checking every red-letter rule.

    The blue invoice row is locked, and what is left on each line is computed from the forms that
    are not void, so concurrent requests never reverse more than a line holds. The platform is
    not called here: ``red_letter_form_submit`` does that after commit (unless approval is pending).
    None only when ``submission_key`` already made a form (seen under the lock; see
    ``red_letter_form_request_for_user``).
    """
    blue = (Invoice.objects.select_for_update(of=("self",)).select_related("company", "store")
            .get(pk=invoice.pk))
    if submission_key and RedLetterForm.objects.filter(company_id=blue.company_id,
                                                       submission_key=submission_key).exists():
        return None
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
        requested_by=actor.user, requested_by_label=actor.label[:150], submission_key=submission_key,
    )
    RedLetterFormLine.objects.bulk_create([
        RedLetterFormLine(form=form, position=position, blue_line=blue_lines[line.line_no], quantity=line.quantity,
                          unit_price=line.unit_price, amount=line.amount, tax=line.tax)
        for position, line in enumerate(plan.lines, start=1)
    ])
    form_audit(form, actor=actor, action="red_form.request", before=None)
    return form


def red_letter_form_request_for_user(*, invoice: Invoice, user, access, reason: str, full: bool,
                                     lines: list[Requested] | None = None, note: str = "",
                                     submission_key: str | None = None) -> tuple[RedLetterForm, bool]:
    """A person's request: a clerk's waits for approval when the policy says so; others go straight on.

    ``(form, created)``: a submission key used before gives back its form, never a second request.
    """
    needs_approval = (not access.can("invoice.reverse_approve", invoice.store)
                      and red_letter_policy_requires_approval(store=invoice.store))
    form, created = create_once(
        key=submission_key, constraint="red_form_submission_once",
        find=lambda: RedLetterForm.objects.filter(company_id=invoice.company_id, submission_key=submission_key).first(),
        create=lambda: red_letter_form_request(invoice=invoice, actor=Actor.for_user(user), reason=reason, full=full,
                                               lines=lines, needs_approval=needs_approval, note=note,
                                               submission_key=submission_key))
    if created and not needs_approval:
        form = red_letter_form_submit_now(form_id=form.pk)
    return form, created


@transaction.atomic
def red_letter_form_approve(*, form: RedLetterForm, actor: Actor, approve: bool, note: str = "") -> RedLetterForm:
    form = form_lock(form.pk)
    if form.approval != F_.Approval.PENDING:
        raise ServiceError("red_not_pending_approval", f"该红冲申请{form.get_approval_display()}，不需要再审批")
    if actor.user is not None and form.requested_by_id == actor.user.pk:
        raise ServiceError("red_self_approval", "不能审批自己提交的红冲申请，请由店长或总部财务审批")
    before = form_snapshot(form)
    form.approval = F_.Approval.APPROVED if approve else F_.Approval.REJECTED
    form.approved_by = actor.user
    form.approved_at = timezone.now()
    if note:
        form.note = note[:500]
    form.save()
    form_audit(form, actor=actor, action="red_form.approve" if approve else "red_form.reject", before=before)
    return form


@transaction.atomic
def red_letter_form_withdraw(*, form: RedLetterForm, actor: Actor) -> RedLetterForm:
    """Take back a request that has not reached the platform (waiting for approval or for submission)."""
    form = form_lock(form.pk)
    if form.submission != F_.Submission.WAITING or form.approval == F_.Approval.REJECTED:
        raise ServiceError("red_not_withdrawable", "申请已提交税务平台或已处理，不能撤回；已提交的确认单请使用“撤销”")
    before = form_snapshot(form)
    form.submission = F_.Submission.WITHDRAWN
    form.save()
    form_audit(form, actor=actor, action="red_form.withdraw", before=before)
    return form


@transaction.atomic
def red_letter_form_reapply(*, form: RedLetterForm, actor: Actor) -> RedLetterForm:
    """A new request with the same lines and reason, for a form that became void (expired, denied, refused)."""
    form = form_lock(form.pk)
    if not form.is_void:
        raise ServiceError("red_not_void", "只有已作废、被拒绝或已撤回的申请可以重新申请")
    lines = [Requested(line_no=line.blue_line.line_no, quantity=-line.quantity if line.quantity is not None else None,
                       amount=-line.amount) for line in form.lines.select_related("blue_line")]
    return red_letter_form_request(invoice=form.blue_invoice, actor=actor, reason=form.reason, full=False,
                                   lines=lines, refund=form.refund, note=f"重新申请（原申请 {form}）")


def _application(form: RedLetterForm) -> RedFormApplication:
    lines = []
    for line in form.lines.select_related("blue_line").order_by("position"):
        blue = line.blue_line
        lines.append(RedFormLine(blue_line_no=blue.line_no, item_name=blue.name, tax_code=blue.tax_code,
                                 amount=line.amount, tax_rate=blue.rate, tax=line.tax, spec=blue.spec,
                                 unit=blue.unit, quantity=line.quantity, unit_price=line.unit_price,
                                 full_name=display_name(blue.tax_code, blue.name),
                                 short_name=short_name_of(blue.tax_code)))
    invoice = form.blue_invoice
    return RedFormApplication(blue_invoice_number=invoice.number, reason=REASONS[form.reason],
                              amount=form.amount, tax=form.tax, lines=tuple(lines),
                              seller_name=(invoice.seller or {}).get("name", ""),
                              buyer_tax_id=invoice.buyer_tax_id or "", buyer_name=invoice.buyer_name or "",
                              blue_issued_at=invoice.issued_at, blue_amount=invoice.total_amount,
                              blue_tax=invoice.total_tax, blue_type=invoice.type)


@transaction.atomic
def form_submission_mark(*, form_id: int, submission: str, note: str, actor: Actor = ACTOR) -> RedLetterForm:
    form = form_lock(form_id)
    before = form_snapshot(form)
    form.submission = submission
    form.note = note[:500]
    form.save()
    form_audit(form, actor=actor, action="red_form.submission", before=before)
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
        form_submission_mark(form_id=form_id, submission=F_.Submission.WAITING,
                         note=f"税务平台暂时不可用（{exc.message}），将自动重新提交")
        raise
    except UnknownOutcomeError as exc:
        return form_submission_mark(form_id=form_id, submission=F_.Submission.UNKNOWN,
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
    return enqueue("tax", "invoicing.redletter.jobs.red_letter_form_submit", form_id, delay=delay, retry=True)


@transaction.atomic
def red_letter_form_refused(*, form_id: int, code: str, message: str) -> RedLetterForm:
    form = form_lock(form_id)
    before = form_snapshot(form)
    form.submission = F_.Submission.REFUSED
    form.note = f"税务平台拒绝（{code}）：{message}"[:500]
    form.save()
    form_audit(form, actor=ACTOR, action="red_form.refused", before=before)
    return form


@transaction.atomic
def red_letter_form_applied(*, form_id: int, receipt: RedFormReceipt, actor: Actor = ACTOR) -> RedLetterForm:
    """The platform holds the form: keep its number, uuid and state (01 → the red invoice at once)."""
    form = form_lock(form_id)
    if form.submission == F_.Submission.APPLIED:
        return form
    before = form_snapshot(form)
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
    form_audit(form, actor=actor, action="red_form.apply", before=before)
    form_after_state(form, actor=actor)
    return form


def form_after_state(form: RedLetterForm, *, actor: Actor) -> None:
    if form.state in F_.ISSUABLE_STATES and form.red_invoice_id is None:
        red_invoice_create(form, actor=actor)


@transaction.atomic
def red_letter_form_record_state(*, form_id: int, state: str, actor: Actor = ACTOR,
                                 action: str = "red_form.state") -> RedLetterForm:
    """Mirror the platform's state of a form (and act on it: 01/04 → red invoice, 07 → the note)."""
    form = form_lock(form_id)
    form.last_refreshed_at = timezone.now()
    if state == form.state:
        form.save(update_fields=["last_refreshed_at"])
        if action != "red_form.state":  # an action the platform answered with the same state is still recorded
            form_audit(form, actor=actor, action=action, before=form_snapshot(form))
        form_after_state(form, actor=actor)
        return form
    before = form_snapshot(form)
    form.state = state
    if state == F_.State.VOID_EXPIRED:
        form.note = EXPIRED_NOTE
    form.save()
    form_audit(form, actor=actor, action=action, before=before)
    if state in F_.VOID_STATES and form.red_invoice_id:
        red_invoice_cancel_if_unsent(form, actor=actor)
    form_after_state(form, actor=actor)
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
        answer = provider.red_form_confirm(uuid=form.uuid, form_number=form.number, action=ACTIONS[action])
    except PermanentError as exc:
        raise ServiceError("platform_refused", f"税务平台拒绝{label}：{exc.message}") from exc
    except TaxPlatformError as exc:
        raise ServiceError("platform_unavailable",
                           f"税务平台暂时无法处理（{exc.message}），请稍后再试；确认单状态会自动同步") from exc
    return red_letter_form_record_state(form_id=form.pk, state=STATE_CODES[answer.state], actor=actor,
                                        action=f"red_form.{action}")
