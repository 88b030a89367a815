"""The 乐企 envelope (docs/tax-platform.md §1–§2): seal a request, open an answer.

Pure functions over ``crypto``, with no Django and no I/O, so that the benchmark and the
tests' fake platform use exactly the code the client sends with. The sealed headers carry the
nonce and signature: they go on the wire and nowhere else (never to a log or the exchange row).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from decimal import Decimal

from . import crypto

CAPABILITY = "202007"
SELF_USE = "0"
SIGN_HMAC = "HMAC"
SIGN_SM2 = "SM2"


class EnvelopeError(ValueError):
    """The answer is not a platform envelope we can read (wrong shape, Base64, key or JSON)."""


def _json_default(value):
    # Decimal amounts must travel as their exact text; a float here would be a bug upstream.
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable in a platform payload")


def dump_payload(payload: dict | list) -> bytes:
    """The business JSON as UTF-8 bytes: Chinese kept as is (smaller than \\u escapes), compact."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_default).encode()


@dataclass(frozen=True)
class SealedRequest:
    body: str
    headers: dict[str, str]


def seal_request(
    *,
    service: str,
    payload: dict | list,
    secret_hex: str,
    unit_id: str,
    user_unit_id: str,
    trace_id: str = "",
    case_code: str = "",
    sandbox_flag: str = "",
    capability: str | None = CAPABILITY,
    sign_type: str | None = SIGN_HMAC,
    sm2_private_key: str | None = None,
    sm2_public_key: str | None = None,
    timestamp_ms: int | None = None,
    nonce: str | None = None,
) -> SealedRequest:
    """Encrypt ``payload`` and build the headers.

    ``sign_type=None`` sends ``access_signature`` empty, exactly as the public clients do for the
    real platform (which relies on its IP whitelist and SM4). ``capability=None`` is for the
    services called without one in the path (the sandbox's virtual-company services); their
    ``nlbm`` header still names the capability.
    """
    body = crypto.encrypt_body(secret_hex, dump_payload(payload))
    timestamp = str(timestamp_ms if timestamp_ms is not None else time.time_ns() // 1_000_000)
    nonce = nonce or crypto.new_nonce()
    headers = {
        "Content-Type": "text/plain; charset=utf-8",
        "fwbm": service,
        "nlbm": capability or CAPABILITY,
        "jrdwptbh": unit_id,
        "sydwptbh": user_unit_id,
        "ylbm": case_code,
        "sxcsbz": sandbox_flag,
        "ptlx": SELF_USE,
        "timestamp": timestamp,
        "nonce": nonce,
    }
    if trace_id:
        headers["clientTid"] = trace_id
    if sign_type:
        message = crypto.signing_string(service=service, timestamp=timestamp, nonce=nonce, body_b64=body)
        if sign_type == SIGN_HMAC:
            signature = crypto.sign_hmac(secret_hex, message)
        elif sign_type == SIGN_SM2:
            if not sm2_private_key:
                raise ValueError("SM2 signing needs the unit's private key")
            public = sm2_public_key or crypto.sm2_public_key_from_private(sm2_private_key)
            signature = crypto.sm2_sign(sm2_private_key, public, message)
        else:
            raise ValueError(f"unknown sign type {sign_type!r}")
        headers["access_signature"] = signature
        # Many servers and proxies (nginx by default, gunicorn ≥ 22, Django's runserver) drop
        # header names with an underscore; the sandbox also reads the dash spelling (§6.1).
        headers["access-signature"] = signature
    else:
        headers["access_signature"] = ""
    return SealedRequest(body=body, headers=headers)


@dataclass(frozen=True)
class OpenedResponse:
    """An answer: either ``data`` (decrypted business JSON) or ``error`` (the gateway's Error)."""

    request_id: str
    data: dict | None
    error: dict | None


def open_response(*, text: str | bytes, secret_hex: str) -> OpenedResponse | None:
    """Read a platform answer; None when it is not a platform envelope at all (e.g. a proxy's page).

    Raises EnvelopeError when it is one but ``Data`` cannot be decrypted or parsed.
    """
    try:
        outer = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    body = outer.get("body") if isinstance(outer, dict) else None
    if isinstance(body, str):
        # The real platform sends ``body`` as JSON text inside the JSON (the public clients decode
        # it twice); an object is read the same way.
        try:
            body = json.loads(body)
        except ValueError:
            return None
    response = body.get("Response") if isinstance(body, dict) else None
    if not isinstance(response, dict):
        return None
    request_id = str(response.get("RequestId") or "")
    error = response.get("Error")
    if isinstance(error, dict):
        return OpenedResponse(
            request_id=request_id,
            data=None,
            error={"Code": str(error.get("Code", "")), "Message": str(error.get("Message", ""))},
        )
    encrypted = response.get("Data")
    if not isinstance(encrypted, str):
        return None
    try:
        data = json.loads(crypto.decrypt_body(secret_hex, encrypted))
    except (ValueError, UnicodeDecodeError) as exc:  # binascii.Error is a ValueError
        raise EnvelopeError("Data cannot be decrypted or is not JSON") from exc
    if not isinstance(data, dict) or "returncode" not in data:
        raise EnvelopeError("Data has no returncode")
    return OpenedResponse(request_id=request_id, data=data, error=None)


# --- the platform's side, for the tests' fake platform and the benchmark --------------------------


def open_request(*, body: str, headers: dict[str, str], secret_hex: str, sm2_public_key: str | None = None) -> dict:
    """Verify the signature (when present) and decrypt a sealed request; ValueError if either fails."""
    signature = headers.get("access_signature") or headers.get("access-signature")
    if signature:
        message = crypto.signing_string(
            service=headers["fwbm"], timestamp=headers["timestamp"], nonce=headers["nonce"], body_b64=body
        )
        ok = (
            crypto.sm2_verify(sm2_public_key, message, signature)
            if sm2_public_key
            else crypto.verify_hmac(secret_hex, message, signature)
        )
        if not ok:
            raise ValueError("signature does not verify")
    return json.loads(crypto.decrypt_body(secret_hex, body))


def seal_response(*, data: dict, secret_hex: str, request_id: str = "r-1") -> str:
    """A success answer as the platform sends it."""
    return answer_text(200, {"Response": {"RequestId": request_id, "Data": crypto.encrypt_body(secret_hex, dump_payload(data))}})


def error_response(*, code: str, message: str, http_status: int, request_id: str = "r-1") -> str:
    return answer_text(http_status, {"Response": {"RequestId": request_id, "Error": {"Code": code, "Message": message}}})


def answer_text(http_status: int, body: dict) -> str:
    """The platform's outer answer: ``body`` is itself JSON text, as the real platform sends it."""
    return json.dumps(
        {"httpStatusCode": str(http_status), "body": json.dumps(body, ensure_ascii=False)}, ensure_ascii=False
    )
