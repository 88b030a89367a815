"""Worker, cron and supervisor against real outages: a Redis server each test starts on its own
port (never the machine's shared one), real processes, real signals."""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from bench.faults import RedisServer
from config.resilience import REDIS_ERRORS, Outage, wait_until
from config.supervisor import Supervisor

ROOT = Path(__file__).resolve().parents[2]


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(caplog):
    failures = iter([redis.exceptions.ConnectionError("refused")] * 6)
    naps = []

    def check():
        error = next(failures, None)
        if error:
            raise error

    with caplog.at_level(logging.WARNING, logger="kaipiao.outages"):
        wait_until(check, outage=Outage("Redis", "测试进程"), errors=REDIS_ERRORS, sleep=naps.append)
    messages = [r.getMessage() for r in caplog.records if r.name == "kaipiao.outages"]
    assert len(messages) == 2 and "不可用" in messages[0] and "已恢复" in messages[1]
    assert naps == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0], "capped exponential backoff"


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _spawn(args, env, log_path):
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env, start_new_session=True,
                            stdout=open(log_path, "w"), stderr=subprocess.STDOUT)  # noqa: SIM115


def _env(redis_url):
    env = dict(os.environ, REDIS_URL=redis_url, PYTHONUNBUFFERED="1")
    env.pop("TEST_DATABASE_NAME", None)
    return env


def _wait(condition, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(what)


def test_worker_and_cron_outlive_a_redis_outage_and_carry_on(own_redis, tmp_path):
    """Regression (issue 13, row 3): the worker quit and rqcron died when Redis went away."""
    env = _env(own_redis.url)
    worker = _spawn(["runworker", "default", "--with-scheduler"], env, tmp_path / "worker.log")
    cron = _spawn(["runcron", "tests.ops.cron_every_second"], env, tmp_path / "cron.log")
    conn = redis.Redis(port=own_redis.port)
    try:
        _wait(lambda: conn.get("kaipiao-test:ticks"), 30, "cron never ran its job")
        own_redis.stop()
        time.sleep(8)
        assert worker.poll() is None and cron.poll() is None, "a process died with Redis"
        own_redis.start()
        conn = redis.Redis(port=own_redis.port)
        conn.delete("kaipiao-test:ticks")
        _wait(lambda: conn.get("kaipiao-test:ticks"), 30, "no job ran after Redis came back")
        assert worker.poll() is None and cron.poll() is None
    finally:
        for proc in (worker, cron):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in (worker, cron):
            proc.wait(timeout=20)
    for name in ("worker", "cron"):
        text = (tmp_path / f"{name}.log").read_text()
        assert text.count("Redis 不可用") == 1 + (name == "worker"), text[-3000:]  # the worker's scheduler too
        assert "已恢复" in text and "Traceback" not in text, text[-3000:]
    assert worker.returncode == 0, "SIGTERM still stops the worker cleanly"


def test_the_supervisor_restarts_a_process_that_dies_and_stops_all_on_request(tmp_path):
    supervisor = Supervisor({"a": "sleep 300", "b": "sleep 300"}, env=dict(os.environ), pid_dir=tmp_path)
    import threading

    runner = threading.Thread(target=supervisor.run)
    runner.start()
    try:
        _wait(lambda: (tmp_path / "a.pid").exists() and (tmp_path / "b.pid").exists(), 10, "not started")
        first = int((tmp_path / "a.pid").read_text())
        os.kill(first, signal.SIGKILL)
        _wait(lambda: int((tmp_path / "a.pid").read_text()) != first, 10, "the killed process was not restarted")
        second = int((tmp_path / "a.pid").read_text())
        os.kill(second, 0)  # alive
        b = int((tmp_path / "b.pid").read_text())
        assert supervisor.children[1].restarts == 0 and supervisor.children[0].restarts == 1
    finally:
        supervisor.stop()
        runner.join(20)
    for pid in (second, b):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not list(tmp_path.glob("*.pid"))


def test_the_procfile_runs_the_resilient_commands():
    from config.supervisor import read_procfile

    processes = read_procfile(ROOT / "Procfile")
    assert "runworker" in processes["worker"] and "--with-scheduler" in processes["worker"]
    assert "runcron config.cron" in processes["cron"]
    assert json.dumps(processes)  # every entry is a plain command line
