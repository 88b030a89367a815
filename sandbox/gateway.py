"""The platform's envelope: headers, timestamp, SM4 body, signature, nonce, throttling, faults.

Everything a call goes through before a service sees its JSON, and the wrapping of the answer.
Refusals use the codes and texts of docs/tax-platform.md §4.
"""

from __future__ import annotations

import binascii
import json
import logging
import re
import socket
import struct
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpResponse, StreamingHttpResponse
from redis.exceptions import RedisError

from invoicing.taxapi import crypto
from sandbox import services, state
from sandbox.models import Unit

logger = logging.getLogger(__name__)

CAPABILITY = "202007"
TIMESTAMP_WINDOW_S = 300
NONCE_TTL_S = 600
NONCE_RE = re.compile(r"^[0-9A-Za-z_-]{16,64}$")

GATEWAY_ERRORS = {
    "1001": (401, "签名验证失败"),
    "1002": (401, "时间戳超出允许范围（±300秒）"),
    "1003": (401, "请求重复（nonce 已使用）"),
    "1004": (401, "接入单位不存在或未启用"),
    "1005": (400, "报文解密失败，请检查密钥与报文"),
    "1006": (400, "请求头缺失或格式错误："),
    "1007": (404, "服务不存在："),
    "2001": (429, "当前访问请求较多，请5分钟后重试"),
    "2002": (503, "系统繁忙，请稍后重试"),
    "2003": (503, "系统维护中，请稍后重试"),
}


class GatewayError(Exception):
    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.status, message = GATEWAY_ERRORS[code]
        self.message = message + detail


@dataclass
class Call:
    unit: Unit
    payload: dict | list


def handle(request, *, nlbm: str | None, fwbm: str) -> HttpResponse:
    """Answer one platform call (``POST {base}/access/v2/invoke/{nlbm}/{fwbm}/``).

    ``nlbm`` is None for the services called without a capability in the path (the virtual-company
    services, ``POST {base}/access/v2/invoke/{fwbm}/``).
    """
    request_id = uuid.uuid4().hex
    try:
        if state.fault_take("refuse_connections", fwbm):
            return abort_connection(request)
        latency = state.fault_take("latency_ms", fwbm)
        if latency:
            time.sleep(float(latency) / 1000)
        if state.fault_take("maintenance", fwbm):
            raise GatewayError("2003")
        if state.fault_busy(fwbm):
            raise GatewayError("2002")
        call = authenticate(request, nlbm=nlbm, fwbm=fwbm)
        throttle(call.unit, nlbm=nlbm, fwbm=fwbm)
        data = services.dispatch(fwbm, unit=call.unit, payload=call.payload)
    except GatewayError as error:
        return _error_response(request_id, error)
    except (RedisError, DatabaseError) as error:
        # The platform's own stores failing (Redis holds nonces and throttles): it answers its
        # 系统繁忙 body, which a client retries, never a bare HTTP 500 (issue 13, row 12).
        logger.exception("sandbox %s: %s unavailable, answered 2002", fwbm, type(error).__name__)
        return _error_response(request_id, GatewayError("2002"))
    if fwbm == "QDFPSC" and data.get("returncode") == "00" and state.fault_take("drop_after_upload", fwbm):
        # The upload is stored (committed); the caller never hears about it.
        return abort_connection(request)
    body = crypto.encrypt_body(call.unit.secret, json.dumps(data, ensure_ascii=False, default=_json_default).encode())
    return _answer(200, {"Response": {"RequestId": request_id, "Data": body}})


def authenticate(request, *, nlbm: str, fwbm: str) -> Call:
    headers = request.headers
    for name in ("fwbm", "nlbm", "jrdwptbh", "sydwptbh", "ptlx", "timestamp", "nonce"):
        if not headers.get(name):
            raise GatewayError("1006", name)
    if headers["fwbm"] != fwbm:
        raise GatewayError("1006", "fwbm")
    if nlbm is not None and headers["nlbm"] != nlbm:
        raise GatewayError("1006", "nlbm")
    if headers["ptlx"] != "0":
        raise GatewayError("1006", "ptlx")
    if len(headers.get("clientTid") or "") > 32:
        raise GatewayError("1006", "clientTid")
    if not NONCE_RE.match(headers["nonce"]):
        raise GatewayError("1006", "nonce")
    if not headers["timestamp"].isdigit():
        raise GatewayError("1006", "timestamp")
    if nlbm is None:
        if fwbm not in services.WITHOUT_CAPABILITY:
            raise GatewayError("1007", fwbm)
    elif nlbm != CAPABILITY or fwbm not in services.SERVICES or fwbm in services.WITHOUT_CAPABILITY:
        raise GatewayError("1007", fwbm)

    unit = Unit.objects.filter(jrdwptbh=headers["jrdwptbh"]).first()
    if unit is None or unit.sydwptbh != headers["sydwptbh"]:
        raise GatewayError("1004")
    if abs(state.now().timestamp() - int(headers["timestamp"]) / 1000) > TIMESTAMP_WINDOW_S:
        raise GatewayError("1002")

    body_text = request.body.decode("utf-8", errors="replace")
    try:
        payload = json.loads(crypto.decrypt_body(unit.secret, body_text.strip()).decode("utf-8"), parse_float=Decimal)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise GatewayError("1005") from None
    # QDFPSC's body is the list of invoices itself; every other service takes an object.
    if not isinstance(payload, list if fwbm in services.LIST_BODY else dict):
        raise GatewayError("1005")

    # Django's own servers drop header names with "_"; runsandbox keeps them (see the doc, §1).
    signature = headers.get("access_signature") or headers.get("access-signature") or ""
    # A client may send both spellings (servers differ in which they keep); a WSGI server that
    # keeps both folds them into one value joined by a comma. Identical copies are one signature.
    copies = {part.strip() for part in signature.split(",")}
    signature = copies.pop() if len(copies) == 1 else signature
    message = crypto.signing_string(service=fwbm, timestamp=headers["timestamp"], nonce=headers["nonce"], body_b64=body_text)
    if unit.sign_type == Unit.SIGN_SM2:
        valid = bool(signature) and crypto.sm2_verify(unit.public_key, message, signature)
    else:
        valid = bool(signature) and crypto.verify_hmac(unit.secret, message, signature)
    if not valid:
        raise GatewayError("1001")
    # Only a correctly signed call uses up its nonce, so that nobody can burn a unit's nonces.
    if not cache.add(f"sandbox:nonce:{unit.pk}:{headers['nonce']}", 1, timeout=NONCE_TTL_S):
        raise GatewayError("1003")
    return Call(unit=unit, payload=payload)


def throttle(unit: Unit, *, nlbm: str, fwbm: str) -> None:
    """Per (unit, capability) and second, as the real platform counts."""
    rate = state.throttle_rate(fwbm)
    key = f"sandbox:throttle:{unit.pk}:{nlbm}:{int(time.time())}"
    cache.add(key, 0, timeout=5)
    try:
        count = cache.incr(key)
    except ValueError:  # the key went between add and incr (expired, or Redis restarted empty)
        cache.add(key, 1, timeout=5)
        count = 1
    if count > rate:
        raise GatewayError("2001")


def abort_connection(request) -> HttpResponse:
    """Close the client's connection without any answer (faults refuse_connections, drop_after_upload).

    With Django's WSGI servers (runsandbox, runserver, the test live server) the socket is reset
    here; under any server the response then fails while being written, so no answer is sent.
    """
    sock = _client_socket(request)
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            logger.debug("sandbox: socket already closed while aborting")

    def _never():
        raise ConnectionAbortedError("sandbox fault: connection dropped")
        yield b""  # pragma: no cover - makes this a generator

    return StreamingHttpResponse(_never(), content_type="application/json")


def _client_socket(request):
    """The client's socket under Django's WSGI servers (wsgi.input wraps the socket's reader)."""
    stream = request.META.get("wsgi.input")
    reader = getattr(getattr(stream, "_read", None), "__self__", None) or getattr(stream, "stream", None)
    sock = getattr(getattr(reader, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _error_response(request_id: str, error: GatewayError) -> HttpResponse:
    return _answer(error.status, {"Response": {"RequestId": request_id, "Error": {"Code": error.code, "Message": error.message}}})


def _answer(status: int, body: dict) -> HttpResponse:
    """The outer answer; like the real platform, ``body`` is JSON text inside the JSON."""
    content = {"httpStatusCode": str(status), "body": json.dumps(body, ensure_ascii=False)}
    return HttpResponse(
        json.dumps(content, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8"
    )


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)
