"""Start the whole product on this machine: embedded servers (unless DATABASE_URL / REDIS_URL
point elsewhere), migrations, demo data, then web + sandbox + worker + cron under config.supervisor (which restarts one that dies).

Run through ./run. Ctrl-C stops the processes, then the embedded servers, in that order.
A second start while one is running says so and exits instead of touching the data.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from config import embedded

BASE_DIR = Path(__file__).resolve().parent.parent


def _say(message: str) -> None:
    print(f"[kaipiao] {message}", flush=True)


def _manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def cjk_font_present() -> bool:
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return False
    out = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True).stdout
    return bool(out.strip())


def main() -> int:
    var_dir = Path(os.environ.get("KAIPIAO_VAR_DIR", BASE_DIR / "var")).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    lock_file = open(var_dir / "run.lock", "a+")  # noqa: SIM115 - held for the process lifetime
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock_file.seek(0)
        pid = lock_file.read().strip() or "?"
        _say(f"开票系统已在运行（进程 {pid}）。请先在它的终端按 Ctrl-C 停止，再重新启动。")
        _say(f"Kaipiao is already running (pid {pid}); stop it with Ctrl-C first.")
        return 1
    lock_file.seek(0)
    lock_file.truncate()
    lock_file.write(str(os.getpid()))
    lock_file.flush()

    # The Procfile's commands (gunicorn, python) must be this virtualenv's.
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PYTHONUNBUFFERED="1", KAIPIAO_VAR_DIR=str(var_dir),
               PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    port = env.setdefault("KAIPIAO_PORT", "8000")
    env.setdefault("SANDBOX_PORT", "8001")
    env.setdefault("TAX_PLATFORM_URL", f"http://127.0.0.1:{env['SANDBOX_PORT']}/sandbox")
    started: list[str] = []
    try:
        _say("启动内置 PostgreSQL / Redis（数据保存在 ./var）…")
        started = embedded.ensure_from_settings_env(var_dir)
        _manage("migrate", "--noinput", "-v", "0", env=env)
        _manage("collectstatic", "--noinput", "-v", "0", env=env)
        _manage("demo_data", env=env)
        if not cjk_font_present():
            _say("警告：未找到中文字体，PDF 将无法生成。请安装 fonts-wqy-microhei（apt-get install fonts-wqy-microhei）。")
        _say(f"开票系统：http://127.0.0.1:{port}/   税务平台沙箱：http://127.0.0.1:{env['SANDBOX_PORT']}/sandbox/")
        _say("按 Ctrl-C 停止。")
        # config.supervisor, not honcho: honcho stops everything when one process dies; the
        # supervisor starts that one again.
        supervisor = subprocess.Popen([sys.executable, "-m", "config.supervisor", "Procfile"], cwd=BASE_DIR, env=env)
        # Ctrl-C reaches the supervisor too (same process group); we wait for it to stop its children.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: supervisor.send_signal(signal.SIGTERM))
        return supervisor.wait()
    finally:
        if "postgres" in started or "redis" in started:
            _say("停止内置数据库与 Redis…")
        if "redis" in started:
            embedded.stop_redis(var_dir / "redis")
        if "postgres" in started:
            embedded.stop_postgres(var_dir / "pg")
        _say("已停止。")


if __name__ == "__main__":
    sys.exit(main())
