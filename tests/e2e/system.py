"""The whole system started as the README starts it (`onboarding serve`), on free loopback
ports, a temporary var folder, a PostgreSQL database of its own and the Redis broker under
a key prefix of its own when those servers answer."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import select, text

from onboarding import journeys
from onboarding.db import make_engine, make_session_factory, unit_of_work
from onboarding.journeys.models import Journey
from onboarding.people.models import Person
from onboarding.settings import Settings

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = ("127.0.0.1", 6379)
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class System:
    app: str
    connect: str
    var_dir: Path
    log: Path
    database_url: str


_ADMIN_LINE = re.compile(r"^admin\s+(\S+)\s+password: (\S+)", re.MULTILINE)


def admin_login(system: System) -> tuple[str, str]:
    """The demo administrator's email and password, as `onboarding serve` printed them."""
    match = _ADMIN_LINE.search(system.log.read_text())
    assert match, f"onboarding serve printed no admin log-in:\n{system.log.read_text()}"
    return match.group(1), match.group(2)


def expire_journey_of(system: System, email: str) -> None:
    """Expire the invitation of `email`, as the expiry sweep does after 30 days."""
    engine = make_engine(system.database_url)
    try:
        env = {"ONBOARDING_VAR_DIR": str(system.var_dir), "DATABASE_URL": system.database_url}
        with unit_of_work(make_session_factory(engine, Settings.from_env(env))) as session:
            journey = session.scalars(
                select(Journey).join(Journey.person).where(Person.email == email)
            ).one()
            journeys.expire(session, journey.id)
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


@contextmanager
def _postgres_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for the run (None when no server answers)."""
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"onboarding_e2e_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # noqa: BLE001 - no server: the embedded SQLite default is used
        admin.dispose()
        if os.environ.get("ONBOARDING_REQUIRE_POSTGRES") == "1":
            raise
        yield None
        return
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _drop_redis_keys(prefix: str) -> None:
    import redis

    client = redis.Redis(*REDIS)
    for key in client.scan_iter(match=f"{prefix}*", count=500):
        client.delete(key)
    client.close()


def _onboarding_command() -> str:
    beside = Path(sys.executable).with_name("onboarding")
    return str(beside) if beside.exists() else shutil.which("onboarding") or "onboarding"


@contextmanager
def running_system(
    var_dir: Path, connect_host: str = "127.0.0.1", **extra_env: str
) -> Iterator[System]:
    """Start `onboarding serve` and wait until the app and Connect answer. Connect's address
    names `connect_host` (a passkey's relying party is a domain: "localhost", not an IP)."""
    app, connect = f"http://127.0.0.1:{free_port()}", f"http://{connect_host}:{free_port()}"
    prefix = f"e2e-{uuid.uuid4().hex[:8]}:"
    with _postgres_database() as database_url:
        env = {
            **os.environ,
            "ONBOARDING_ENV": "development",
            "ONBOARDING_VAR_DIR": str(var_dir),
            "APP_BASE_URL": app,
            "OIDC_ISSUER": connect,
            "CONNECT_ISSUER": connect,
            "SMTP_URL": f"smtp://127.0.0.1:{free_port()}",
            "OUTBOX_POLL_INTERVAL": "1s",
            # This checkout's code, also in the processes that serve starts.
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])
            ),
            **extra_env,
        }
        database_url = database_url or f"sqlite:///{var_dir / 'onboarding.sqlite3'}"
        env["DATABASE_URL"] = database_url
        if _answers(*REDIS):
            env["CELERY_BROKER_URL"] = f"redis://{REDIS[0]}:{REDIS[1]}/0"
            env["CELERY_KEY_PREFIX"] = prefix
        log = var_dir / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603
                [_onboarding_command(), "serve"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        try:
            _wait_until_up(process, log, f"{app}/healthz", f"{connect}/healthz")
            yield System(app, connect, var_dir, log, database_url)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if "CELERY_KEY_PREFIX" in env:
                _drop_redis_keys(prefix)


def _wait_until_up(process: subprocess.Popen[bytes], log: Path, *urls: str) -> None:
    deadline = time.monotonic() + 90
    waiting = list(urls)
    while waiting:
        if process.poll() is not None:
            raise AssertionError(f"onboarding serve exited:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not up after 90 s: {waiting}\n{log.read_text()}")
        try:
            if requests.get(waiting[0], timeout=2).status_code == 200:
                waiting.pop(0)
                continue
        except requests.RequestException:
            pass
        time.sleep(0.3)
