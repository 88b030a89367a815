"""Request signing for the integration API (docs/api.md, "Signing").

Signed string: ``METHOD \\n PATH?QUERY \\n X-Timestamp \\n X-Nonce \\n hex(sha256(body))``;
``X-Signature`` = hex HMAC-SHA256 of it keyed with the key's secret (the UTF-8 bytes of the
64-hex-character secret). Timestamp within ±300 s; a nonce is refused when seen again for the
key within 10 minutes (Redis ``SET NX`` with a TTL).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time

import django_rq
from django.utils import timezone
from redis.exceptions import RedisError

from invoicing.api.parse import ApiError
from invoicing.integrations.apikeys import api_key_secret
from invoicing.models import ApiKey

logger = logging.getLogger(__name__)

TIMESTAMP_WINDOW = 300
NONCE_TTL = 600
NONCE = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")
TIMESTAMP = re.compile(r"^[0-9]{1,12}$")  # ASCII digits: int() of 5,000 digits raises, "١٢" is a digit to isdigit()
KEY_ID = re.compile(r"^kp_[0-9a-f]{24}$")  # checked before the query: a NUL in a header is a DataError there


class AuthFailed(Exception):
    def __init__(self, error: ApiError):
        super().__init__(error.message)
        self.error = error


def _fail(code: str, message: str, field: str = ""):
    raise AuthFailed(ApiError(code=code, message=message, field=field))


def string_to_sign(*, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join([method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()])


def signature(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def authenticate(request, body: bytes) -> ApiKey:
    """The active key that signed this request, or AuthFailed with the reason."""
    headers = request.headers
    key_id = headers.get("X-Key-Id", "")
    timestamp = headers.get("X-Timestamp", "")
    nonce = headers.get("X-Nonce", "")
    given = headers.get("X-Signature", "")
    for name, value in (("X-Key-Id", key_id), ("X-Timestamp", timestamp), ("X-Nonce", nonce),
                        ("X-Signature", given)):
        if not value:
            _fail("auth_header_missing", f"缺少请求头 {name}，请按接口文档签名", name)
    if not TIMESTAMP.match(timestamp) or abs(int(timestamp) - time.time()) > TIMESTAMP_WINDOW:
        _fail("auth_timestamp", "X-Timestamp 应为当前 Unix 秒数，且与服务器时间相差不超过300秒；请校准时钟", "X-Timestamp")
    if not NONCE.match(nonce):
        _fail("auth_nonce_format", "X-Nonce 应为16–64位字母、数字、_ 或 -，每个请求不同", "X-Nonce")
    key = (ApiKey.objects.select_related("store__company").filter(key_id=key_id).first()
           if KEY_ID.match(key_id) else None)
    if key is None or key.revoked_at is not None or not key.store.is_active:
        _fail("auth_key_invalid", "API 密钥不存在或已停用，请在门店设置中确认 Key ID", "X-Key-Id")
    path = request.get_full_path()
    expected = signature(api_key_secret(key), string_to_sign(
        method=request.method, path=path, timestamp=timestamp, nonce=nonce, body=body))
    if not hmac.compare_digest(expected, given.lower()):
        _fail("auth_signature", "签名验证失败：请用 API 密钥按接口文档计算 X-Signature（注意路径、时间戳、随机串与请求体）",
              "X-Signature")
    if not _nonce_fresh(key.key_id, nonce):
        _fail("auth_nonce_replayed", "X-Nonce 已使用过（疑似重放），每个请求须使用新的随机串", "X-Nonce")
    return key


def _nonce_fresh(key_id: str, nonce: str) -> bool:
    """SET NX in Redis; when Redis is down the check is skipped (logged): replays are still harmless,
    because orders and refunds are idempotent by order_no / refund_id, and the order must not be lost."""
    try:
        connection = django_rq.get_connection("default")
        return bool(connection.set(f"kaipiao:api-nonce:{key_id}:{nonce}", "1", nx=True, ex=NONCE_TTL))
    except (RedisError, OSError) as exc:
        logger.warning("nonce check skipped for key %s, Redis unavailable: %s", key_id, exc)
        return True


def touch(key: ApiKey) -> None:
    """Record last use at most once a minute (keeps the hot path free of writes)."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
