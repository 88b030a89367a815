"""Real concurrency for tests: the same request sent by several threads at once, each with its
own database connection (use with ``django_db(transaction=True)``: the rows must be committed)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections
from django.test import Client


def at_once(fn: Callable[[int], object], n: int) -> list:
    """Run ``fn(i)`` for i in 0..n-1 in n threads released together; their results (or exceptions)."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - handed to the test, which asserts on it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def post_at_once(user, url: str, data: dict, n: int = 4) -> list:
    """``n`` simultaneous POSTs by ``user`` (a double click, four tabs); the responses."""

    def post(_i: int):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        return client.post(url, data)

    return at_once(post, n)
