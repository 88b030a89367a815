"""The provider-neutral face of a tax platform: what the pipeline asks for and gets back.

Callers (the issuing pipeline, red-letter services, the tax-code sync) depend only on this
module and on ``invoicing.taxapi.get_provider``. Every 乐企 field name and code value lives in
the provider (``leqi.py``) and in the pipeline's invoice mapping, so a Nuonuo or Baiwang
provider can answer with the same types. Money is ``Decimal``; times are aware datetimes.

Every method raises a subclass of ``invoicing.taxapi.errors.TaxPlatformError`` on failure, and
every call, successful or not, leaves one row in the exchange log.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

# --- numbers and quota ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberBlock:
    """A contiguous block of invoice numbers handed to this company, first and last inclusive."""

    first_number: str
    last_number: str
    count: int
    request_serial: str

    def numbers(self) -> list[str]:
        width = len(self.first_number)
        start = int(self.first_number)
        return [str(n).zfill(width) for n in range(start, int(self.last_number) + 1)]


@dataclass(frozen=True)
class Quota:
    """This month's credit quota (授信额度), as 价税合计 amounts."""

    total: Decimal
    downloaded_unused: Decimal
    downloadable: Decimal
    used: Decimal


class QuotaDirection(StrEnum):
    DOWNLOAD = "download"
    GIVE_BACK = "give_back"


@dataclass(frozen=True)
class QuotaTransfer:
    direction: QuotaDirection
    amount: Decimal
    downloaded_unused: Decimal


# --- reference data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxpayerInfo:
    tax_id: str
    name: str
    status_code: str
    status_name: str
    address: str

    @property
    def may_issue(self) -> bool:
        """Only a taxpayer in state 03 正常 or 09 报验 may issue; the client refuses otherwise."""
        return self.status_code in {"03", "09"}


@dataclass(frozen=True)
class TaxRate:
    rate: Decimal
    label: str


@dataclass(frozen=True)
class TaxCode:
    """One tax classification code (税收分类编码) with what it allows."""

    code: str
    name: str
    short_name: str
    description: str
    rates: tuple[Decimal, ...]
    preferential_policies: tuple[str, ...]
    is_summary: bool
    valid_from: datetime | None
    valid_to: datetime | None


@dataclass(frozen=True)
class TaxCodePage:
    """One page of codes changed since a watermark; pass ``watermark`` back to continue later."""

    total: int
    page_no: int
    page_size: int
    watermark: datetime | None
    codes: tuple[TaxCode, ...]

    @property
    def has_more(self) -> bool:
        return self.page_no * self.page_size < self.total


# --- uploads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadAccepted:
    """The platform took the batch; ask for the result with ``acceptance_serial`` (kept 12 h)."""

    acceptance_serial: str
    invoice_numbers: tuple[str, ...]


class InvoiceOutcomeStatus(StrEnum):
    ISSUED = "issued"
    REFUSED = "refused"
    # Uploaded before: total_with_tax and issued_at are the platform's; compare, never issue again.
    ALREADY_UPLOADED = "already_uploaded"


@dataclass(frozen=True)
class InvoiceOutcome:
    number: str
    status: InvoiceOutcomeStatus
    message: str
    total_with_tax: Decimal | None
    issued_at: datetime | None


@dataclass(frozen=True)
class UploadResult:
    acceptance_serial: str
    processing: bool
    outcomes: tuple[InvoiceOutcome, ...] = ()


# --- red-letter confirmation forms -------------------------------------------------------------------


class RedReason(StrEnum):
    """Why an invoice is reversed; providers number these differently (乐企 01–04, Nuonuo 1–2…)."""

    WRONG_INVOICE = "wrong_invoice"  # 开票有误
    SALES_RETURN = "sales_return"  # 销货退回
    SERVICE_STOPPED = "service_stopped"  # 服务中止
    SALES_ALLOWANCE = "sales_allowance"  # 销售折让


class RedFormState(StrEnum):
    NO_CONFIRMATION_NEEDED = "no_confirmation_needed"  # 01 无需确认
    AWAITING_BUYER = "awaiting_buyer"  # 02 销方录入待购方确认
    AWAITING_SELLER = "awaiting_seller"  # 03 购方录入待销方确认
    CONFIRMED = "confirmed"  # 04 购销双方已确认
    VOID_BUYER_DENIED = "void_buyer_denied"  # 05 作废（购方否认）
    VOID_SELLER_DENIED = "void_seller_denied"  # 06 作废（销方否认）
    VOID_EXPIRED = "void_expired"  # 07 作废（超 72 小时未确认）
    REVOKED = "revoked"  # 08 发起方撤销
    VOID_REVOKED_AFTER_CONFIRMATION = "void_revoked_after_confirmation"  # 09 作废（确认后撤销）
    VOID_ABNORMAL = "void_abnormal"  # 10 作废（异常凭证）

    @property
    def allows_red_invoice(self) -> bool:
        return self in {RedFormState.NO_CONFIRMATION_NEEDED, RedFormState.CONFIRMED}


class RedFormAction(StrEnum):
    CONFIRM = "confirm"
    DENY = "deny"
    REVOKE = "revoke"


class RedFormEnteredBy(StrEnum):
    SELLER = "seller"
    BUYER = "buyer"


@dataclass(frozen=True)
class RedFormLine:
    """One line to reverse: amounts negative; ``blue_line_no`` is the blue invoice's line number."""

    blue_line_no: int
    item_name: str
    tax_code: str
    amount: Decimal
    tax_rate: Decimal
    tax: Decimal
    spec: str = ""
    unit: str = ""
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    #: The name as printed, ``*short name*item name``, and the tax code's short name.
    full_name: str = ""
    short_name: str = ""


@dataclass(frozen=True)
class RedFormApplication:
    """A seller's application for a red-letter confirmation form against one blue invoice.

    The platform checks the blue invoice's facts as the applicant states them (buyer, issue time,
    totals, kind), so the application carries them.
    """

    blue_invoice_number: str
    reason: RedReason
    amount: Decimal
    tax: Decimal
    lines: tuple[RedFormLine, ...]
    seller_name: str = ""
    buyer_tax_id: str = ""
    buyer_name: str = ""
    blue_issued_at: datetime | None = None
    blue_amount: Decimal | None = None
    blue_tax: Decimal | None = None
    #: "01" 专票 / "02" 普票, as the invoice's ``type``.
    blue_type: str = ""


@dataclass(frozen=True)
class RedFormReceipt:
    uuid: str
    form_number: str
    state: RedFormState
    expires_at: datetime | None


@dataclass(frozen=True)
class RedFormConfirmation:
    uuid: str
    state: RedFormState


@dataclass(frozen=True)
class RedFormSummary:
    uuid: str
    form_number: str
    state: RedFormState
    entered_by: RedFormEnteredBy | None
    blue_invoice_number: str
    amount: Decimal | None
    tax: Decimal | None
    entered_at: datetime | None
    expires_at: datetime | None
    red_invoice_issued: bool


@dataclass(frozen=True)
class RedFormPage:
    total: int
    forms: tuple[RedFormSummary, ...]


@dataclass(frozen=True)
class RedFormDetail(RedFormSummary):
    reason: RedReason | None = None
    lines: tuple[RedFormLine, ...] = field(default=())


# --- invoice status ----------------------------------------------------------------------------------


class InvoiceState(StrEnum):
    NORMAL = "normal"  # 01 正常
    FULLY_REVERSED = "fully_reversed"  # 02 已红冲
    PARTLY_REVERSED = "partly_reversed"  # 03 部分红冲


@dataclass(frozen=True)
class InvoiceStatus:
    number: str
    state: InvoiceState
    booked_by_buyer: bool
    total_with_tax: Decimal | None
    issued_at: datetime | None
    reversed_amount: Decimal


# --- monthly summary confirmation (汇总确认) ---------------------------------------------------------


@dataclass(frozen=True)
class MonthFigures:
    """A month's issued invoices by kind: counts, amounts and taxes (red amounts are negative)."""

    blue_count: int
    blue_amount: Decimal
    blue_tax: Decimal
    red_count: int
    red_amount: Decimal
    red_tax: Decimal


class SummaryState(StrEnum):
    UNCONFIRMED = "unconfirmed"  # 0 未确认
    CONFIRMED = "confirmed"  # 1 已确认
    CANCELLED = "cancelled"  # 2 已取消


@dataclass(frozen=True)
class SummaryInvoice:
    """One invoice the platform counts in a month."""

    number: str
    is_red: bool
    amount: Decimal
    tax: Decimal
    issued_at: datetime | None


@dataclass(frozen=True)
class MonthSummary:
    """The platform's summary of a month (``month`` is yyyy-MM); ``invoices`` is one page of ``total``."""

    month: str
    state: SummaryState
    state_at: datetime | None
    figures: MonthFigures
    total: int
    page_no: int
    page_size: int
    invoices: tuple[SummaryInvoice, ...]

    @property
    def has_more(self) -> bool:
        return self.page_no * self.page_size < self.total


@dataclass(frozen=True)
class SummaryReceipt:
    month: str
    state: SummaryState
    state_at: datetime | None


# --- the interface -------------------------------------------------------------------------------------


class TaxPlatformProvider(abc.ABC):
    """One company's connection to one tax platform. Methods are keyword-only and blocking."""

    #: Registry key and value of ``Exchange.provider``.
    name: str = ""
    #: Most invoices one ``upload_invoices`` call takes.
    max_batch: int = 100

    @classmethod
    @abc.abstractmethod
    def for_company(cls, company, *, store=None) -> TaxPlatformProvider:
        """The provider for a ``stores.models.Company`` with its decrypted credentials."""

    @abc.abstractmethod
    def fetch_number_block(self, *, count: int, request_serial: str) -> NumberBlock:
        """Reserve ``count`` numbers; the same ``request_serial`` and count return the same block."""

    @abc.abstractmethod
    def query_quota(self) -> Quota: ...

    @abc.abstractmethod
    def download_quota(
        self, *, amount: Decimal, request_serial: str, direction: QuotaDirection = QuotaDirection.DOWNLOAD
    ) -> QuotaTransfer:
        """Download quota to the client (or give it back); the same serial returns the same answer."""

    @abc.abstractmethod
    def taxpayer_info(self) -> TaxpayerInfo: ...

    @abc.abstractmethod
    def usable_rates(self) -> tuple[TaxRate, ...]: ...

    @abc.abstractmethod
    def tax_codes(self, *, since: datetime | None = None, page_no: int = 1, page_size: int = 1000) -> TaxCodePage:
        """Codes changed after ``since`` (all when None), one page at a time."""

    @abc.abstractmethod
    def upload_invoices(self, *, invoices: Sequence[Mapping]) -> UploadAccepted:
        """Upload up to ``max_batch`` invoices, given as dicts in the platform's own field names.

        On ``UnknownOutcomeError`` the caller must ask ``upload_result``/``invoice_status``
        before anything else; re-uploading the same numbers is answered "already uploaded".
        """

    @abc.abstractmethod
    def upload_result(self, *, acceptance_serial: str) -> UploadResult: ...

    @abc.abstractmethod
    def red_form_apply(self, *, application: RedFormApplication) -> RedFormReceipt: ...

    @abc.abstractmethod
    def red_form_confirm(self, *, uuid: str, form_number: str, action: RedFormAction) -> RedFormConfirmation: ...

    @abc.abstractmethod
    def red_form_list(
        self,
        *,
        entered_from: datetime | None = None,
        entered_to: datetime | None = None,
        state: RedFormState | None = None,
        page_no: int = 1,
        page_size: int = 50,
    ) -> RedFormPage: ...

    @abc.abstractmethod
    def red_form_detail(self, *, uuid: str) -> RedFormDetail: ...

    @abc.abstractmethod
    def invoice_status(self, *, number: str) -> InvoiceStatus: ...

    @abc.abstractmethod
    def month_summary(self, *, month: str, page_no: int = 1, page_size: int = 100) -> MonthSummary:
        """The platform's figures, confirmation state and invoices (one page) of ``month`` (yyyy-MM)."""

    @abc.abstractmethod
    def month_summary_confirm(self, *, month: str, figures: MonthFigures) -> SummaryReceipt:
        """Confirm ``month`` with these figures; refused when they differ from the platform's."""

    @abc.abstractmethod
    def month_summary_cancel(self, *, month: str) -> SummaryReceipt:
        """Cancel the confirmation of ``month`` (it may be confirmed again afterwards)."""
