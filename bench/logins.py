"""Whole OpenID Connect log-ins over HTTP, per second and per core.

    python bench/logins.py [--seconds 30] [--clients 8] [--workers 2] [--people 200]
                           [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

The app and Connect run under gunicorn (sync workers) on a PostgreSQL database and a
redis-server (rate limits, broker) of their own. Each simulated person, in a fresh browser
(cookie jar), starts at the app's "Log in with Connect" (authorize redirect), gets Connect's
log-in form, posts the address and password, and follows the code back to the app's callback,
which redeems it at Connect's token endpoint and lands on Measurements. Each client comes from
its own address (one trusted proxy, `X-Forwarded-For`), as people do, so the per-address log-in
limit does not apply.

Prints log-ins per second and per machine core (client, PostgreSQL and both applications share
the cores), log-ins per CPU-second of the server processes (the app's and Connect's gunicorn
masters and workers, from /proc/<pid>/stat before and after: how Keycloak's sizing guide counts,
with the load generator and the database elsewhere), and p50/p95 of a whole log-in. The goal:
30 per second per core, p95 under 300 ms.
"""

from __future__ import annotations

import argparse
import html
import itertools
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import Database, environment, gunicorn  # noqa: E402
from onboarding.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from onboarding.settings import Settings  # noqa: E402
from tests import helpers  # noqa: E402
from tests.mailbox import free_port  # noqa: E402
from tests.redis_server import PrivateRedis  # noqa: E402

PASSWORD = helpers.PASSWORD
FIELD = re.compile(r'name="(csrf_token|next)" value="([^"]*)"')


def seed(settings: Settings, people: int) -> list[str]:
    """`people` members of an organization, each with an activated Connect account."""
    factory = make_session_factory(make_engine(settings.database_url), settings)
    addresses = [f"member{n}@example.com" for n in range(people)]
    with unit_of_work(factory) as session:
        org = helpers.organization(session)
        for address in addresses:
            helpers.member(session, org, email=address, roles=("viewer",))
    for address in addresses:
        helpers.activated_account(factory, email=address, password=PASSWORD)
    return addresses


class Load:
    """Clients logging in over and over; each log-in's duration, and the failures."""

    def __init__(self, app: str, connect: str, addresses: list[str]) -> None:
        self.app, self.connect = app, connect
        self.addresses = itertools.cycle(addresses)
        self.origins = itertools.count(1)
        self.lock = threading.Lock()
        self.durations: list[float] = []
        self.failures: list[str] = []
        self.measuring = False
        self.stopping = False

    def log_in(self) -> None:
        with self.lock:
            address, origin = next(self.addresses), next(self.origins)
        browser = requests.Session()
        browser.headers["X-Forwarded-For"] = (
            f"10.{origin >> 16 & 255}.{origin >> 8 & 255}.{origin & 255}"
        )
        started = time.perf_counter()
        form = browser.get(f"{self.app}/login/connect", timeout=30)
        fields = {name: html.unescape(value) for name, value in FIELD.findall(form.text)}
        landed = browser.post(
            f"{self.connect}/login",
            data={"email": address, "password": PASSWORD, **fields},
            timeout=30,
        )
        took = time.perf_counter() - started
        ok = landed.status_code == 200 and landed.url == f"{self.app}/measurements"
        with self.lock:
            if not self.measuring:
                return
            if ok:
                self.durations.append(took)
            else:
                self.failures.append(f"{landed.status_code} {landed.url}")

    def client(self) -> None:
        while not self.stopping:
            try:
                self.log_in()
            except requests.RequestException as error:
                with self.lock:
                    if self.measuring:
                        self.failures.append(type(error).__name__)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--warm-up", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    database = Database(args.postgres_url)
    redis = PrivateRedis().start()
    ports = free_port(), free_port()
    try:
        with tempfile.TemporaryDirectory() as var_dir:
            env = environment(database.url, Path(var_dir), *ports, redis_url=redis.url)
            env["TRUSTED_PROXIES"] = "1"
            settings = Settings.from_env(env)
            addresses = seed(settings, args.people)
            with (
                gunicorn("web:create_app()", ports[0], args.workers, env) as app,
                gunicorn("web:create_connect_app()", ports[1], args.workers, env) as connect,
            ):
                load = Load(app.url, connect.url, addresses)
                clients = [threading.Thread(target=load.client) for _ in range(args.clients)]
                for client in clients:
                    client.start()
                time.sleep(args.warm_up)
                servers = {"app": app, "Connect": connect}
                cpu_before = {name: server.cpu_seconds() for name, server in servers.items()}
                load.measuring = True
                time.sleep(args.seconds)
                load.measuring = False
                cpu = {
                    name: server.cpu_seconds() - cpu_before[name]
                    for name, server in servers.items()
                }
                load.stopping = True
                for client in clients:
                    client.join()
    finally:
        redis.stop()
        database.close()
    done = sorted(load.durations)
    cores = os.cpu_count() or 1
    rate = len(done) / args.seconds
    print(f"log-ins: {len(done)} in {args.seconds} s with {args.clients} clients")
    print(f"  {rate:.1f} per second, {rate / cores:.1f} per second per core ({cores} cores)")
    server_cpu = sum(cpu.values())
    if done and server_cpu:
        print(
            f"  {len(done) / server_cpu:.1f} per CPU-second of the servers ("
            + ", ".join(
                f"{name} {seconds / len(done) * 1000:.1f} ms" for name, seconds in cpu.items()
            )
            + " of CPU per log-in)"
        )
    if done:
        p95 = done[max(0, int(len(done) * 0.95) - 1)]
        print(f"  p50 {statistics.median(done) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"  failures: {len(load.failures)} {sorted(set(load.failures))[:5]}")


if __name__ == "__main__":
    main()
