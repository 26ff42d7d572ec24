"""Benchmark outbox delivery: one worker process drains 20,000 mails into postfix's smtp-sink.

    python bench/mail.py [--mails 20000] [--sample 2000] [--floor-sample 5000]
                         [--database-url postgresql://…] [--smtp-sink /usr/sbin/smtp-sink]
                         [--smtp-port PORT (a server already listening; no smtp-sink)]

smtp-sink is postfix's test SMTP server (Debian package `postfix`). It need not be installed:
    apt-get download postfix && dpkg-deb -x postfix_*.deb /tmp/postfix
    python bench/mail.py --smtp-sink /tmp/postfix/usr/sbin/smtp-sink --database-url …
finds postfix's shared libraries next to the extracted binary; run as root, the sink switches
to the user nobody. Give PostgreSQL a database of its own and drop it afterwards.

Measured in one run, all with the mails the worker sends (the invitations of one bulk invite,
English and Dutch alternately, each with its own recipient, name, link, join code and
Message-ID; built in advance for the floors):
  floor      a bare smtplib loop (`sendmail`) over one connection; the best of six runs
             (two each at the start, after the naive sender and after the worker), so that a
             busy moment on the machine does not lower it (on a small shared machine the same
             loop runs at either about half or full speed, depending on where the scheduler
             puts it and the sink);
  pipelined  the same bytes through the worker's own pipelined transport (`send_all`) over
             one connection, best of six likewise: what sending alone costs the worker;
  composed   the worker's mails composed as it composes them (`compose_bytes`) and sent as
             they are made through the same transport, best of six likewise: the worker
             without its database, so that worker / composed is what claims and records cost;
  naive      one connection, one commit per mail, composed with email.message.EmailMessage;
  worker     a real Celery worker (embedded broker) draining the outbox: one process (the solo
             pool), then as `make run` starts it (two processes of the prefork pool, each
             taking batches of the backlog over a connection of its own); timed from its first
             claim to the last mail recorded sent (the rows' lease and sent_at), and, in
             brackets, from the task's sending to the outbox found empty, which adds the
             embedded broker's polling (about a second) before the task arrives.
Prints the rates and the ratios.
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
from collections.abc import Iterable
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onboarding.clock import utcnow  # noqa: E402
from onboarding.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from onboarding.mail import compose_bytes, render  # noqa: E402
from onboarding.mail.compose import envelope_sender  # noqa: E402
from onboarding.mail.transport import send_all, smtp_connection  # noqa: E402
from onboarding.migrate import upgrade  # noqa: E402
from onboarding.outbox.models import OutboxMessage  # noqa: E402
from onboarding.settings import Settings, use_settings  # noqa: E402

# The invitations of one bulk invite: the same organization, inviter, roles and expiry; each
# with its own name, link and join code.
CONTEXT = {
    "organization": "Acme",
    "roles": ["editor", "viewer"],
    "invited_by": "Bob Smith",
    "join_url": "http://127.0.0.1:5000/join",
    "expires_at": "2026-12-25T10:00:00+00:00",
    "trigger": "invite",
}


def context(n: int) -> dict[str, object]:
    return {
        **CONTEXT,
        "first_name": f"Ada{n}",
        "accept_url": f"http://127.0.0.1:5000/invitations/{n:043d}",
        "join_code": f"{n:08d}"[:4] + "-" + f"{n:08d}"[4:],
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink(binary: str, port: int) -> subprocess.Popen[bytes]:
    # smtp-sink refuses to run as root unless told which user to become.
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    env = dict(os.environ)
    # A binary extracted from the .deb (usr/sbin/smtp-sink) finds its libraries in usr/lib/postfix.
    libraries = Path(binary).resolve().parent.parent / "lib" / "postfix"
    if libraries.is_dir():
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            filter(None, [str(libraries), env.get("LD_LIBRARY_PATH")])
        )
    sink = subprocess.Popen([binary, *user, f"127.0.0.1:{port}", "1000"], env=env)  # noqa: S603
    for _ in range(100):
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            return sink
        except OSError:
            time.sleep(0.05)
    raise SystemExit("smtp-sink did not start")


def recipient(prefix: str, n: int) -> str:
    return f"{prefix}{n}@bench.example"


def language(n: int) -> str:
    return "nl" if n % 2 else "en"


def fill(factory, count: int, prefix: str) -> None:
    now = utcnow()
    rows = [
        {
            "kind": "mail",
            "payload": {
                "template": "invitation",
                "to": recipient(prefix, n),
                "language": language(n),
                "context": context(n),
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


def prebuilt(count: int, settings: Settings) -> list[tuple[str, bytes]]:
    """The worker's mails, composed in advance: (recipient, message bytes)."""
    return [
        (to, compose_bytes("invitation", language(n), context(n), settings, to=to, outbox_id=n + 1))
        for n in range(count)
        for to in [recipient("floor", n)]
    ]


def floor_rate(port: int, mails: list[tuple[str, bytes]], settings: Settings) -> float:
    sender = envelope_sender(settings)
    with smtplib.SMTP("127.0.0.1", port) as connection:
        started = time.perf_counter()
        for to, raw in mails:
            connection.sendmail(sender, [to], raw)
        return len(mails) / (time.perf_counter() - started)


def pipelined_rate(port: int, mails: list[tuple[str, bytes]], settings: Settings) -> float:
    return transport_rate(port, settings, len(mails), ((to, to, raw) for to, raw in mails))


def composed_rate(port: int, count: int, settings: Settings) -> float:
    """The worker's mails composed as it composes them, sent through its transport as they are
    made: the worker without its database (claims and records)."""
    mails = [(recipient("composed", n), language(n), context(n)) for n in range(count)]
    composed = (
        (to, to, compose_bytes("invitation", lang, ctx, settings, to=to, outbox_id=n + 1))
        for n, (to, lang, ctx) in enumerate(mails)
    )
    return transport_rate(port, settings, count, composed)


def transport_rate(
    port: int, settings: Settings, count: int, mails: Iterable[tuple[str, str, bytes]]
) -> float:
    """Mails per second of the `count` `mails` sent through the worker's pipelined transport
    over one connection, each taken from `mails` (and made, when it is a generator) as it goes."""
    with smtp_connection(f"smtp://127.0.0.1:{port}") as connection:
        started = time.perf_counter()
        outcomes = send_all(connection, envelope_sender(settings), mails)
        if any(refusal is not None for _, refusal in outcomes):
            raise SystemExit("the sink refused a mail")
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
                rendered = render(
                    payload["template"], payload["language"], payload["context"], settings
                )
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


def worker_rate(factory, env: dict[str, str], count: int, processes: int) -> tuple[float, float]:
    """The worker's rate from its first claim to the last mail recorded sent, and from the
    task's sending to the outbox found empty (which adds the embedded broker's polling)."""
    prefix = f"worker{processes}-"
    fill(factory, count, prefix)
    pool = ["--pool", "solo"] if processes == 1 else ["--pool", "prefork"]
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", *pool,
         "--concurrency", str(processes), "--without-gossip", "--without-mingle",
         "--without-heartbeat", "--loglevel", "WARNING"],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )  # fmt: skip
    try:
        from celery import Celery

        import celeryconfig

        settings = Settings.from_env(env)
        client = Celery("bench", set_as_current=False)
        client.conf.update(celeryconfig.settings_for(settings))
        time.sleep(3)  # let the worker come up before the clock starts
        started = time.perf_counter()
        client.send_task("outbox.deliver")
        while True:
            # "pending" is indexed, and the worker's own time comes from the rows: polling twice
            # a second stays cheap next to the worker it measures.
            with unit_of_work(factory) as session:
                left = session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == "pending")
                )
            if left == 0:
                elapsed = time.perf_counter() - started
                break
            time.sleep(0.5)
        with unit_of_work(factory) as session:
            sent, leased, finished = session.execute(
                select(
                    func.count(),
                    func.min(OutboxMessage.next_attempt_at),
                    func.max(OutboxMessage.sent_at),
                ).where(OutboxMessage.status == "sent", OutboxMessage.dedupe_key.like(f"{prefix}%"))
            ).one()
        if sent != count:
            raise SystemExit(f"the worker sent {sent} of {count} mails")
        # A claim leases its rows until `outbox_lease` after it (within a millisecond).
        working = (finished - (leased - settings.outbox_lease)).total_seconds()
        return count / working, count / elapsed
    finally:
        worker.terminate()
        worker.wait(30)


def runs(rates: list[float]) -> str:
    return "best of " + " / ".join(f"{rate:.0f}" for rate in rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mails", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=2_000, help="mails for the naive sender")
    parser.add_argument("--floor-sample", type=int, default=5_000, help="mails per floor run")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--smtp-sink", default=shutil.which("smtp-sink") or "/usr/sbin/smtp-sink")
    parser.add_argument(
        "--smtp-port", type=int, help="an SMTP server listening on 127.0.0.1: no smtp-sink started"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        port = args.smtp_port or free_port()
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
        factory = make_session_factory(engine, settings)
        sink = None if args.smtp_port else start_sink(args.smtp_sink, port)
        try:
            mails = prebuilt(args.floor_sample, settings)
            floors: list[float] = []
            pipelined: list[float] = []
            composed: list[float] = []

            def measure_floors() -> None:
                for _ in range(2):
                    floors.append(floor_rate(port, mails, settings))
                    pipelined.append(pipelined_rate(port, mails, settings))
                    composed.append(composed_rate(port, args.floor_sample, settings))

            measure_floors()
            naive = naive_rate(factory, port, args.sample, settings)
            measure_floors()
            (worker, worker_wall) = worker_rate(factory, env, args.mails, processes=1)
            (deployed, deployed_wall) = worker_rate(factory, env, args.mails, processes=2)
            measure_floors()
        finally:
            if sink is not None:
                sink.terminate()
                sink.wait()
            engine.dispose()
    floor, fastest, composing = max(floors), max(pipelined), max(composed)
    print(f"floor     (bare smtplib, pre-built bytes): {floor:6.0f} mails/s  ({runs(floors)})")
    print(f"pipelined (worker's transport, pre-built): {fastest:6.0f} mails/s  ({runs(pipelined)})")
    print(
        f"composed  (its composing, no database):    {composing:6.0f} mails/s  ({runs(composed)})"
    )
    print(f"naive     (EmailMessage, commit per mail): {naive:6.0f} mails/s")
    print(
        f"worker    (outbox, one process):          {worker:6.0f} mails/s"
        f"  ({worker_wall:.0f} from the task's sending)"
    )
    print(
        f"worker    (outbox, 2 processes, make run): {deployed:6.0f} mails/s"
        f"  ({deployed_wall:.0f} from the task's sending)"
    )
    print(
        f"worker / floor: {worker / floor:5.0%}   worker / pipelined: {worker / fastest:5.0%}"
        f"   worker / naive: {worker / naive:4.1f}x"
    )
    print(f"worker of 2 processes / pipelined: {deployed / fastest:5.0%}")
    print(
        f"composed / pipelined: {composing / fastest:5.0%}"
        f"   worker / composed: {worker / composing:5.0%}"
    )


if __name__ == "__main__":
    main()
