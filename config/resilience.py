"""Worker, scheduler and cron that outlive Redis and PostgreSQL outages (issue 13, item 4).

RQ's own loops give up on the first Redis error outside the blocking dequeue ("found an
unhandled exception, quitting"), its scheduler process dies on one, and rqcron dies with a
ConnectionError traceback; nothing started them again. Here each loop waits for the server to
come back with capped exponential backoff and goes on, and an outage is logged once when it
starts and once when it ends, not as a traceback per retry.

Nothing is lost while a server is away: invoices live in PostgreSQL and every job is safe to
run twice, so a job cut short by an outage is redone (its RQ retry, or the periodic sweeper
that re-enqueues pending invoices and stuck uploads).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections.abc import Callable

import redis
from django.db import connections
from django.db.utils import InterfaceError, OperationalError
from rq import Worker
from rq.exceptions import StopRequested
from rq.scheduler import RQScheduler

REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
DATABASE_ERRORS = (OperationalError, InterfaceError)
BACKOFF_START_S = 0.5
BACKOFF_MAX_S = 5.0

log = logging.getLogger("kaipiao.outages")


class Outage:
    """One server's state as one process sees it: logs the first failure and the recovery only."""

    def __init__(self, server: str, process: str):
        self.server, self.process = server, process
        self.since: float | None = None

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def down(self, exc: BaseException) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log.warning("%s：%s 不可用（%s: %s），等待恢复后自动继续", self.process, self.server,
                        type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "")

    def up(self) -> None:
        if self.since is not None:
            log.warning("%s：%s 已恢复（中断 %.0f 秒），继续工作", self.process, self.server,
                        time.monotonic() - self.since)
            self.since = None


def wait_until(check: Callable[[], object], *, outage: Outage, errors: tuple,
               sleep: Callable[[float], None] = time.sleep) -> None:
    """Call ``check`` until it stops raising one of ``errors``; back off 0.5 s → 5 s meanwhile."""
    delay = BACKOFF_START_S
    while True:
        try:
            check()
        except errors as exc:
            outage.down(exc)
            sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)
        else:
            outage.up()
            return


def database_reachable() -> None:
    """Raise unless PostgreSQL answers; leave no connection open (the worker forks per job)."""
    connection = connections["default"]
    try:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        for conn in connections.all(initialized_only=True):
            conn.close()


class _QuietDuringOutage(logging.Filter):
    """RQ logs every reconnect attempt of its dequeue loop, and a full traceback when a Redis
    error ends its work loop; the Outage already said it, once."""

    def __init__(self, outage: Outage):
        super().__init__()
        self.outage = outage

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], REDIS_ERRORS):
            self.outage.down(record.exc_info[1])
            return False
        if "could not connect to Redis" in str(record.msg):
            self.outage.down(redis.exceptions.ConnectionError(str(record.args[1]) if len(record.args) > 1 else ""))
            return False
        return True


class ResilientScheduler(RQScheduler):
    """RQ's scheduler (moves retries and delayed jobs onto their queues), which waits out a Redis
    outage instead of dying: a dead scheduler is only restarted by the worker's maintenance
    run, up to ten minutes later, and retries would wait for it."""

    def work(self):
        outage = Outage("Redis", "调度器")
        while True:
            try:
                return super().work()
            except REDIS_ERRORS as exc:
                outage.down(exc)
                try:
                    wait_until(self._ping_unless_stopping, outage=outage, errors=REDIS_ERRORS)
                except StopRequested:
                    return None  # SIGTERM during the outage: RQ's handler only set the flag

    def _ping_unless_stopping(self):
        if self._stop_requested:
            raise StopRequested
        self.connection.ping()


class ResilientWorker(Worker):
    """RQ's forking worker that starts no job while PostgreSQL is unreachable and whose
    scheduler survives Redis outages. Redis errors that end its work loop are handled by
    ``run_worker``, which reconnects and starts a fresh work loop."""

    outage: Outage
    database_outage: Outage

    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=None, log_format=None):
        from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT

        self.scheduler = ResilientScheduler(
            self.queues, connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format or DEFAULT_LOGGING_DATE_FORMAT, log_format=log_format or DEFAULT_LOGGING_FORMAT,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()

    def heartbeat(self, *args, **kwargs):
        result = super().heartbeat(*args, **kwargs)
        self.outage.up()  # a heartbeat reached Redis: whatever outage there was is over
        return result

    def execute_job(self, job, queue):
        # A job started while the database is away fails at once and burns its retries; wait.
        wait_until(database_reachable, outage=self.database_outage, errors=DATABASE_ERRORS)
        return super().execute_job(job, queue)


def run_worker(*, make_worker: Callable[[], Worker], connection: redis.Redis, burst: bool = False, with_scheduler: bool = False,
               logging_level: str = "INFO", sleep: Callable[[float], None] = time.sleep) -> None:
    """Run work loops until a stop is asked for (SIGTERM/SIGINT) or, in burst mode, the queues
    are empty; after a Redis outage ended one, wait for Redis and start the next."""
    outage = Outage("Redis", "后台任务进程")
    quiet = _QuietDuringOutage(outage)
    logging.getLogger("rq.worker").addFilter(quiet)
    logging.getLogger("rq.scheduler").addFilter(quiet)
    while True:
        wait_until(connection.ping, outage=outage, errors=REDIS_ERRORS, sleep=sleep)
        try:
            worker = make_worker()  # RQ's Worker talks to Redis already in its constructor
        except REDIS_ERRORS as exc:
            outage.down(exc)
            continue
        worker.outage = outage
        worker.database_outage = Outage("PostgreSQL", "后台任务进程")
        try:
            worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=logging_level)
        except REDIS_ERRORS as exc:  # raised by the loop's start-up or teardown, outside its own handler
            outage.down(exc)
        if worker._stop_requested or worker._shutdown_requested_date is not None or (burst and not outage.ongoing):
            return
        # RQ's handlers talk to Redis; between loops a stop signal simply ends the process.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if not outage.ongoing:
            # The loop ended on something other than Redis (logged by RQ with its traceback).
            log.error("后台任务进程：工作循环意外结束，%s 秒后重新开始", BACKOFF_START_S)
        _stop_scheduler(worker)
        sleep(BACKOFF_START_S)


def _stop_scheduler(worker: Worker) -> None:
    """The next work loop starts its own scheduler: end this one's, so that two never run."""
    scheduler = getattr(worker, "scheduler", None)
    process = getattr(scheduler, "_process", None)
    if process is not None and process.is_alive():
        process.terminate()
        process.join(10)


def run_cron(scheduler, *, sleep: Callable[[float], None] = time.sleep) -> None:
    """RQ's cron loop (``CronScheduler.start``) that waits out Redis outages instead of dying.

    A job that could not be enqueued keeps its due time, so it is enqueued as soon as Redis is
    back; the jobs themselves are safe to run twice."""
    outage = Outage("Redis", "定时任务进程")
    scheduler._install_signal_handlers()
    try:
        while True:
            try:
                scheduler.register_birth()
                while True:
                    if scheduler.enqueue_jobs():
                        scheduler.save()
                    scheduler.heartbeat()
                    outage.up()
                    delay = scheduler.calculate_sleep_interval()
                    if delay > 0:
                        sleep(delay)
            except REDIS_ERRORS as exc:
                outage.down(exc)
                wait_until(scheduler.connection.ping, outage=outage, errors=REDIS_ERRORS, sleep=sleep)
    except (KeyboardInterrupt, StopRequested):
        scheduler.log.info("CronScheduler %s: stop requested", scheduler.name)
    finally:
        with contextlib.suppress(*REDIS_ERRORS):  # Redis away: the registry entry expires on its own
            scheduler.register_death()
