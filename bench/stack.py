"""What the web benchmarks share: a PostgreSQL database of the run, the environment of the
app and Connect in production mode, and a WSGI application under gunicorn."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import text

from onboarding.db import make_engine
from onboarding.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-secret-key-0123456789abcdef"


class Database:
    """A PostgreSQL database of this run, migrated; dropped by `close`."""

    def __init__(self, postgres_url: str) -> None:
        self.admin = make_engine(postgres_url, isolation_level="AUTOCOMMIT")
        self.name = f"bench_web_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = self.admin.url.set(database=self.name).render_as_string(hide_password=False)
        self.engine = make_engine(self.url)
        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def environment(
    database_url: str,
    var_dir: Path,
    app_port: int,
    connect_port: int,
    redis_url: str | None = None,
) -> dict:
    """The processes' environment; with `redis_url`, Redis holds the rate-limit counts and is
    the broker, as in production."""
    redis = {"REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url} if redis_url else {}
    return {
        **os.environ,
        # Production would mark cookies Secure, which a client over plain HTTP does not send
        # back; nothing else that a request does depends on it.
        "ONBOARDING_ENV": "development",
        "ONBOARDING_VAR_DIR": str(var_dir),
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "APP_BASE_URL": f"http://127.0.0.1:{app_port}",
        "CONNECT_ISSUER": f"http://127.0.0.1:{connect_port}",
        "OIDC_ISSUER": f"http://127.0.0.1:{connect_port}",
        "PYTHONPATH": str(ROOT),
        **redis,
    }


@dataclass(frozen=True)
class Server:
    """An application under gunicorn: its base URL (what `str` gives), and its processes."""

    url: str
    process: subprocess.Popen[bytes]

    def __str__(self) -> str:
        return self.url

    def cpu_seconds(self) -> float:
        """User and system CPU time used so far by the master and its live workers."""
        master = self.process.pid
        pids = [master]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if int(fields[1]) == master:  # the parent's pid
                pids.append(int(stat.parent.name))
        return sum(_cpu_seconds(pid) for pid in pids)


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime, fields 14 and 15 of proc(5), in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def gunicorn(app: str, port: int, workers: int, env: dict) -> Iterator[Server]:
    """`app` under gunicorn with `workers` sync workers on loopback, until the block ends."""
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:web.serving", "--workers", str(workers)]
    argv += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", app]
    process = subprocess.Popen(argv, env=env, cwd=ROOT)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{app} did not start") from None
                time.sleep(0.2)
        yield Server(base, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
