"""A job for tests/ops: counts its runs in the Redis it ran from."""

from rq import get_current_job


def tick() -> None:
    get_current_job().connection.incr("kaipiao-test:ticks")
