"""Fault benchmarks of outbox delivery: real Celery workers, PostgreSQL, an SMTP sink on
loopback that counts Message-IDs.

    python bench/faults.py kill  [--mails 5000]   a worker SIGKILLed twice mid-stream
    python bench/faults.py drop  [--mails 2000]   the workers' database connections terminated
                                                  three times during delivery
    python bench/faults.py scale [--mails 5000]   one worker, then two, with a 20 ms sink
    python bench/faults.py broker [--mails 2000]  the workers' Redis killed twice during
                                                  delivery (a prefork worker, a 5 ms sink)
    [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

Each run creates a database of its own (dropped at the end); `scale` and `broker` start a
private redis-server (on PATH) as the workers' broker. Prints lost and duplicated mails, and
the time until every row was sent.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onboarding.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from onboarding.migrate import upgrade  # noqa: E402
from onboarding.outbox import delivery  # noqa: E402
from onboarding.outbox.models import OutboxMessage, OutboxStatus  # noqa: E402
from onboarding.settings import Settings  # noqa: E402
from tests import helpers  # noqa: E402
from tests.celery_worker import Worker, client_app, worker_env  # noqa: E402
from tests.mailbox import Mailbox, free_port  # noqa: E402
from tests.redis_server import PrivateRedis  # noqa: E402
from workers import kick  # noqa: E402

MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>]+>)", re.MULTILINE | re.IGNORECASE)


class CountingSink(Mailbox):
    """Keeps only each mail's Message-ID: parsing thousands of mails would slow the sink."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(self.delay)
        found = MESSAGE_ID.search(envelope.content)
        with self._lock:
            self.messages.append({"Message-ID": found.group(1) if found else None})
        return "250 Message accepted"


class Run:
    """A fresh database with `mails` queued, a sink, and the workers' environment."""

    def __init__(self, postgres_url: str, mails: int, var_dir: Path, delay: float, **env: str):
        self.admin = make_engine(postgres_url, isolation_level="AUTOCOMMIT")
        self.name = f"faults_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        url = self.admin.url.set(database=self.name).render_as_string(hide_password=False)
        self.engine = make_engine(url)
        upgrade(self.engine)
        self.mails = mails
        self.box = CountingSink(delay=delay).start()
        self.env = worker_env(var_dir, url, self.box.url, **env)
        self.factory = make_session_factory(self.engine, Settings.from_env(self.env))
        with unit_of_work(self.factory) as session:
            helpers.invitation_mails(session, mails, "fault")

    def unsent(self) -> int:
        with unit_of_work(self.factory) as session:
            return session.scalar(
                select(func.count()).where(OutboxMessage.status != OutboxStatus.sent)
            )

    def drain(self, beat: float, until: Callable[[], bool] | None = None) -> float:
        """Kick every `beat` seconds, as beat does, until `until` (default: all sent)."""
        client, started, kicked = client_app(self.env), time.monotonic(), 0.0
        done = until or (lambda: self.unsent() == 0)
        while not done():
            if time.monotonic() - kicked >= beat:
                kick.kick(client)
                kicked = time.monotonic()
            time.sleep(0.05)
        return time.monotonic() - started

    def counts(self) -> tuple[int, int]:
        received = [m["Message-ID"] for m in self.box.messages]
        return self.mails - len(set(received)), len(received) - len(set(received))

    def close(self) -> None:
        self.box.stop()
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def kill(run: Run) -> None:
    worker = Worker(run.env, "kill0").start()
    try:
        for n in (1, 2):
            target = run.mails * n // 3
            run.drain(1, until=lambda target=target: len(run.box.messages) >= target)
            worker.process.kill()
            worker.stop()
            print(f"SIGKILL {n} after {len(run.box.messages)} mails received")
            worker = Worker(run.env, f"kill{n}").start()
        seconds = run.drain(1)
    finally:
        worker.stop()
    lost, duplicated = run.counts()
    bound = 2 * (2 * delivery.RECORD_EVERY + 1)
    print(f"kill: {run.mails} mails, 2 kills: lost {lost}, duplicated {duplicated} (bound {bound})")
    print(f"      the rest sent in {seconds:.1f} s after the second restart")


def drop(run: Run) -> None:
    workers = [Worker(run.env, "drop0").start()]
    try:
        for n in (1, 2, 3):
            target = run.mails * n // 4
            run.drain(1, until=lambda target=target: len(run.box.messages) >= target)
            with run.admin.connect() as conn:
                dropped = conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": run.name},
                ).scalar()
            print(f"terminated {dropped} connections after {len(run.box.messages)} mails")
        seconds = run.drain(1)
    finally:
        for worker in workers:
            worker.stop()
    lost, duplicated = run.counts()
    print(f"drop: {run.mails} mails, 3 terminations: lost {lost}, duplicated {duplicated}")
    print(f"      the rest sent in {seconds:.1f} s after the third")


def scale(postgres_url: str, mails: int, var_dir: Path) -> None:
    port = free_port()
    redis = subprocess.Popen(  # noqa: S603
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],  # noqa: S607
        stdout=subprocess.DEVNULL,
    )
    times = {}
    try:
        for count in (1, 2):
            broker = f"redis://127.0.0.1:{port}/{count}"
            folder = var_dir / f"scale{count}"
            run = Run(postgres_url, mails, folder, 0.02, CELERY_BROKER_URL=broker)
            workers = [Worker(run.env, f"scale{count}-{n}").start() for n in range(count)]
            try:
                times[count] = run.drain(5)  # beat's default OUTBOX_POLL_INTERVAL
            finally:
                for worker in workers:
                    worker.stop()
                lost, duplicated = run.counts()
                run.close()
            print(f"{count} worker(s): {times[count]:.1f} s (lost {lost}, duplicated {duplicated})")
    finally:
        redis.terminate()
        redis.wait()
    print(f"scale: {mails} mails, 20 ms sink: two workers take {times[2] / times[1]:.2f}x the time")


def broker(postgres_url: str, mails: int, var_dir: Path) -> None:
    redis = PrivateRedis().start()
    try:
        # One batch of every mail: one task in flight, and nothing else queued.
        env = {"CELERY_BROKER_URL": redis.url, "OUTBOX_BATCH_SIZE": str(mails)}
        run = Run(postgres_url, mails, var_dir, 0.005, **env)
    except BaseException:
        redis.stop()
        raise
    worker = Worker(run.env, "broker0", pool="prefork").start()

    def exited() -> bool:
        return worker.process is not None and worker.process.poll() is not None

    try:
        for n in (1, 2):
            target = run.mails * n // 3
            # One kick, as after a commit: the worker waits on Redis for more while its task
            # runs, which is when a lost connection took it down.
            run.drain(60, until=lambda target=target: len(run.box.messages) >= target or exited())
            redis.stop()
            print(f"Redis killed after {len(run.box.messages)} mails; back after 5 s")
            time.sleep(5)
            redis.start()
        # Mail written after the outages, as the web goes on: only a live worker sends it.
        with unit_of_work(run.factory) as session:
            helpers.invitation_mails(session, mails // 10, "after")
        run.mails += mails // 10
        seconds = run.drain(1, until=lambda: run.unsent() == 0 or exited())
        unsent, state = run.unsent(), "EXITED" if exited() else "kept running"
    finally:
        worker.stop()
        redis.stop()
        lost, duplicated = run.counts()
        run.close()
    print(f"broker: {run.mails} mails, 2 outages: lost {lost}, duplicated {duplicated}, ", end="")
    print(f"left unsent {unsent}; the worker {state}, {seconds:.1f} s after the second outage")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", choices=["kill", "drop", "scale", "broker"])
    parser.add_argument("--mails", type=int, default=None)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        var_dir = Path(folder)
        if args.scenario == "scale":
            scale(args.postgres_url, args.mails or 5000, var_dir)
            return
        if args.scenario == "broker":
            broker(args.postgres_url, args.mails or 2000, var_dir)
            return
        mails = args.mails or (5000 if args.scenario == "kill" else 2000)
        run = Run(args.postgres_url, mails, var_dir, 0, OUTBOX_LEASE="5s")
        try:
            (kill if args.scenario == "kill" else drop)(run)
        finally:
            run.close()


if __name__ == "__main__":
    main()
