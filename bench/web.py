"""Invitee-facing pages against a bare Flask page, side by side in one run.

    python bench/web.py [--seconds 10] [--connections 16] [--workers 2|recommended]
                        [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

Starts the app, Connect and a bare Flask page (a 2 kB template) under gunicorn with the same
number of sync workers, on a PostgreSQL database and a redis-server of their own (dropped at the
end), and drives each endpoint with `wrk` (Debian's package `wrk`). Prints requests/s, p50, p99
and each endpoint's share of the bare page's requests/s; the goal is 50% or more.
`--workers recommended` gives every contender gunicorn's recommended 2 × cores + 1 workers.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import Database, environment, gunicorn  # noqa: E402
from onboarding.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from onboarding.settings import Settings  # noqa: E402
from tests import helpers  # noqa: E402
from tests.mailbox import free_port  # noqa: E402
from tests.redis_server import PrivateRedis  # noqa: E402
from web import create_app  # noqa: E402


@dataclass(frozen=True)
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def seed(settings: Settings) -> tuple[str, str]:
    """An invitation (its page's path) and a signed-in member's session cookie."""
    factory = make_session_factory(make_engine(settings.database_url), settings)
    with unit_of_work(factory) as session:
        org = helpers.organization(session)
        invited = helpers.invitee(session, org, email="invitee@example.com")
        invitation = helpers.invitation_path(session, invited)
        member = helpers.member(session, org, email="member@example.com", roles=("viewer",))
        member_id = member.person.id
    app = create_app(settings=settings)
    client = app.test_client()
    with unit_of_work(factory) as session:
        person = session.get(type(member.person), member_id)
        helpers.log_in_to_app(client, person)
    # The cookie of a browser that opened a page since: its session holds the token of the
    # page's forms, which each page would otherwise add (and sign the cookie again).
    client.get("/measurements")
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    return invitation, f"{name}={cookie.value}"


LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(name: str, url: str, seconds: int, connections: int, headers: list[str]) -> Result:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for header in headers:
        argv += ["-H", header]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {q: float(v) * UNIT_MS[unit] for q, v, unit in LATENCY.findall(out)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Result(name, rate, latency["50"], latency["99"], int(errors.group(1)) if errors else 0)


def workers(value: str) -> int:
    """A number of gunicorn workers, or "recommended": 2 × cores + 1."""
    if value == "recommended":
        return 2 * (os.cpu_count() or 1) + 1
    return int(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=workers, default=2)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    database = Database(args.postgres_url)
    redis = PrivateRedis().start()
    ports = free_port(), free_port(), free_port(), free_port()
    try:
        with tempfile.TemporaryDirectory() as var_dir:
            env = environment(database.url, Path(var_dir), ports[0], ports[1], redis.url)
            settings = Settings.from_env(env)
            invitation, cookie = seed(settings)
            with (
                gunicorn("bench.bare_flask:app", ports[2], args.workers, env) as bare,
                gunicorn("bench.thin_flask:app", ports[3], args.workers, env) as thin,
                gunicorn("web:create_app()", ports[0], args.workers, env) as app,
                gunicorn("web:create_connect_app()", ports[1], args.workers, env) as connect,
            ):
                authorize = urlencode(
                    {
                        "response_type": "code",
                        "client_id": settings.oidc_client_id,
                        "redirect_uri": f"{app}/auth/callback",
                        "scope": "openid email profile",
                        "state": "bench-state",
                        "nonce": "bench-nonce",
                        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                        "code_challenge_method": "S256",
                    }
                )
                endpoints = [
                    ("bare Flask page", f"{bare}/", []),
                    # The invitation page's work alone, in part and whole (bench/thin_flask.py).
                    ("bare page + a form's CSRF token", f"{thin}/form", []),
                    ("thin invitation page (its work alone)", f"{thin}{invitation}", []),
                    ("GET /invitations/<valid token>", f"{app}{invitation}", []),
                    ("GET /invitations/<unknown> (a 404)", f"{app}/invitations/{'x' * 43}", []),
                    ("GET /login", f"{app}/login", []),
                    ("GET /join", f"{app}/join", []),
                    ("GET /measurements (signed in)", f"{app}/measurements", [f"Cookie: {cookie}"]),
                    ("Connect GET /register", f"{connect}/register", []),
                    ("Connect GET /login", f"{connect}/login", []),
                    ("Connect GET /authorize (redirect)", f"{connect}/authorize?{authorize}", []),
                    # What a browser gets there: the log-in page itself.
                    (
                        "Connect GET /authorize (a browser's)",
                        f"{connect}/authorize?{authorize}",
                        ["Accept: text/html"],
                    ),
                ]
                results = []
                for name, url, headers in endpoints:
                    # Each worker's first requests load what it keeps (templates, compiled
                    # statements, connections, locale data): a second's run not counted.
                    wrk(name, url, 1, args.connections, headers)
                    results.append(wrk(name, url, args.seconds, args.connections, headers))
    finally:
        redis.stop()
        database.close()
    floor = results[0].requests_per_second
    print(f"gunicorn: {args.workers} sync workers per contender")
    # The last column counts answers that are neither 2xx nor 3xx: all of the unknown link's
    # answers (its 404 is the page it should show), none of any other endpoint's.
    print(f"{'endpoint':38} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'share':>6} {'4xx/5xx':>7}")
    for result in results:
        share = result.requests_per_second / floor
        print(
            f"{result.name:38} {result.requests_per_second:8.0f} {result.p50_ms:7.1f} "
            f"{result.p99_ms:7.1f} {share:6.0%} {result.errors:7d}"
        )


if __name__ == "__main__":
    main()
