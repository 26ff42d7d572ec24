"""Benchmark whether Connect's timing tells which addresses have an account.

    python bench/enumeration.py [--requests 200] [--database-url postgresql://…]

Starts Connect under gunicorn (one process, rate limits off so that one client can send them
all) on an embedded SQLite database of its own (or the given one, which it migrates), with an
activated account. Then sends, interleaved in a random order within each pair, `--requests`
forgot-password requests for that account's address and as many for unknown addresses, and the
same for registration (captchas solved before the clock starts). No outbox worker runs: what the
worker does after the answer is not on the request's clock.

Prints, per kind, the median time of each side and the two-sided Mann-Whitney U p-value (normal
approximation with tie correction): a small p (say below 0.01) means the two sides can be told
apart.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onboarding.clock import utcnow  # noqa: E402
from onboarding.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from onboarding.identity import accounts, captcha  # noqa: E402
from onboarding.migrate import upgrade  # noqa: E402
from onboarding.outbox import delivery  # noqa: E402
from onboarding.outbox.models import OutboxMessage  # noqa: E402
from onboarding.settings import Settings, use_settings  # noqa: E402

KNOWN = "ada@example.org"
PASSWORD = "correct horse battery staple"  # noqa: S105
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def known_account(settings: Settings) -> None:
    """An activated account at KNOWN, made through the use cases and the worker's answer."""
    factory = make_session_factory(make_engine(settings.database_url), settings)
    upgrade(factory.kw["bind"])
    use_settings(settings)
    with unit_of_work(factory) as session:
        details = {"first_name": "Ada", "last_name": "Lovelace", "language": "en"}
        accounts.register(session, email=KNOWN, country=None, **details)
    delivery.answer_requests(factory, utcnow(), limit=1)
    with unit_of_work(factory) as session:
        mail = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "mail").order_by(OutboxMessage.id)
        ).all()[-1]
        raw = mail.payload["context"]["activate_url"].rsplit("/", 1)[1]
        accounts.activate(session, raw, PASSWORD, PASSWORD)


def start_connect(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    app = "web:create_connect_app({'RATELIMIT_ENABLED': False})"
    argv = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen([*argv, app], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/register", timeout=5)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("Connect did not start")


def csrf(client: requests.Session, url: str) -> str:
    match = _CSRF.search(client.get(url, timeout=10).text)
    assert match, f"no CSRF token at {url}"
    return match.group(1)


def timed(client: requests.Session, url: str, data: dict[str, str]) -> float:
    start = time.perf_counter()
    response = client.post(url, data=data, allow_redirects=False, timeout=10)
    elapsed = time.perf_counter() - start
    assert response.status_code == 303, (response.status_code, response.text[:500])
    return elapsed


def interleaved(
    count: int, known: Callable[[int], float], unknown: Callable[[int], float]
) -> tuple[list[float], list[float]]:
    """`count` timings of each side, each pair in a random order."""
    first, second = [], []
    for number in range(count):
        if random.random() < 0.5:
            first.append(known(number))
            second.append(unknown(number))
        else:
            second.append(unknown(number))
            first.append(known(number))
    return first, second


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation, ties corrected)."""
    values = sorted([(value, 0) for value in a] + [(value, 1) for value in b])
    ranks = [0.0] * len(values)
    ties = 0.0
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and values[end + 1][0] == values[start][0]:
            end += 1
        for index in range(start, end + 1):
            ranks[index] = (start + end) / 2 + 1
        size = end - start + 1
        ties += size**3 - size
        start = end + 1
    n1, n2 = len(a), len(b)
    rank_sum = sum(rank for rank, (_, side) in zip(ranks, values, strict=True) if side == 0)
    u = rank_sum - n1 * (n1 + 1) / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    z = (abs(u - n1 * n2 / 2) - 0.5) / sigma  # with continuity correction
    return math.erfc(max(z, 0.0) / math.sqrt(2))


def report(kind: str, known: list[float], unknown: list[float]) -> None:
    print(
        f"{kind:<10} existing {statistics.median(known) * 1000:6.2f} ms   "
        f"unknown {statistics.median(unknown) * 1000:6.2f} ms   "
        f"Mann-Whitney p = {mann_whitney_p(known, unknown):.3g}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        port = free_port()
        env = {
            **os.environ,
            "ONBOARDING_VAR_DIR": var_dir,
            "CONNECT_ISSUER": f"http://127.0.0.1:{port}",
            "OIDC_ISSUER": f"http://127.0.0.1:{port}",
            "ALTCHA_MAX_NUMBER": "1000",
        }
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        settings = Settings.from_env(env)
        known_account(settings)
        connect = start_connect(env, port)
        base = f"http://127.0.0.1:{port}"
        try:
            client = requests.Session()
            token = csrf(client, f"{base}/password/forgot")

            def forgot(email: str) -> float:
                data = {"csrf_token": token, "email": email, "language": "en"}
                return timed(client, f"{base}/password/forgot", data)

            report(
                "forgot",
                *interleaved(
                    args.requests,
                    lambda _: forgot(KNOWN),
                    lambda number: forgot(f"nobody{number}@example.org"),
                ),
            )
            captchas = [
                captcha.solve(client.get(f"{base}/captcha/challenge", timeout=10).json())
                for _ in range(2 * args.requests)
            ]
            token = csrf(client, f"{base}/register")

            def register(email: str) -> float:
                data = {
                    "csrf_token": token,
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "email": email,
                    "language": "en",
                    "country": "GB",
                    "altcha": captchas.pop(),
                }
                return timed(client, f"{base}/register", data)

            report(
                "register",
                *interleaved(
                    args.requests,
                    lambda _: register(KNOWN),
                    lambda number: register(f"newcomer{number}@example.org"),
                ),
            )
        finally:
            connect.terminate()
            connect.wait(timeout=10)


if __name__ == "__main__":
    main()
