"""Login lockout: after LOGIN_FAILURE_LIMIT failures for one username within the window, the
username is locked for LOGIN_LOCKOUT_SECONDS. Counters live in Redis (the cache), so every web
process sees the same count and a restart does not reset an attack in progress."""

from django.conf import settings
from django.core.cache import cache


def _key(username: str) -> str:
    return f"login-failures:{username.strip().lower()}"


def is_locked(username: str) -> bool:
    return (cache.get(_key(username)) or 0) >= settings.LOGIN_FAILURE_LIMIT


def record_failure(username: str) -> int:
    key = _key(username)
    cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        count = 1
    if count >= settings.LOGIN_FAILURE_LIMIT:
        cache.touch(key, settings.LOGIN_LOCKOUT_SECONDS)
    return count


def clear(username: str) -> None:
    cache.delete(_key(username))
