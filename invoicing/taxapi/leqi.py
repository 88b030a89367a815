"""The 乐企 (capability 202007) provider, written to docs/tax-platform.md §1–§4.

This module and the pipeline's invoice mapping are the only places where the platform's
pinyin field names and code values appear; everything leaving here is a ``base`` type.
"""

from __future__ import annotations

import logging
import time
import uuid as uuid_lib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from invoicing.rules import taxid
from invoicing.rules.clock import SHANGHAI
from stores import credentials

from . import crypto, envelope, errors, transport
from .base import (
    InvoiceOutcome,
    InvoiceOutcomeStatus,
    InvoiceState,
    InvoiceStatus,
    MonthFigures,
    MonthSummary,
    NumberBlock,
    Quota,
    QuotaDirection,
    QuotaTransfer,
    RedFormAction,
    RedFormApplication,
    RedFormConfirmation,
    RedFormDetail,
    RedFormEnteredBy,
    RedFormLine,
    RedFormPage,
    RedFormReceipt,
    RedFormState,
    RedFormSummary,
    RedReason,
    SummaryInvoice,
    SummaryReceipt,
    SummaryState,
    TaxCode,
    TaxCodePage,
    TaxpayerInfo,
    TaxPlatformProvider,
    TaxRate,
    UploadAccepted,
    UploadResult,
)
from .exchange_log import ExchangeRecord, record_exchange
from .machine import machine_facts

logger = logging.getLogger(__name__)

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"
# CXSSFLBM's watermark (sjc) is written without separators.
WATERMARK_FORMAT = "%Y%m%d%H%M%S"
# 发票开具方式代码: 5 自建平台开票 (乐企自用), which Kaipiao is; 4 would be a third party's platform.
ISSUED_BY_OWN_PLATFORM = "5"

# Service codes (fwbm).
NUMBER_BLOCK = "QDFPPLFM"
QUOTA_QUERY = "CXSXED"
QUOTA_TRANSFER = "XZTHSXED"
TAXPAYER_INFO = "CXNSRJBXX"
USABLE_RATES = "CXKYSL"
TAX_CODES = "CXSSFLBM"
UPLOAD = "QDFPSC"
UPLOAD_RESULT = "CXQDFPSCJG"
RED_FORM_APPLY = "QDHZQRDSQ"
RED_FORM_CONFIRM = "QDHZQRDQR"
RED_FORM_LIST = "CXQDHZQRDLB"
RED_FORM_DETAIL = "CXQDHZQRDMX"
INVOICE_STATUS = "FPZTXXCX"
TAXPAYER_RISK = "CXNSRFXXX"
QUOTA_VALIDITY = "TZSXEDYXQ"
SUMMARY_UPLOAD = "SCFPHZQRXX"
SUMMARY_QUERY = "CXFPHZQRXX"

RED_FORM_STATES = {
    "01": RedFormState.NO_CONFIRMATION_NEEDED,
    "02": RedFormState.AWAITING_BUYER,
    "03": RedFormState.AWAITING_SELLER,
    "04": RedFormState.CONFIRMED,
    "05": RedFormState.VOID_BUYER_DENIED,
    "06": RedFormState.VOID_SELLER_DENIED,
    "07": RedFormState.VOID_EXPIRED,
    "08": RedFormState.REVOKED,
    "09": RedFormState.VOID_REVOKED_AFTER_CONFIRMATION,
    "10": RedFormState.VOID_ABNORMAL,
}
RED_FORM_STATE_CODES = {state: code for code, state in RED_FORM_STATES.items()}
RED_REASONS = {
    RedReason.WRONG_INVOICE: "01",
    RedReason.SALES_RETURN: "02",
    RedReason.SERVICE_STOPPED: "03",
    RedReason.SALES_ALLOWANCE: "04",
}
RED_REASON_BY_CODE = {code: reason for reason, code in RED_REASONS.items()}
RED_FORM_ACTIONS = {RedFormAction.CONFIRM: "Y", RedFormAction.DENY: "N", RedFormAction.REVOKE: "C"}
ENTERED_BY = {"0": RedFormEnteredBy.SELLER, "1": RedFormEnteredBy.BUYER}
UPLOAD_OUTCOMES = {
    "00": InvoiceOutcomeStatus.ISSUED,
    "02": InvoiceOutcomeStatus.REFUSED,
    "03": InvoiceOutcomeStatus.ALREADY_UPLOADED,
}
INVOICE_STATES = {"01": InvoiceState.NORMAL, "02": InvoiceState.FULLY_REVERSED, "03": InvoiceState.PARTLY_REVERSED}
SUMMARY_STATES = {"0": SummaryState.UNCONFIRMED, "1": SummaryState.CONFIRMED, "2": SummaryState.CANCELLED}


# --- parsing helpers: the platform speaks strings -------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise _malformed(f"not a number: {value!r}") from exc


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    # §3 says yyyy-MM-dd HH:mm:ss, but validity dates (yxqq/yxqz) come as bare days (§6.3) and
    # CXSSFLBM's watermark as yyyyMMddHHmmss.
    for layout in (TIME_FORMAT, DATE_FORMAT, WATERMARK_FORMAT):
        try:
            return datetime.strptime(str(value), layout).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    raise _malformed(f"not a time: {value!r}")


def _format_time(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(SHANGHAI)
    return value.strftime(TIME_FORMAT)


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


class _MalformedAnswer(Exception):
    """A processed answer whose fields we cannot read; surfaces as UnknownOutcomeError."""


def _malformed(detail: str) -> _MalformedAnswer:
    return _MalformedAnswer(detail)


def _state(code: Any) -> RedFormState:
    try:
        return RED_FORM_STATES[str(code)]
    except KeyError as exc:
        raise _malformed(f"unknown red-letter form state {code!r}") from exc


# --- the provider -------------------------------------------------------------------------------


class LeqiProvider(TaxPlatformProvider):
    """One company's 乐企 connection. Holds credentials in memory only; never logs them."""

    name = "leqi"
    max_batch = 100
    max_block = 5000

    def __init__(
        self,
        *,
        base_url: str,
        unit_id: str,
        user_unit_id: str,
        secret_hex: str,
        taxpayer_id: str,
        sign: bool = True,
        sign_type: str = envelope.SIGN_HMAC,
        case_code: str = "",
        sandbox_flag: str = "",
        machine: Mapping[str, str] | None = None,
        region_code: str = "",
        sm2_private_key: str | None = None,
        sm2_public_key: str | None = None,
        company_id: int | None = None,
        store_id: int | None = None,
        session: requests.Session | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        tax_office_code: str = "",
    ) -> None:
        if len(secret_hex or "") != 32:
            raise errors.transport_error(errors.CLIENT_CONFIG, detail="平台密钥应为 32 位十六进制字符")
        try:
            bytes.fromhex(secret_hex)
        except ValueError:
            raise errors.transport_error(errors.CLIENT_CONFIG, detail="平台密钥应为 32 位十六进制字符") from None
        if sign and sign_type not in (envelope.SIGN_HMAC, envelope.SIGN_SM2):
            raise errors.transport_error(errors.CLIENT_CONFIG, detail=f"不支持的签名方式 {sign_type}")
        if sign and sign_type == envelope.SIGN_SM2 and not sm2_private_key:
            raise errors.transport_error(errors.CLIENT_CONFIG, detail="SM2 签名需要私钥")
        if connect_timeout is None or read_timeout is None:
            from django.conf import settings

            connect_timeout = connect_timeout or settings.TAX_PLATFORM_CONNECT_TIMEOUT
            read_timeout = read_timeout or settings.TAX_PLATFORM_READ_TIMEOUT
        self.base_url = base_url.rstrip("/")
        self.unit_id = unit_id
        self.user_unit_id = user_unit_id
        self.taxpayer_id = taxpayer_id
        self.tax_office_code = tax_office_code or taxid.province_tax_office_code(taxpayer_id)
        self.sign_type = sign_type if sign else None
        self.case_code = case_code
        self.sandbox_flag = sandbox_flag
        self.machine = dict(machine) if machine else {"ip": "127.0.0.1", "macdz": "00-00-00-00-00-00"}
        self.region_code = region_code or taxid.region_code(taxpayer_id)
        self.company_id = company_id
        self.store_id = store_id
        self.session = session
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._secret_hex = secret_hex
        self._sm2_private_key = sm2_private_key
        self._sm2_public_key = sm2_public_key
        if self.sign_type == envelope.SIGN_SM2 and not sm2_public_key:

            self._sm2_public_key = crypto.sm2_public_key_from_private(sm2_private_key)

    def __repr__(self) -> str:
        # Never the secret: reprs end up in tracebacks and job-failure pages.
        return f"<LeqiProvider unit={self.unit_id} taxpayer={self.taxpayer_id} sign={self.sign_type}>"

    @classmethod
    def for_company(cls, company, *, store=None, base_url: str | None = None) -> LeqiProvider:
        """The provider for a ``stores.models.Company``, with its secret decrypted for this call."""
        from django.conf import settings


        if not company.platform_unit_id:
            raise errors.transport_error(errors.CLIENT_CONFIG, detail=f"{company} 未配置接入单位平台编号")
        sign_type = company.platform_sign_type or envelope.SIGN_HMAC
        private_key = None
        # A credential that cannot be decrypted is a configuration problem, not a transient one.
        credential_error = getattr(credentials, "CredentialError", RuntimeError)
        try:
            secret_hex = credentials.company_platform_secret(company)
            if settings.TAX_PLATFORM_SIGN and sign_type == envelope.SIGN_SM2:
                private_key = credentials.company_sm2_private_key(company)
        except credential_error as exc:
            raise errors.transport_error(errors.CLIENT_CONFIG, detail=str(exc)) from exc
        url = base_url or settings.TAX_PLATFORM_URL
        return cls(
            case_code=settings.TAX_PLATFORM_CASE_CODE,
            sandbox_flag=settings.TAX_PLATFORM_SANDBOX_FLAG,
            machine=machine_facts(url, settings.TAX_PLATFORM_MACHINE_IP, settings.TAX_PLATFORM_MACHINE_MAC),
            base_url=url,
            unit_id=company.platform_unit_id,
            user_unit_id=company.platform_user_unit_id or company.platform_unit_id,
            secret_hex=secret_hex,
            taxpayer_id=company.tax_id,
            sign=settings.TAX_PLATFORM_SIGN,
            sign_type=sign_type,
            sm2_private_key=private_key,
            company_id=company.pk,
            store_id=getattr(store, "pk", store),
            tax_office_code=company.effective_tax_office_code,
        )

    # --- the one call path ---------------------------------------------------------------------

    def _url(self, service: str) -> str:
        return f"{self.base_url}/access/v2/invoke/{envelope.CAPABILITY}/{service}/"

    def _call(
        self,
        service: str,
        payload: dict | list,
        *,
        refs: list[str],
        parse: Callable[[dict], Any],
        answer_refs: Callable[[dict], list[str]] | None = None,
    ):
        """Seal, send, open, classify, parse — and write the exchange row whatever happens."""
        from django.utils import timezone

        trace_id = uuid_lib.uuid4().hex
        record = ExchangeRecord(
            created_at=timezone.now(),
            provider=self.name,
            service=service,
            company_id=self.company_id,
            store_id=self.store_id,
            unit_id=self.unit_id,
            trace_id=trace_id,
            request=payload,
            refs=list(refs),
        )
        started = time.monotonic()
        try:
            data = self._exchange(service, payload, trace_id=trace_id, record=record)
            try:
                result = parse(data)
            except (_MalformedAnswer, KeyError, TypeError, ValueError) as exc:
                logger.warning("unreadable %s answer trace_id=%s: %s", service, trace_id, exc)
                raise errors.transport_error(
                    errors.BAD_RESPONSE, service=service, http_status=record.http_status
                ) from exc
            if answer_refs is not None:
                record.refs.extend(ref for ref in answer_refs(data) if ref and ref not in record.refs)
            record.outcome = "ok"
            return result
        except errors.TaxPlatformError as exc:
            record.outcome = exc.outcome
            record.return_code = exc.code
            record.return_message = exc.message
            logger.info(
                "tax platform %s failed: %s %s trace_id=%s company=%s",
                service,
                exc.outcome,
                exc.code,
                trace_id,
                self.company_id,
            )
            raise
        finally:
            record.duration_ms = int((time.monotonic() - started) * 1000)
            record_exchange(record)

    def _exchange(self, service: str, payload: dict | list, *, trace_id: str, record: ExchangeRecord) -> dict:
        sealed = envelope.seal_request(
            service=service,
            payload=payload,
            secret_hex=self._secret_hex,
            unit_id=self.unit_id,
            user_unit_id=self.user_unit_id,
            trace_id=trace_id,
            case_code=self.case_code,
            sandbox_flag=self.sandbox_flag,
            sign_type=self.sign_type,
            sm2_private_key=self._sm2_private_key,
            sm2_public_key=self._sm2_public_key,
        )
        answer = transport.post(
            url=self._url(service),
            body=sealed.body,
            headers=sealed.headers,
            service=service,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            session=self.session,
        )
        record.http_status = answer.status
        try:
            opened = envelope.open_response(text=answer.content, secret_hex=self._secret_hex)
        except envelope.EnvelopeError as exc:
            raise errors.transport_error(errors.BAD_RESPONSE, service=service, http_status=answer.status) from exc
        if opened is None:
            # No platform body: a proxy, a load balancer or a crashed server answered.
            if answer.status >= 500:
                raise errors.transport_error(errors.HTTP_5XX, service=service, http_status=answer.status)
            if 400 <= answer.status < 500:
                raise errors.transport_error(errors.HTTP_4XX, service=service, http_status=answer.status)
            raise errors.transport_error(errors.BAD_RESPONSE, service=service, http_status=answer.status)
        if opened.error is not None:
            record.response = opened.error
            raise errors.error_for_code(
                code=opened.error["Code"],
                message=opened.error["Message"],
                service=service,
                http_status=answer.status,
                request_id=opened.request_id,
            )
        data = opened.data
        record.response = data
        record.return_code = str(data.get("returncode", ""))
        record.return_message = str(data.get("returnmsg", ""))
        if record.return_code != "00":
            raise errors.BusinessError(
                code=record.return_code,
                message=record.return_message or "税务平台拒绝了请求",
                service=service,
                http_status=answer.status,
                request_id=opened.request_id,
            )
        return data

    # --- numbers and quota ----------------------------------------------------------------------

    def fetch_number_block(self, *, count: int, request_serial: str) -> NumberBlock:
        if not 1 <= count <= self.max_block:
            raise ValueError(f"count must be 1..{self.max_block}")

        def parse(data: dict) -> NumberBlock:
            return NumberBlock(
                first_number=str(data["qshm"]),
                last_number=str(data["zzhm"]),
                count=int(data["lysl"]),
                request_serial=request_serial,
            )

        return self._call(
            NUMBER_BLOCK,
            {"nsrsbh": self.taxpayer_id, "lysl": count, "ywlsh": request_serial},
            refs=[request_serial],
            parse=parse,
            answer_refs=lambda d: [str(d.get("qshm", "")), str(d.get("zzhm", ""))],
        )

    def query_quota(self) -> Quota:
        def parse(data: dict) -> Quota:
            return Quota(
                total=_decimal(data["zsxed"]),
                downloaded_unused=_decimal(data["yxzsxed"]),
                downloadable=_decimal(data["kyxzsxed"]),
                used=_decimal(data["ysyed"]),
            )

        return self._call(QUOTA_QUERY, {"nsrsbh": self.taxpayer_id}, refs=[], parse=parse)

    def download_quota(
        self, *, amount: Decimal, request_serial: str, direction: QuotaDirection = QuotaDirection.DOWNLOAD
    ) -> QuotaTransfer:
        if amount <= 0:
            raise ValueError("amount must be positive")
        code = "0" if direction == QuotaDirection.DOWNLOAD else "1"

        def parse(data: dict) -> QuotaTransfer:
            return QuotaTransfer(
                direction=QuotaDirection.DOWNLOAD if str(data.get("sqlx", code)) == "0" else QuotaDirection.GIVE_BACK,
                amount=_decimal(data["sqed"]),
                downloaded_unused=_decimal(data["yxzsxed"]),
            )

        return self._call(
            QUOTA_TRANSFER,
            {"nsrsbh": self.taxpayer_id, "ptbh": self.unit_id, "sqlx": code, "sqed": _money(amount),
             "ywlsh": request_serial},
            refs=[request_serial],
            parse=parse,
        )

    # --- reference data -------------------------------------------------------------------------

    def taxpayer_info(self) -> TaxpayerInfo:
        def parse(data: dict) -> TaxpayerInfo:
            return TaxpayerInfo(
                tax_id=str(data["nsrsbh"]),
                name=str(data.get("nsrmc", "")),
                status_code=str(data["nsrztdm"]),
                status_name=str(data.get("nsrztmc", "")),
                address=str(data.get("scjydz", "")),
            )

        return self._call(TAXPAYER_INFO, {"nsrsbh": self.taxpayer_id}, refs=[], parse=parse)

    def usable_rates(self) -> tuple[TaxRate, ...]:
        def parse(data: dict) -> tuple[TaxRate, ...]:
            return tuple(TaxRate(rate=_decimal(item["slv"]), label=str(item.get("mc", ""))) for item in data["slList"])

        # The public clients send an empty body: the unit is known from the headers.
        return self._call(USABLE_RATES, {}, refs=[], parse=parse)

    def tax_codes(self, *, since: datetime | None = None, page_no: int = 1, page_size: int = 1000) -> TaxCodePage:
        if not 1 <= page_size <= 1000 or page_no < 1:
            raise ValueError("page_no ≥ 1 and page_size 1..1000")
        payload: dict = {"nsrsbh": self.taxpayer_id, "sjc": "", "sjswjgdm": self.tax_office_code,
                         "pageNo": page_no, "pageSize": page_size}
        if since is not None:
            payload["sjc"] = (since.astimezone(SHANGHAI) if since.tzinfo else since).strftime(WATERMARK_FORMAT)

        def parse(data: dict) -> TaxCodePage:
            codes = tuple(
                TaxCode(
                    code=str(item["sphfwssflhbbm"]),
                    name=str(item.get("spmc", "")),
                    short_name=str(item.get("spjc", "")),
                    description=str(item.get("sm", "")),
                    rates=tuple(_decimal(rate) for rate in item.get("slList") or ()),
                    preferential_policies=tuple(str(p) for p in item.get("yhzcbsList") or ()),
                    is_summary=str(item.get("hzx", "N")).upper() == "Y",
                    valid_from=_time(item.get("yxqq")),
                    valid_to=_time(item.get("yxqz")),
                )
                for item in data.get("ssflbmList") or ()
            )
            return TaxCodePage(
                total=int(data.get("total", len(codes))),
                page_no=page_no,
                page_size=page_size,
                watermark=_time(data.get("sjc")),
                codes=codes,
            )

        return self._call(TAX_CODES, payload, refs=[], parse=parse)

    # --- uploads --------------------------------------------------------------------------------

    def upload_invoices(self, *, invoices: Sequence[Mapping]) -> UploadAccepted:
        if not 1 <= len(invoices) <= self.max_batch:
            raise ValueError(f"an upload takes 1..{self.max_batch} invoices")
        numbers = tuple(str(invoice.get("fphm", "")) for invoice in invoices)
        # The body is the list itself; each invoice names this unit and the issuing machine.
        body = [{"ptbh": self.unit_id, "qyDm": self.region_code, **self.machine, **dict(invoice)} for invoice in invoices]

        def parse(data: dict) -> UploadAccepted:
            serial = str(data["sllsh"])
            if not serial:
                raise _malformed("empty sllsh")
            return UploadAccepted(acceptance_serial=serial, invoice_numbers=numbers)

        return self._call(
            UPLOAD,
            body,
            refs=list(numbers),
            parse=parse,
            answer_refs=lambda d: [str(d.get("sllsh", ""))],
        )

    def upload_result(self, *, acceptance_serial: str) -> UploadResult:
        def parse(data: dict) -> UploadResult:
            processing = str(data.get("status", "")) == "01"
            outcomes = []
            for item in data.get("fpjgList") or ():
                status = UPLOAD_OUTCOMES.get(str(item.get("status")))
                if status is None:
                    raise _malformed(f"unknown invoice status {item.get('status')!r}")
                outcomes.append(
                    InvoiceOutcome(
                        number=str(item["fphm"]),
                        status=status,
                        message=str(item.get("returnmsg", "")),
                        total_with_tax=_decimal(item.get("jshj")),
                        issued_at=_time(item.get("kprq")),
                    )
                )
            return UploadResult(
                acceptance_serial=str(data.get("sllsh") or acceptance_serial),
                processing=processing,
                outcomes=tuple(outcomes),
            )

        return self._call(
            UPLOAD_RESULT,
            {"sllsh": acceptance_serial},
            refs=[acceptance_serial],
            parse=parse,
            answer_refs=lambda d: [str(item.get("fphm", "")) for item in d.get("fpjgList") or ()],
        )

    # --- red-letter confirmation forms ------------------------------------------------------------

    def red_form_apply(self, *, application: RedFormApplication) -> RedFormReceipt:
        payload = {
            "lrfsf": "0",
            "xsfnsrsbh": self.taxpayer_id,
            "xsfmc": application.seller_name,
            "gmfnsrsbh": application.buyer_tax_id,
            "gmfmc": application.buyer_name,
            "lzfpdm": "",
            "lzfphm": application.blue_invoice_number,
            "sfzzfpbz": "N",
            "lzkprq": _format_time(application.blue_issued_at) if application.blue_issued_at else "",
            "lzhjje": _money(application.blue_amount) if application.blue_amount is not None else "",
            "lzhjse": _money(application.blue_tax) if application.blue_tax is not None else "",
            "lzfppzDm": application.blue_type,
            "lzfpTdyslxDm": "",
            "hzcxje": _money(application.amount),
            "hzcxse": _money(application.tax),
            "chyyDm": RED_REASONS[application.reason],
            "hzqrdmxList": [_red_line_payload(line, position) for position, line in enumerate(application.lines, 1)],
        }

        def parse(data: dict) -> RedFormReceipt:
            return RedFormReceipt(
                uuid=str(data["uuid"]),
                form_number=str(data.get("hzqrxxdbh", "")),
                state=_state(data["hzqrxxztDm"]),
                expires_at=_time(data.get("yxqz")),
            )

        return self._call(
            RED_FORM_APPLY,
            payload,
            refs=[application.blue_invoice_number],
            parse=parse,
            answer_refs=lambda d: [str(d.get("uuid", "")), str(d.get("hzqrxxdbh", ""))],
        )

    def red_form_confirm(self, *, uuid: str, form_number: str, action: RedFormAction) -> RedFormConfirmation:
        def parse(data: dict) -> RedFormConfirmation:
            return RedFormConfirmation(uuid=str(data.get("uuid") or uuid), state=_state(data["hzqrxxztDm"]))

        return self._call(
            RED_FORM_CONFIRM,
            {"xsfnsrsbh": self.taxpayer_id, "uuid": uuid, "hzqrdbh": form_number, "qrlx": RED_FORM_ACTIONS[action]},
            refs=[uuid, form_number],
            parse=parse,
        )

    def red_form_list(
        self,
        *,
        entered_from: datetime | None = None,
        entered_to: datetime | None = None,
        state: RedFormState | None = None,
        page_no: int = 1,
        page_size: int = 50,
    ) -> RedFormPage:
        # As the seller (yhjslx 0): the forms of this unit's invoices, whoever entered them.
        payload: dict = {"yhjslx": "0", "xsfnsrsbh": self.taxpayer_id, "pageNumber": page_no, "pageSize": page_size}
        if entered_from is not None:
            payload["lrrqq"] = _format_time(entered_from)
        if entered_to is not None:
            payload["lrrqz"] = _format_time(entered_to)
        if state is not None:
            payload["hzqrxxztDm"] = RED_FORM_STATE_CODES[state]

        def parse(data: dict) -> RedFormPage:
            forms = tuple(_red_form_summary(item) for item in data.get("list") or ())
            return RedFormPage(total=int(data.get("total", len(forms))), forms=forms)

        return self._call(RED_FORM_LIST, payload, refs=[], parse=parse)

    def red_form_detail(self, *, uuid: str) -> RedFormDetail:
        def parse(data: dict) -> RedFormDetail:
            summary = _red_form_summary(data)
            reason_code = str(data.get("chyyDm", ""))
            return RedFormDetail(
                **summary.__dict__,
                reason=RED_REASON_BY_CODE.get(reason_code),
                lines=tuple(_red_line(item) for item in data.get("hzqrdmxList") or ()),
            )

        return self._call(
            RED_FORM_DETAIL,
            {"xsfnsrsbh": self.taxpayer_id, "uuid": uuid},
            refs=[uuid],
            parse=parse,
            answer_refs=lambda d: [str(d.get("hzqrxxdbh", "")), str(d.get("lzfphm", ""))],
        )

    # --- invoice status -------------------------------------------------------------------------

    def invoice_status(self, *, number: str) -> InvoiceStatus:
        def parse(data: dict) -> InvoiceStatus:
            state = INVOICE_STATES.get(str(data["fpzt"]))
            if state is None:
                raise _malformed(f"unknown invoice state {data['fpzt']!r}")
            return InvoiceStatus(
                number=str(data.get("fphm") or number),
                state=state,
                booked_by_buyer=str(data.get("gxzt", "N")).upper() == "Y",
                total_with_tax=_decimal(data.get("jshj")),
                issued_at=_time(data.get("kprq")),
                reversed_amount=_decimal(data.get("yhcje")) or Decimal("0.00"),
            )

        return self._call(INVOICE_STATUS, {"nsrsbh": self.taxpayer_id, "fphm": number}, refs=[number], parse=parse)


    # --- monthly summary confirmation (汇总确认) -------------------------------------------------------

    def _summary_request(self, month: str, ywlx: str) -> dict:
        if not self.tax_office_code:
            raise errors.transport_error(errors.CLIENT_CONFIG, detail="未配置省级税务机关代码")
        return {"xsfnsrsbh": self.taxpayer_id, "xsfsjswjgdm": self.tax_office_code, "ywlx": ywlx,
                "ptbh": self.unit_id, "yf": month}

    def month_summary(self, *, month: str, page_no: int = 1, page_size: int = 100) -> MonthSummary:
        payload = {**self._summary_request(month, "0"), "pageNumber": page_no, "pageSize": page_size}

        def parse(data: dict) -> MonthSummary:
            invoices = tuple(
                SummaryInvoice(
                    number=str(item["fphm"]),
                    is_red=str(item.get("lzfpbz", "0")) == "1",
                    amount=_decimal(item["hjje"]),
                    tax=_decimal(item["hjse"]),
                    issued_at=_time(item.get("kprq")),
                )
                for item in data.get("fpList") or ()
            )
            return MonthSummary(
                month=str(data.get("yf") or month),
                state=_summary_state(data.get("qrzt")),
                state_at=_time(data.get("qrsj")),
                figures=_month_figures(data),
                total=int(data.get("total", len(invoices))),
                page_no=int(data.get("pageNumber", page_no)),
                page_size=int(data.get("pageSize", page_size)),
                invoices=invoices,
            )

        return self._call(SUMMARY_QUERY, payload, refs=[month], parse=parse)

    def month_summary_confirm(self, *, month: str, figures: MonthFigures) -> SummaryReceipt:
        payload = {
            **self._summary_request(month, "0"),
            "lzfpsl": figures.blue_count, "lzfpje": _money(figures.blue_amount), "lzfpse": _money(figures.blue_tax),
            "hzfpsl": figures.red_count, "hzfpje": _money(figures.red_amount), "hzfpse": _money(figures.red_tax),
        }
        return self._call(SUMMARY_UPLOAD, payload, refs=[month], parse=lambda data: _summary_receipt(data, month))

    def month_summary_cancel(self, *, month: str) -> SummaryReceipt:
        return self._call(SUMMARY_UPLOAD, self._summary_request(month, "1"), refs=[month],
                          parse=lambda data: _summary_receipt(data, month))


def _summary_state(code: Any) -> SummaryState:
    try:
        return SUMMARY_STATES[str(code)]
    except KeyError as exc:
        raise _malformed(f"unknown summary state {code!r}") from exc


def _month_figures(data: dict) -> MonthFigures:
    return MonthFigures(
        blue_count=int(data["lzfpsl"]), blue_amount=_decimal(data["lzfpje"]), blue_tax=_decimal(data["lzfpse"]),
        red_count=int(data["hzfpsl"]), red_amount=_decimal(data["hzfpje"]), red_tax=_decimal(data["hzfpse"]),
    )


def _summary_receipt(data: dict, month: str) -> SummaryReceipt:
    return SummaryReceipt(month=str(data.get("yf") or month), state=_summary_state(data.get("qrzt")),
                          state_at=_time(data.get("qrsj")))


def _red_line_payload(line: RedFormLine, position: int) -> dict:
    return {
        "lzmxxh": line.blue_line_no,
        "xh": position,
        "sphfwssflhbbm": line.tax_code,
        "hwhyslwfwmc": line.full_name,
        "spfwjc": line.short_name,
        "xmmc": line.item_name,
        "ggxh": line.spec,
        "dw": line.unit,
        "fpspsl": _plain(line.quantity),
        "fpspdj": _plain(line.unit_price),
        "je": _money(line.amount),
        "sl1": _plain(line.tax_rate),
        "se": _money(line.tax),
    }


def _red_line(item: dict) -> RedFormLine:
    return RedFormLine(
        blue_line_no=int(item["lzmxxh"]),
        item_name=str(item.get("xmmc", "")),
        tax_code=str(item.get("sphfwssflhbbm", "")),
        amount=_decimal(item["je"]),
        tax_rate=_decimal(item["sl1"]),
        tax=_decimal(item["se"]),
        spec=str(item.get("ggxh", "")),
        unit=str(item.get("dw", "")),
        quantity=_decimal(item.get("fpspsl")),
        unit_price=_decimal(item.get("fpspdj")),
        full_name=str(item.get("hwhyslwfwmc", "")),
        short_name=str(item.get("spfwjc", "")),
    )


def _red_form_summary(item: dict) -> RedFormSummary:
    flag = item.get("ykjhzfpbz")
    return RedFormSummary(
        uuid=str(item["uuid"]),
        form_number=str(item.get("hzqrxxdbh", "")),
        state=_state(item["hzqrxxztDm"]),
        entered_by=ENTERED_BY.get(str(item.get("lrfsf", ""))),
        blue_invoice_number=str(item.get("lzfphm", "")),
        amount=_decimal(item.get("hzcxje")),
        tax=_decimal(item.get("hzcxse")),
        entered_at=_time(item.get("lrrq")),
        expires_at=_time(item.get("yxqz")),
        red_invoice_issued=str(flag).upper() in {"Y", "1", "TRUE"},
    )
