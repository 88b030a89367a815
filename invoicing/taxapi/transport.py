"""HTTP to the tax platform: one pooled session per process, no retries at this layer.

Retrying belongs to the job queue, which knows whether a call is safe to repeat; an HTTP-layer
retry after a read error could upload a batch twice behind the caller's back. So urllib3 gets
``Retry(0, read=False)`` and every failure comes up at once, classified by what it tells us
about whether the request arrived (see ``errors``).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.retry import Retry

from . import errors

_lock = threading.Lock()
_session: requests.Session | None = None
_session_pid: int | None = None


def new_session() -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(
        pool_connections=4,
        pool_maxsize=16,
        max_retries=Retry(total=0, connect=0, read=False, redirect=0, status=0, raise_on_status=False),
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def shared_session() -> requests.Session:
    """The process's session; rebuilt after a fork so that parent and child never share a socket."""
    global _session, _session_pid
    pid = os.getpid()
    if _session is None or _session_pid != pid:
        with _lock:
            if _session is None or _session_pid != pid:
                _session = new_session()
                _session_pid = pid
    return _session


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    content: bytes


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost reason behind requests' and urllib3's layers of wrapping."""
    seen = set()
    current: BaseException = exc
    while id(current) not in seen:
        seen.add(id(current))
        nested = getattr(current, "reason", None)
        if isinstance(nested, BaseException):
            current = nested
            continue
        if current.args and isinstance(current.args[0], BaseException):
            current = current.args[0]
            continue
        break
    return current


def classify_transport_exception(exc: requests.RequestException, *, service: str) -> errors.TaxPlatformError:
    """Whether a failed request may have arrived: before sending → retryable, after → unknown."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return errors.transport_error(errors.CONNECT_TIMEOUT, service=service)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return errors.transport_error(errors.READ_TIMEOUT, service=service)
    if isinstance(exc, requests.exceptions.SSLError):
        # The TLS handshake precedes the request: nothing was sent.
        return errors.transport_error(errors.CONNECT_FAILED, service=service)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return errors.transport_error(errors.CONNECTION_DROPPED, service=service)
    if isinstance(exc, requests.exceptions.ConnectionError):
        cause = _root_cause(exc)
        if isinstance(cause, NewConnectionError | NameResolutionError | ConnectTimeoutError | ConnectionRefusedError):
            return errors.transport_error(errors.CONNECT_FAILED, service=service)
        # Reset, "Remote end closed connection without response", broken pipe: the request
        # (or part of it) went out, so the platform may have acted on it.
        return errors.transport_error(errors.CONNECTION_DROPPED, service=service)
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return errors.transport_error(errors.CLIENT_CONFIG, service=service, detail="平台地址无效")
    return errors.transport_error(errors.CONNECTION_DROPPED, service=service)


def post(
    *,
    url: str,
    body: str,
    headers: dict[str, str],
    service: str,
    connect_timeout: float,
    read_timeout: float,
    session: requests.Session | None = None,
) -> HttpAnswer:
    """POST once; raise a classified TaxPlatformError for any transport failure."""
    session = session or shared_session()
    try:
        response = session.post(
            url,
            data=body.encode("ascii"),
            headers=headers,
            timeout=(connect_timeout, read_timeout),
            allow_redirects=False,
        )
        content = response.content
    except requests.RequestException as exc:
        raise classify_transport_exception(exc, service=service) from exc
    return HttpAnswer(status=response.status_code, content=content)
