"""A redis-server of a test's own, on a free port, that the test can stop and start again."""

from __future__ import annotations

import subprocess

import redis

from tests.celery_worker import wait_until
from tests.mailbox import free_port


class PrivateRedis:
    """A redis-server on a free port, without persistence (never the shared one on 6379)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> PrivateRedis:
        argv = ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)  # noqa: S603
        wait_until(self._answers, timeout=10, message="redis started")
        return self

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url).ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
