"""Tax codes for order lines that arrive without one (issue 8 §2).

- ``AutoCoder``: at intake, the top suggestion is taken only when its confidence reaches the
  company's ``auto_code_threshold`` and the rate is certain; otherwise the line waits for a
  person (reads only; one ``suggest`` per distinct name per request).
- ``invoice_line_code_choose``: a person codes a waiting line; the choice is remembered for the
  company (``matcher.remember``), so the same name is auto-coded next time.

While a line waits, ``tax_code`` is empty. If its rate is not known either (the shop sent none
and the code is not chosen yet), ``rate`` and ``tax`` are NULL and ``amount`` holds the line's
total *with* tax (the API accepts such lines only with tax-inclusive prices, so that total is
certain); the split is made when the code, and with it the rate, is chosen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from invoicing.errors import ServiceError
from invoicing.models import Invoice, InvoiceEvent, InvoiceLine, Order
from invoicing.rules.amounts import compute_totals, fmt_rate, split_with_tax, tax_for, unit_price
from invoicing.rules.amounts import stored_decimal as _dec
from invoicing.rules.invoice import LineDraft, check_line_tax_code
from invoicing.taxcodes import matcher
from invoicing.taxcodes.selectors import tax_code_facts

# The order line's ``tax_code_status`` for lines that came without a code. DEFERRED: past the
# request's coding budget, waiting for the background job (then AUTO or NEEDS_REVIEW).
AUTO, NEEDS_REVIEW, CHOSEN, DEFERRED = "auto", "needs_review", "chosen", "deferred"


def suggestion_public(suggestion: matcher.Suggestion) -> dict:
    """A suggestion as stored on the order line and answered by the API (JSON-ready)."""
    return {
        "code": suggestion.code,
        "name": suggestion.name,
        "short_name": suggestion.short_name,
        "rates": [format(rate.normalize(), "f") if rate else "0" for rate in suggestion.rates],
        "confidence": suggestion.confidence,  # already rounded to 2 places
        "reason": suggestion.reason,
        "source": suggestion.source,
        # the rate this company invoices the code at (its memory or catalogue), when known
        "rate": None if suggestion.rate is None else format(suggestion.rate.normalize(), "f"),
    }


@dataclass
class CodingDecision:
    code: str  # "" when the line waits for a person
    rate: Decimal | None
    confidence: float | None
    match_source: str  # the top suggestion's source: "memory", "history", "matcher" (or "")
    suggestions: list[dict] = field(default_factory=list)
    note: str = ""  # why it waits, for the timeline ("最高置信度 0.62 低于阈值 0.80")
    deferred: bool = False  # past the request's budget: the background job decides


class AutoCoder:
    """Decides the code of uncoded lines for one company during one request.

    The matcher costs milliseconds per name, so a request gets a budget (issue 13 item 7): at
    most ``max_names`` distinct names matched and ``max_ms`` milliseconds spent matching. A name
    past either is deferred: its line waits for the background job. ``None`` means no budget
    (the job's own coder).
    """

    def __init__(self, company, *, max_names: int | None = None, max_ms: int | None = None):
        self.company = company
        self.threshold = Decimal(str(company.auto_code_threshold))
        self.max_names, self.max_ms = max_names, max_ms
        self.spent_s = 0.0
        self._suggestions: dict[str, list[matcher.Suggestion]] = {}
        self._facts: dict[str, object] = {}

    @classmethod
    def for_request(cls, company) -> AutoCoder:
        return cls(company, max_names=settings.API_CODING_BUDGET_NAMES, max_ms=settings.API_CODING_BUDGET_MS)

    def within_budget(self, name: str) -> bool:
        if name in self._suggestions:
            return True
        if self.max_names is not None and len(self._suggestions) >= self.max_names:
            return False
        return self.max_ms is None or self.spent_s * 1000 < self.max_ms

    def suggestions(self, name: str) -> list[matcher.Suggestion]:
        # A batch repeats the same products: the matcher runs once per distinct name.
        if name not in self._suggestions:
            started = time.monotonic()
            self._suggestions[name] = matcher.suggest(name, self.company, k=3)
            self.spent_s += time.monotonic() - started
        return self._suggestions[name]

    def _code_facts(self, code: str):
        if code not in self._facts:
            self._facts[code] = tax_code_facts(codes=[code]).get(code)
        return self._facts[code]

    def decide(self, *, name: str, rate: Decimal | None, preferential: str) -> CodingDecision:
        if not self.within_budget(name):
            return CodingDecision("", rate, None, "", [], DEFERRED_NOTE, deferred=True)
        found = self.suggestions(name)
        public = [suggestion_public(s) for s in found]
        if not found:
            return CodingDecision("", rate, None, "", public, "没有找到可用的编码建议")
        top = found[0]
        waiting = CodingDecision("", rate, top.confidence, top.source, public)
        if Decimal(str(top.confidence)) < self.threshold:
            waiting.note = f"最高置信度 {top.confidence:.2f} 低于阈值 {self.threshold:.2f}"
            return waiting
        # The database is the authority on what a code allows (the platform keeps it current).
        facts = self._code_facts(top.code)
        if facts is None or facts.is_summary:
            waiting.note = f"建议编码 {top.code} 当前不可用于开票"
            return waiting
        allowed = "、".join(fmt_rate(r) for r in facts.rates) or "无"
        if preferential:
            if preferential not in facts.preferential or (rate is not None and rate != 0):
                waiting.note = f"建议编码 {top.code} 不适用优惠政策标识 {preferential}"
                return waiting
            chosen = Decimal(0)
        elif rate is not None:
            if rate not in facts.rates:
                waiting.note = f"税率 {fmt_rate(rate)} 不适用于建议编码 {top.code}（可选：{allowed}）"
                return waiting
            chosen = rate
        elif len(facts.rates) == 1:
            chosen = facts.rates[0]
        elif top.rate is not None and top.rate in facts.rates:
            chosen = top.rate  # the rate this company invoices the code at (its memory / catalogue)
        else:
            waiting.note = f"建议编码 {top.code} 有多个可选税率（{allowed}），订单未填写税率"
            return waiting
        return CodingDecision(top.code, chosen, top.confidence, top.source, public)


DEFERRED_NOTE = "超出单次请求的自动赋码上限，由后台任务赋码"


def waiting_message(*, line_no: int, name: str, note: str) -> str:
    return f"第{line_no}行“{name}”未能自动赋码（{note}），等待人工选择税收分类编码"


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@transaction.atomic
def invoice_line_code_choose(
    *, invoice: Invoice, line_no: int, tax_code: str, actor: Actor, rate: Decimal | None = None, by_job: bool = False
) -> InvoiceLine:
    """A person codes one line of a waiting (draft) invoice: check, recompute, remember, audit.

    ``by_job``: the background job codes a line deferred at intake with the matcher's choice;
    as on the intake path nothing is remembered, and the line is ``auto``, not ``chosen``.
    """
    # The order first, then the invoice: the order the refund intake locks them in.
    order = Order.objects.select_for_update().filter(pk=invoice.order_id).first() if invoice.order_id else None
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("company", "store").get(pk=invoice.pk)
    if invoice.status != Invoice.Status.DRAFT:
        raise ServiceError("invoice_not_draft", "只有待人工开具（草稿）的发票可以选择税收分类编码")
    line = InvoiceLine.objects.select_for_update().filter(invoice=invoice, line_no=line_no).first()
    if line is None:
        raise ServiceError("line_not_found", f"发票没有第{line_no}行明细", "line_no")
    order_line = next((x for x in (order.lines if order else []) if x.get("line_no") == line_no), None)
    code = (tax_code or "").strip()
    if not code:
        raise ServiceError("tax_code_required", f"第{line_no}行：请选择或填写税收分类编码", "tax_code")
    facts_by_code = tax_code_facts(codes=[code])
    facts = facts_by_code.get(code)

    # The shop's rate binds (its total was checked with it); a rate the intake took from an
    # automatic code, or none at all, follows the chosen code.
    rate_given = line.rate is not None and (order_line is None or order_line.get("rate_given", True))
    if rate_given:
        if rate is not None and rate != line.rate:
            raise ServiceError("rate_fixed", f"第{line_no}行：订单已指定税率 {fmt_rate(line.rate)}，不能更改", "rate")
        rate = line.rate
    elif line.preferential:
        rate = Decimal(0)
    elif rate is None and facts is not None and len(facts.rates) == 1:
        rate = facts.rates[0]
    elif rate is None and facts is not None and not facts.is_summary:
        allowed = "、".join(fmt_rate(r) for r in facts.rates)
        raise ServiceError(
            "rate_required", f"第{line_no}行：编码 {code} 有多个可选税率（{allowed}），请选择税率", "rate"
        )
    problems = check_line_tax_code(
        LineDraft(
            name=line.name,
            tax_code=code,
            rate=rate if rate is not None else Decimal(0),
            amount=line.amount,
            tax=Decimal(0),
            preferential=line.preferential,
        ),
        line_no - 1,
        lookup=facts_by_code.get,
    )
    if problems:
        raise ServiceError(problems[0].code, problems[0].message, "tax_code")

    before = {"line_no": line_no, "tax_code": line.tax_code, "rate": line.rate, "tax": line.tax, "amount": line.amount}
    if line.rate is None or rate != line.rate:
        includes_tax = order_line.get("price_includes_tax", True) if order_line else True
        if line.rate is None:
            with_tax = line.amount  # a line without a rate keeps its total with tax in ``amount``
        else:
            with_tax = line.amount + line.tax
        if line.preferential:
            line.amount, line.tax = with_tax, Decimal("0.00")
        elif includes_tax:
            line.amount, line.tax = split_with_tax(with_tax, rate)
        else:
            line.tax = tax_for(line.amount, rate)
        if includes_tax and line.quantity:
            line.unit_price = unit_price(line.amount / line.quantity)
    line.tax_code, line.rate = code, rate
    line.save(update_fields=["tax_code", "rate", "amount", "tax", "unit_price"])

    lines = list(invoice.lines.order_by("line_no"))
    totals = compute_totals((x.amount, x.tax or Decimal(0)) for x in lines)
    invoice.total_amount, invoice.total_tax, invoice.total_with_tax = totals.amount, totals.tax, totals.with_tax
    invoice.updated_at = timezone.now()
    invoice.save(update_fields=["total_amount", "total_tax", "total_with_tax", "updated_at"])
    if order_line is not None:
        # Refunds rebuild a waiting invoice from the order's lines: they must carry the choice.
        order_line.update({"tax_code": code, "rate": _text(rate), "tax_code_status": AUTO if by_job else CHOSEN})
        if before["rate"] is None or before["rate"] != rate:
            order_line.update(
                {
                    "amount": _text(line.amount),
                    "tax": _text(line.tax),
                    "unit_price": _text(line.unit_price) if line.quantity else order_line.get("unit_price"),
                }
            )
        order_totals = compute_totals((_dec(x["amount"]), _dec(x.get("tax")) or Decimal(0)) for x in order.lines)
        order.total_amount, order.total_tax = order_totals.amount, order_totals.tax
        order.save(update_fields=["lines", "total_amount", "total_tax"])

    if not by_job:
        matcher.remember(invoice.company, (order_line or {}).get("name") or line.name, code, rate=rate)
    waiting = sum(1 for x in lines if not x.tax_code)
    audit_record(
        actor=actor,
        action="invoice.line_code",
        obj=invoice,
        company=invoice.company,
        store=invoice.store,
        before=before,
        after={
            "line_no": line_no,
            "tax_code": code,
            "rate": rate,
            "tax": line.tax,
            "amount": line.amount,
            "lines_waiting": waiting,
        },
    )
    how = "后台自动赋码" if by_job else "人工选择税收分类编码"
    message = f"第{line_no}行“{line.name}”{how} {code}，税率 {fmt_rate(rate)}"
    message += f"；还有{waiting}行待赋码" if waiting else "；全部明细已赋码，可提交开具"
    InvoiceEvent.objects.create(
        invoice=invoice,
        created_at=timezone.now(),
        status_from=invoice.status,
        status_to=invoice.status,
        message=message[:500],
        actor_label=actor.label[:150],
    )
    return line


def uncoded_lines(invoice: Invoice) -> list[int]:
    """The line numbers of the invoice still without a tax code (it may not be submitted)."""
    return list(invoice.lines.filter(tax_code="").order_by("line_no").values_list("line_no", flat=True))


def remember_accepted(invoice: Invoice) -> list[int]:
    """A person submits a draft: what its lines that came without a code now carry is accepted.

    Only on this person's step, never on the intake path (thousands of orders a minute): a line
    the matcher coded and the person left as it is, or one given a code in the edit form, is
    remembered for the company; a code that came from its memory already is, and a choice made
    on the invoice page was remembered then.
    """
    if not invoice.order_id:
        return []
    came_uncoded = {
        line["line_no"]: line
        for line in Order.objects.get(pk=invoice.order_id).lines
        if line.get("tax_code_status") in (AUTO, NEEDS_REVIEW)
    }
    remembered = []
    for line in invoice.lines.filter(line_no__in=list(came_uncoded)).order_by("line_no"):
        source = came_uncoded[line.line_no]
        if not line.tax_code or line.name != source["name"]:
            continue  # another line now (the edit form rebuilt the lines)
        if source.get("tax_code_match") == "memory" and line.tax_code == source["tax_code"]:
            continue
        matcher.remember(invoice.company, line.name, line.tax_code, rate=line.rate)
        remembered.append(line.line_no)
    return remembered
