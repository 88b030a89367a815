"""Shared fixtures. The environment (real PostgreSQL and Redis) is set up in tests/environment.py."""

import pytest


@pytest.fixture(autouse=True)
def _clean_redis(request):
    """Each test starts with an empty cache and empty queues in a Redis db of its own."""
    import django_rq

    django_rq.get_connection("default").flushdb()
    yield
