"""Whole OpenID Connect log-ins over HTTP, per second and per core.

    python bench/logins.py [--seconds 30] [--clients 8] [--workers 2] [--people 200]
                           [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

The app and Connect run under gunicorn (sync workers) on a PostgreSQL database and a
redis-server (rate limits, broker) of their own. Each simulated person, in a fresh browser
(cookie jar), starts at the app's "Log in with Connect" (authorize redirect), gets Connect's
log-in form (/authorize's answer), posts the address and password, and follows the code back
to the app's callback, which redeems it at Connect's token endpoint. The log-in ends, as
issue 14 counts it, with the callback's answer: a redirect to the landing page with the app's
session cookie set (checked).
The landing page itself is not fetched (Measurements is a page of its own, benchmarked by
bench/web.py); after the run, each client's last session opens it once, to check that the
log-ins gave sessions the app accepts, outside the figures. Each client comes from
its own address (one trusted proxy, `X-Forwarded-For`), as people do, so the per-address log-in
limit does not apply.

Prints log-ins per second and per machine core (client, PostgreSQL and both applications share
the cores), log-ins per CPU-second of the server processes (the app's and Connect's gunicorn
masters and workers, from /proc/<pid>/stat before and after, with the load generator and the
database elsewhere), log-ins per CPU-second of Connect alone (how Keycloak's sizing guide counts
its 15 per vCPU: the identity provider's own CPU), and p50/p95 of a whole log-in. The goal:
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
from urllib.parse import urljoin

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
SESSION_COOKIE = "app_session"  # the app's, see web.create_app
REDIRECTS = 5  # more, between the log-in form and the app's callback, is a loop
PAGE = helpers.PAGE_ACCEPT  # a browser's: Connect's /authorize shows it the log-in form


def log_in(browser: requests.Session, app: str, connect: str, address: str) -> str | None:
    """One whole log-in of `address` in `browser`, from the app's "Log in with Connect" to the
    answer of the app's callback; None when that answer redirects to the landing page with the
    app's session cookie set, else what it was."""
    # The app's redirect to Connect's /authorize, which answers with the log-in form.
    form = browser.get(f"{app}/login/connect", headers=PAGE, timeout=30)
    fields = {name: html.unescape(value) for name, value in FIELD.findall(form.text)}
    answer = browser.post(
        f"{connect}/login",
        data={"email": address, "password": PASSWORD, **fields},
        headers=PAGE,
        allow_redirects=False,
        timeout=30,
    )
    # Connect's redirects (the form's answer carries the code; any stop at /authorize on the
    # way) followed by hand so as to stop at the callback's answer.
    for _ in range(REDIRECTS):
        if not answer.is_redirect or answer.url.startswith(f"{app}/auth/callback"):
            break
        location = urljoin(answer.url, answer.headers["Location"])
        answer = browser.get(location, headers=PAGE, allow_redirects=False, timeout=30)
    landing = urljoin(answer.url, answer.headers.get("Location", ""))
    if (
        answer.url.startswith(f"{app}/auth/callback")
        and landing == f"{app}/measurements"
        and SESSION_COOKIE in answer.cookies
    ):
        return None
    return f"{answer.status_code} {answer.url.split('?')[0]} → {landing.split('?')[0]}"


def signed_in(browser: requests.Session, app: str) -> bool:
    """Whether the app takes `browser`'s session: its landing page answers, not a log-in."""
    page = browser.get(f"{app}/measurements", allow_redirects=False, timeout=30)
    return page.status_code == 200


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
        self.browsers: list[requests.Session] = []  # each client's last signed-in one
        self.measuring = False
        self.stopping = False

    def log_in(self) -> requests.Session | None:
        """One log-in, counted while measuring; its browser when it worked."""
        with self.lock:
            address, origin = next(self.addresses), next(self.origins)
        browser = requests.Session()
        browser.headers["X-Forwarded-For"] = (
            f"10.{origin >> 16 & 255}.{origin >> 8 & 255}.{origin & 255}"
        )
        started = time.perf_counter()
        failure = log_in(browser, self.app, self.connect, address)
        took = time.perf_counter() - started
        with self.lock:
            if self.measuring:
                if failure is None:
                    self.durations.append(took)
                else:
                    self.failures.append(failure)
        return browser if failure is None else None

    def client(self) -> None:
        last = None
        while not self.stopping:
            try:
                last = self.log_in() or last
            except requests.RequestException as error:
                with self.lock:
                    if self.measuring:
                        self.failures.append(type(error).__name__)
        if last is not None:
            with self.lock:
                self.browsers.append(last)


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
                valid = sum(signed_in(browser, app.url) for browser in load.browsers)
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
        # Keycloak's sizing guide counts the identity provider's own CPU: its 15 password
        # log-ins per second per vCPU are Keycloak's, the applications using it aside.
        print(f"  {len(done) / cpu['Connect']:.1f} per CPU-second of Connect (Keycloak's count)")
    if done:
        p95 = done[max(0, int(len(done) * 0.95) - 1)]
        print(f"  p50 {statistics.median(done) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"  failures: {len(load.failures)} {sorted(set(load.failures))[:5]}")
    print(f"  sessions the app took afterwards: {valid} of {len(load.browsers)} clients' last")


if __name__ == "__main__":
    main()
