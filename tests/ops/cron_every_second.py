"""A cron config for tests/ops: one job every second that leaves a mark in Redis."""

from rq import cron

from tests.ops.jobs import tick

cron.register(tick, queue_name="default", interval=1)
