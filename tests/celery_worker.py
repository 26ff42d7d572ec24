"""A real Celery worker process for tests, and a client app that sends to the same broker."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from celery import Celery
from sqlalchemy import select

import celeryconfig
from onboarding.outbox.models import OutboxMessage
from onboarding.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def worker_env(var_dir: Path, database_url: str, smtp_url: str, **extra: str) -> dict[str, str]:
    """The environment of a worker process: the test database, short retries, fast beat."""
    return {
        "ONBOARDING_ENV": "test",
        "ONBOARDING_VAR_DIR": str(var_dir),
        "SECRET_KEY": "test-secret-key-0123456789",
        "APP_BASE_URL": "http://app.test",
        "OIDC_ISSUER": "http://connect.test",
        "CONNECT_ISSUER": "http://connect.test",
        "DATABASE_URL": database_url,
        "SMTP_URL": smtp_url,
        "OUTBOX_RETRY_BASE": "1s",
        "OUTBOX_RETRY_MAX": "2s",
        "OUTBOX_POLL_INTERVAL": "1s",
        "SWEEP_INTERVAL": "1h",
        **extra,
    }


def client_app(env: dict[str, str]) -> Celery:
    """A Celery app configured like a web process running with `env`."""
    app = Celery("test-client", set_as_current=False)
    app.conf.update(celeryconfig.settings_for(Settings.from_env(env)))
    return app


class Worker:
    def __init__(
        self, env: dict[str, str], name: str, beat: bool = False, pool: str = "solo"
    ) -> None:
        self.env, self.name, self.beat, self.pool = env, name, beat, pool
        self.output: list[str] = []
        self.process: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 60) -> Worker:
        argv = [
            sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
            "--pool", self.pool, "--concurrency", "2",
            "--hostname", f"{self.name}@%h", "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        if self.beat:
            argv += ["--beat", "--schedule", str(Path(self.env["ONBOARDING_VAR_DIR"]) / "beat")]
        env = {**os.environ, **self.env, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(  # noqa: S603
            argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while not any(" ready." in line for line in self.output):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("worker did not start:\n" + "".join(self.output))
            time.sleep(0.05)
        return self

    def _read(self) -> None:
        assert self.process and self.process.stdout
        for line in self.process.stdout:
            self.output.append(line)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self._reader.join(5)
            if self.process.stdout:
                self.process.stdout.close()


def wait_until(condition, timeout: float = 30, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met within {timeout}s")
        time.sleep(0.05)


def outbox_row(factory, journey_id: int):
    """The one outbox row of a journey, as committed."""
    with factory() as session:
        return session.scalars(
            select(OutboxMessage).where(OutboxMessage.journey_id == journey_id)
        ).one()
