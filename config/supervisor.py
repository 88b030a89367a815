"""Run the Procfile's processes and start again any that dies: `python -m config.supervisor [Procfile]`.

honcho (which ./run used before) stops everything when one process exits, so a worker killed by
the kernel or a crash took the whole product down until a person restarted it (issue 13, item
4). Here a process that exits while no stop was asked for is started again after a short
backoff (1 s, doubling to 30 s while it keeps dying within a minute of its start). SIGINT or
SIGTERM stops every process (SIGTERM, then SIGKILL after 10 s) and the supervisor exits.

Each process runs through /bin/sh (the Procfile uses ${VAR:-default}) in its own process
group; its output is prefixed with its name. The pid of each running process is written to
``$KAIPIAO_VAR_DIR/pids/<name>.pid`` (benchmarks and operators use it to find the worker).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from honcho.environ import parse_procfile

BASE_DIR = Path(__file__).resolve().parent.parent
BACKOFF_START_S, BACKOFF_MAX_S, STABLE_AFTER_S, STOP_GRACE_S = 1.0, 30.0, 60.0, 10.0


def _say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} supervisor | {message}", flush=True)


@dataclass
class Child:
    name: str
    command: str
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = BACKOFF_START_S
    restart_at: float | None = None
    restarts: int = 0
    output: list[threading.Thread] = field(default_factory=list)


class Supervisor:
    def __init__(self, processes: dict[str, str], *, env: dict, pid_dir: Path, cwd: Path = BASE_DIR):
        self.children = [Child(name, command) for name, command in processes.items()]
        self.env, self.pid_dir, self.cwd = env, pid_dir, cwd
        self.stopping = threading.Event()
        pid_dir.mkdir(parents=True, exist_ok=True)

    def _start(self, child: Child) -> None:
        child.proc = subprocess.Popen(
            ["/bin/sh", "-c", "exec " + child.command], cwd=self.cwd, env=self.env, start_new_session=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1, errors="replace")
        child.started_at, child.restart_at = time.monotonic(), None
        (self.pid_dir / f"{child.name}.pid").write_text(str(child.proc.pid))
        width = max(len(c.name) for c in self.children)
        thread = threading.Thread(target=self._copy_output, args=(child.proc, child.name.ljust(width)), daemon=True)
        thread.start()

    @staticmethod
    def _copy_output(proc: subprocess.Popen, label: str) -> None:
        for line in proc.stdout:
            sys.stdout.write(f"{time.strftime('%H:%M:%S')} {label} | {line}")
            sys.stdout.flush()

    def stop(self, *_args) -> None:
        self.stopping.set()

    def run(self) -> int:
        for child in self.children:
            self._start(child)
        while not self.stopping.wait(0.2):
            now = time.monotonic()
            for child in self.children:
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        child.restarts += 1
                        _say(f"重新启动 {child.name}（第 {child.restarts} 次）")
                        self._start(child)
                    continue
                code = child.proc.poll()
                if code is None:
                    continue
                # What it started dies with it (an RQ worker's forked scheduler would otherwise
                # live on, orphaned, beside the next worker's).
                _signal_group(child.proc, signal.SIGTERM)
                # Stable for a minute: the next death is a new incident, restart quickly again.
                if now - child.started_at >= STABLE_AFTER_S:
                    child.backoff = BACKOFF_START_S
                _say(f"{child.name} 已退出（代码 {code}），{child.backoff:.0f} 秒后自动重启")
                child.restart_at = now + child.backoff
                child.backoff = min(child.backoff * 2, BACKOFF_MAX_S)
        self._stop_all()
        return 0

    def _stop_all(self) -> None:
        running = [c for c in self.children if c.proc is not None and c.proc.poll() is None]
        for child in running:
            _signal_group(child.proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for child in running:
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child.proc, signal.SIGKILL)
                child.proc.wait()
        for child in self.children:
            (self.pid_dir / f"{child.name}.pid").unlink(missing_ok=True)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass  # already gone


def read_procfile(path: Path) -> dict[str, str]:
    return dict(parse_procfile(path.read_text()).processes)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    procfile = Path(argv[0]) if argv else BASE_DIR / "Procfile"
    var_dir = Path(os.environ.get("KAIPIAO_VAR_DIR", BASE_DIR / "var"))
    supervisor = Supervisor(read_procfile(procfile), env=dict(os.environ), pid_dir=var_dir / "pids")
    signal.signal(signal.SIGINT, supervisor.stop)
    signal.signal(signal.SIGTERM, supervisor.stop)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
