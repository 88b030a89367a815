"""Typed readers for environment variables that fail loudly, naming the variable."""

import os
import secrets
from pathlib import Path
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false/1/0), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str = "", *, schemes: tuple[str, ...]) -> str:
    raw = os.environ.get(name, default)
    if raw == "":
        return raw
    parsed = urlparse(raw)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        raise ImproperlyConfigured(
            f"{name} must be a URL with scheme {' or '.join(schemes)}, got {raw!r}"
        )
    return raw


def env_hex_key(name: str, *, nbytes: int, fallback_file: Path | None) -> str:
    """A hex key from the environment, or one generated once and kept in ``fallback_file``.

    The fallback exists for the embedded one-command run: a key is made on first start, kept
    under ./var (git-ignored, mode 0600) and reused, so stored credentials stay readable.
    """
    raw = os.environ.get(name)
    if raw:
        try:
            value = bytes.fromhex(raw)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be {nbytes * 2} hex characters") from None
        if len(value) != nbytes:
            raise ImproperlyConfigured(f"{name} must be {nbytes * 2} hex characters, got {len(raw)}")
        return raw.lower()
    if fallback_file is None:
        raise ImproperlyConfigured(f"{name} is required")
    return _read_or_create(fallback_file, lambda: secrets.token_hex(nbytes))


def env_secret(name: str, *, fallback_file: Path | None, min_length: int = 32) -> str:
    raw = os.environ.get(name)
    if raw:
        if len(raw) < min_length:
            raise ImproperlyConfigured(f"{name} must be at least {min_length} characters long")
        return raw
    if fallback_file is None:
        raise ImproperlyConfigured(f"{name} is required")
    return _read_or_create(fallback_file, lambda: secrets.token_urlsafe(50))


def _read_or_create(path: Path, make) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def env_decimal(name: str, default: str, *, minimum: str | None = None) -> str:
    """A decimal amount kept as its string (callers build Decimal from it, never float)."""
    from decimal import Decimal, InvalidOperation

    raw = os.environ.get(name) or default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name} must be a decimal number, got {raw!r}") from None
    if minimum is not None and value < Decimal(minimum):
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {raw}")
    return raw
