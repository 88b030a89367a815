"""What went wrong in a call to the tax platform, sorted by what the caller may do next.

There are three things a caller can do after a failed call, so there are three classes:

- ``RetryableError`` — the platform certainly did not act (busy, throttled, down, nothing
  arrived): the job queue may send the very same request again later.
- ``UnknownOutcomeError`` — the request may have arrived and been acted on (read timeout,
  connection dropped after sending, garbage back): the caller must *query* first (upload
  result, invoice status, the same ``ywlsh`` again) and never send the invoices as new ones.
- ``PermanentError`` — sending it again will fail again (bad signature, bad key, invalid
  field, business refusal): a person or the data must change first. ``BusinessError`` is the
  permanent subclass for a ``returncode`` other than ``"00"`` in the decrypted answer.

``ERROR_CLASSES`` is the one table from a code to a class; ``error_for_code`` applies it.
"""

from __future__ import annotations


class TaxPlatformError(Exception):
    """Base class: ``code`` (the platform's or ours), ``message`` (Chinese), ``service`` (fwbm)."""

    #: Value of ``audit.models.Exchange.outcome`` for a call that ended with this error.
    outcome = "permanent"

    def __init__(
        self,
        *,
        code: str,
        message: str,
        service: str = "",
        http_status: int | None = None,
        request_id: str = "",
    ) -> None:
        super().__init__(f"[{service or '-'}] {code}: {message}")
        self.code = code
        self.message = message
        self.service = service
        self.http_status = http_status
        self.request_id = request_id

    @property
    def retryable(self) -> bool:
        return False


class RetryableError(TaxPlatformError):
    """The platform did not act; the same request may be sent again later."""

    outcome = "retryable"

    @property
    def retryable(self) -> bool:
        return True


class UnknownOutcomeError(TaxPlatformError):
    """The request may have been acted on: query before doing anything else, never resend as new."""

    outcome = "unknown"


class PermanentError(TaxPlatformError):
    """Sending the same request again will fail again."""

    outcome = "permanent"


class BusinessError(PermanentError):
    """The platform processed the call and refused it (``returncode`` ≠ ``"00"``)."""

    outcome = "business_error"


# Codes of our own for failures that never reached the platform's answer. They are written to
# Exchange.return_code (≤ 20 characters) next to the platform's codes.
CONNECT_FAILED = "CONNECT_FAILED"
CONNECT_TIMEOUT = "CONNECT_TIMEOUT"
HTTP_5XX = "HTTP_5XX"
HTTP_4XX = "HTTP_4XX"
READ_TIMEOUT = "READ_TIMEOUT"
CONNECTION_DROPPED = "CONNECTION_DROPPED"
BAD_RESPONSE = "BAD_RESPONSE"
CLIENT_CONFIG = "CLIENT_CONFIG"

ERROR_CLASSES: dict[str, type[TaxPlatformError]] = {
    # Gateway refusals (Error.Code), docs/tax-platform.md §4.
    "1001": PermanentError,  # 签名验证失败
    "1002": PermanentError,  # 时间戳超出允许范围 — our clock is wrong; resending will not fix it
    "1003": PermanentError,  # nonce 已使用
    "1004": PermanentError,  # 接入单位不存在或未启用
    "1005": PermanentError,  # 报文解密失败
    "1006": PermanentError,  # 请求头缺失或格式错误
    "1007": PermanentError,  # 服务不存在
    "2001": RetryableError,  # 当前访问请求较多（限流）
    "2002": RetryableError,  # 系统繁忙
    "2003": RetryableError,  # 系统维护中
    # Business refusals (returncode in Data).
    "01": BusinessError,  # 参数不合法
    "10": BusinessError,  # 纳税人识别号与接入单位不符
    "11": BusinessError,  # ywlsh 重复且内容不同
    "12": BusinessError,  # 额度不足
    "13": BusinessError,  # 单次上传发票数量超限
    "14": BusinessError,  # 受理流水号不存在或已过期
    "15": BusinessError,  # 发票不存在
    "16": BusinessError,  # 红字规则不符
    "17": BusinessError,  # 确认单状态不允许该操作
    # Transport, classified by us.
    CONNECT_FAILED: RetryableError,
    CONNECT_TIMEOUT: RetryableError,
    HTTP_5XX: RetryableError,
    HTTP_4XX: PermanentError,
    READ_TIMEOUT: UnknownOutcomeError,
    CONNECTION_DROPPED: UnknownOutcomeError,
    BAD_RESPONSE: UnknownOutcomeError,
    CLIENT_CONFIG: PermanentError,
}

TRANSPORT_MESSAGES = {
    CONNECT_FAILED: "无法连接税务平台，请求未送达，稍后将自动重试",
    CONNECT_TIMEOUT: "连接税务平台超时，请求未送达，稍后将自动重试",
    HTTP_5XX: "税务平台网关暂时不可用（HTTP {status}），请求未被处理，稍后将自动重试",
    HTTP_4XX: "税务平台拒绝了请求（HTTP {status}），请检查平台地址配置",
    READ_TIMEOUT: "等待税务平台应答超时，请求可能已被处理，请先查询结果，切勿重新开具",
    CONNECTION_DROPPED: "请求发出后与税务平台的连接中断，请求可能已被处理，请先查询结果，切勿重新开具",
    BAD_RESPONSE: "税务平台的应答无法解析，请求可能已被处理，请先查询结果，切勿重新开具",
    CLIENT_CONFIG: "税务平台接入配置有误：{detail}",
}


def class_for_code(code: str) -> type[TaxPlatformError]:
    """The class for a code; unknown codes fall back by family, never to 'retry blindly'."""
    if code in ERROR_CLASSES:
        return ERROR_CLASSES[code]
    if len(code) == 4 and code.startswith("2"):
        # 2xxx is the gateway's "try later" family: it refused before any business processing.
        return RetryableError
    if len(code) == 4 and code.isdigit():
        return PermanentError
    return BusinessError


def error_for_code(
    *, code: str, message: str, service: str = "", http_status: int | None = None, request_id: str = ""
) -> TaxPlatformError:
    return class_for_code(code)(
        code=code, message=message, service=service, http_status=http_status, request_id=request_id
    )


def transport_error(
    code: str, *, service: str = "", http_status: int | None = None, detail: str = ""
) -> TaxPlatformError:
    """An error of our own classification, with the Chinese message that tells the user what happens next."""
    message = TRANSPORT_MESSAGES[code].format(status=http_status, detail=detail)
    return ERROR_CLASSES[code](code=code, message=message, service=service, http_status=http_status)
