"""Benchmark outbox delivery: one worker process drains 20,000 mails into postfix's smtp-sink.

    python bench/mail.py [--mails 20000] [--sample 2000] [--database-url postgresql://…]
                         [--smtp-sink /usr/sbin/smtp-sink]

smtp-sink comes with Debian's postfix package (`apt-get install postfix`). Measured in one run:
  floor   pre-built message bytes sent by a bare smtplib loop over one connection;
  naive   one connection, one commit per mail, composed with email.message.EmailMessage;
  worker  a real Celery worker process (embedded broker) draining the outbox.
Prints the three rates and the two ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onboarding.clock import utcnow  # noqa: E402
from onboarding.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from onboarding.mail import compose_bytes, render  # noqa: E402
from onboarding.mail.compose import envelope_sender  # noqa: E402
from onboarding.migrate import upgrade  # noqa: E402
from onboarding.models import OutboxMessage  # noqa: E402
from onboarding.settings import Settings, use_settings  # noqa: E402

CONTEXT = {
    "first_name": "Ada",
    "organization": "Acme",
    "roles": ["editor", "viewer"],
    "invited_by": "Bob Smith",
    "accept_url": "http://127.0.0.1:5000/invitations/" + "x" * 43,
    "expires_at": "2026-12-25T10:00:00+00:00",
    "trigger": "invite",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink(binary: str, port: int) -> subprocess.Popen[bytes]:
    # smtp-sink refuses to run as root unless told which user to become.
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    sink = subprocess.Popen([binary, *user, f"127.0.0.1:{port}", "1000"])  # noqa: S603
    for _ in range(100):
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            return sink
        except OSError:
            time.sleep(0.05)
    raise SystemExit("smtp-sink did not start")


def fill(factory, count: int, prefix: str) -> None:
    now = utcnow()
    rows = [
        {
            "kind": "mail",
            "payload": {
                "template": "invitation",
                "to": f"{prefix}{n}@bench.example",
                "language": "nl" if n % 2 else "en",
                "context": CONTEXT,
            },
            "dedupe_key": f"{prefix}{n}",
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for n in range(count)
    ]
    with unit_of_work(factory) as session:
        session.execute(insert(OutboxMessage), rows)


def floor_rate(port: int, count: int) -> float:
    raw = compose_bytes("invitation", "en", CONTEXT, to="floor@bench.example", outbox_id=1)
    sender = envelope_sender()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        started = time.perf_counter()
        for _ in range(count):
            connection.sendmail(sender, ["floor@bench.example"], raw)
        return count / (time.perf_counter() - started)


def naive_rate(factory, port: int, count: int, settings: Settings) -> float:
    fill(factory, count, "naive")
    with unit_of_work(factory) as session:
        ids = session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key.like("naive%"))
        ).all()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        started = time.perf_counter()
        for row_id in ids:
            with unit_of_work(factory) as session:
                row = session.get_one(OutboxMessage, row_id)
                payload = row.payload
                rendered = render(payload["template"], payload["language"], payload["context"])
                message = EmailMessage()
                message["Subject"] = rendered.subject
                message["From"] = settings.mail_from
                message["To"] = payload["to"]
                message["Message-ID"] = f"<outbox-{row.id}@bench.example>"
                message.set_content(rendered.text)
                message.add_alternative(rendered.html, subtype="html")
                connection.send_message(message)
                row.status, row.sent_at = "sent", utcnow()
        return count / (time.perf_counter() - started)


def worker_rate(factory, env: dict[str, str], count: int) -> float:
    fill(factory, count, "worker")
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--pool", "solo",
         "--concurrency", "1", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--loglevel", "WARNING"],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )  # fmt: skip
    try:
        from celery import Celery

        import celeryconfig

        client = Celery("bench", set_as_current=False)
        client.conf.update(celeryconfig.settings_for(Settings.from_env(env)))
        time.sleep(3)  # let the worker come up before the clock starts
        started = time.perf_counter()
        client.send_task("outbox.deliver")
        while True:
            with unit_of_work(factory) as session:
                left = session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status != "sent", OutboxMessage.dedupe_key.like("worker%"))
                )
            if left == 0:
                return count / (time.perf_counter() - started)
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mails", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=2_000, help="mails for floor and naive")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--smtp-sink", default=shutil.which("smtp-sink") or "/usr/sbin/smtp-sink")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        port = free_port()
        env = {
            "ONBOARDING_ENV": "development",
            "ONBOARDING_VAR_DIR": var_dir,
            "SECRET_KEY": "bench-secret-key-0123456789",
            "DATABASE_URL": args.database_url or f"sqlite:///{var_dir}/bench.sqlite3",
            "SMTP_URL": f"smtp://127.0.0.1:{port}",
            "OUTBOX_POLL_INTERVAL": "1h",
        }
        settings = Settings.from_env(env)
        use_settings(settings)
        engine = make_engine(settings.database_url)
        upgrade(engine)
        factory = make_session_factory(engine)
        sink = start_sink(args.smtp_sink, port)
        try:
            floor = floor_rate(port, args.sample)
            naive = naive_rate(factory, port, args.sample, settings)
            worker = worker_rate(factory, env, args.mails)
        finally:
            sink.terminate()
            sink.wait()
            engine.dispose()
    print(f"floor  (bare smtplib, pre-built bytes): {floor:8.0f} mails/s")
    print(f"naive  (EmailMessage, commit per mail): {naive:8.0f} mails/s")
    print(f"worker (outbox, one Celery worker):     {worker:8.0f} mails/s")
    print(f"worker / floor: {worker / floor:5.0%}   worker / naive: {worker / naive:4.1f}x")


if __name__ == "__main__":
    main()
