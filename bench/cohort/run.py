"""A cohort of invitees from invitation to accepted, under load: the stack and a Locust run.

    python bench/cohort/run.py --invitees 10000 [--users 16] [--workers 2]
                               [--altcha-max-number N]
                               [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

Starts on loopback, for this run only: a PostgreSQL database (migrated, dropped afterwards), a
redis-server (broker and rate limits), the app and Connect under gunicorn (`--workers` sync
workers each, one trusted proxy), ONE Celery worker with beat, and the SMTP sink of the
embedded run (`python -m workers.mail_sink`, mails kept as files). It seeds an organization
with an API token, then runs `bench/cohort/locustfile.py` headless with `--users` simulated
browsers: the administrator invites everyone through the API while each invitee waits for its
mail in the sink, follows the link, registers at Connect (solving the proof of work in Python),
comes back logged in and accepts (see the locustfile).

Prints journeys per minute, the total time (from the first invite to the last Accept), p50/p95
per step, the errors and the lost mail, then the CPU time each part of the stack used during
the run (PostgreSQL: its connections to the run's database); exits non-zero on any error or lost
mail. The proof of work is solved on the same machine as the servers, so it takes its share of
the cores; give `--altcha-max-number` (the stack's `ALTCHA_MAX_NUMBER`) to see the servers with
less of it.
"""

from __future__ import annotations

import argparse
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.stack import Database, environment, gunicorn  # noqa: E402
from onboarding.dashboard import api_tokens  # noqa: E402
from onboarding.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from onboarding.settings import Settings  # noqa: E402
from tests import helpers  # noqa: E402
from tests.celery_worker import Worker  # noqa: E402
from tests.mailbox import free_port  # noqa: E402
from tests.redis_server import PrivateRedis  # noqa: E402

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# The processes of the stack, by a word of their command line.
ROLES = {
    "Connect": "create_connect_app()",
    "app": "create_app()",
    "Celery worker": "celery",
    "SMTP sink": "mail_sink",
    "Redis": "redis-server",
}


def cpu_by_role(database: str) -> dict[str, float]:
    """CPU seconds each part of the stack has used so far; for PostgreSQL, the connections to
    the run's `database` that are open now (not the server's own processes)."""
    used = dict.fromkeys([*ROLES, "PostgreSQL"], 0.0)
    ours = {process.pid for process in psutil.Process().children(recursive=True)}
    for process in psutil.process_iter():
        try:
            line, times = " ".join(process.cmdline()), process.cpu_times()
        except psutil.Error:
            continue
        if process.pid in ours:
            role = next((role for role, word in ROLES.items() if word in line), None)
        else:
            # A backend's title: "postgres: <cluster>: <user> <database> <client> <state>".
            backend = line.startswith("postgres:") and f" {database} " in line
            role = "PostgreSQL" if backend else None
        if role is not None:
            used[role] += times.user + times.system
    return used


def print_cpu(before: dict[str, float], after: dict[str, float], invitees: int) -> None:
    print("  CPU of the stack during the run, and per invitee:")
    for role, seconds in after.items():
        used = seconds - before[role]
        print(f"    {role:<14} {used:7.1f} s {used / invitees * 1000:7.1f} ms")


def seed(settings: Settings) -> str:
    """An organization with the role "viewer", and an API token of its administrator (returned).
    Connect makes its first signing key at the first request that needs one."""
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_session_factory(engine, settings)) as session:
            org = helpers.organization(session, "Cohort", roles=("admin", "viewer"))
            admin = helpers.admin_of(session, org, email="admin@cohort.example")
            return api_tokens.issue(session, org, "cohort", actor=admin.email)[1]
    finally:
        engine.dispose()


def mail_sink(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    sink = subprocess.Popen([sys.executable, "-m", "workers.mail_sink"], env=env, cwd=ROOT)  # noqa: S603
    deadline = time.monotonic() + 30
    while True:
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            return sink
        except OSError:
            if sink.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the mail sink did not start") from None
            time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invitees", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=16, help="browsers at once")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each app")
    parser.add_argument("--altcha-max-number", type=int, default=None)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    database = Database(args.postgres_url)
    redis = PrivateRedis().start()
    app_port, connect_port, smtp_port = free_port(), free_port(), free_port()
    sink = worker = None
    try:
        with tempfile.TemporaryDirectory() as var_dir:
            env = {
                **environment(database.url, Path(var_dir), app_port, connect_port),
                "TRUSTED_PROXIES": "1",
                "CELERY_BROKER_URL": redis.url,
                "REDIS_URL": redis.url,
                "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
                "LOG_LEVEL": "WARNING",  # not a line per request
            }
            if args.altcha_max_number is not None:
                env["ALTCHA_MAX_NUMBER"] = str(args.altcha_max_number)
            token = seed(Settings.from_env(env))
            sink = mail_sink(env, smtp_port)
            worker = Worker(env, "cohort", beat=True).start()
            with (
                gunicorn("web:create_app()", app_port, args.workers, env) as app,
                gunicorn("web:create_connect_app()", connect_port, args.workers, env),
            ):
                argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
                argv += ["--only-summary", "--loglevel", "WARNING", "--host", app.url]
                argv += ["--users", str(args.users), "--spawn-rate", str(args.users)]
                argv += ["--invitees", str(args.invitees), "--api-token", token]
                argv += ["--inbox", str(Path(var_dir) / "mail")]
                before = cpu_by_role(database.name)
                code = subprocess.run(argv, env=env, cwd=ROOT).returncode  # noqa: S603
                print_cpu(before, cpu_by_role(database.name), args.invitees)
                return code
    finally:
        if worker is not None:
            worker.stop()
        if sink is not None:
            sink.terminate()
            sink.wait(timeout=30)
        redis.stop()
        database.close()


if __name__ == "__main__":
    sys.exit(main())
