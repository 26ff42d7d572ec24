"""Whole OpenID Connect log-ins in one process and one thread: CPU per log-in, the requests,
SQL statements and Redis commands of one, and optionally where the time goes.

    python bench/login_profile.py [--log-ins 50] [--profile cumulative|tottime]
                                  [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

The same log-in as bench/logins.py (the app's "Log in with Connect" → Connect's form → code →
token → the app's callback, whose answer, a redirect to the landing page with the app's session
cookie, ends it: Measurements is not fetched but once at the end, to check that the session
works), with the app and Connect called as WSGI
applications through a `requests` transport instead of over sockets, so that one profile sees
the browser, the app, its token request and Connect together. Rate limits count in a
redis-server of the run, as under gunicorn. CPU time of this process only (PostgreSQL's and
Redis's own work is not in it), for the whole log-in and for each request the applications
answer (its own CPU: the app's callback without the token request it makes to Connect).
Figures on a shared machine are steadier here than under load, so decide by these and confirm
with bench/logins.py.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
import requests
from requests.adapters import BaseAdapter
from requests.cookies import extract_cookies_to_jar
from requests.structures import CaseInsensitiveDict
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.logins import log_in, seed, signed_in  # noqa: E402
from bench.stack import Database, environment  # noqa: E402
from onboarding.settings import Settings, use_settings  # noqa: E402
from tests.redis_server import PrivateRedis  # noqa: E402
from web import create_app, create_connect_app  # noqa: E402

APP, CONNECT = "127.0.0.1:5000", "127.0.0.1:5001"
PEOPLE = 20


class _Message:
    """What http.cookiejar reads of a response: its headers."""

    def __init__(self, headers: Headers) -> None:
        self.headers = headers

    def get_all(self, name: str, default: Any = None) -> Any:
        return self.headers.getlist(name) or default


class _Raw:
    """What `requests` reads cookies from (`response.raw._original_response.msg`)."""

    def __init__(self, headers: Headers) -> None:
        self._original_response = self
        self.msg = _Message(headers)

    def info(self) -> _Message:
        return self.msg


class WSGITransport(BaseAdapter):  # type: ignore[misc]
    """Requests to APP and CONNECT answered by their WSGI applications, in this thread; the
    CPU seconds each kind of request took itself, nested requests left out."""

    def __init__(self, applications: dict[str, Any], requests_seen: Counter[str]) -> None:
        super().__init__()
        self.applications, self.requests_seen = applications, requests_seen
        self.cpu: Counter[str] = Counter()
        self.answering: list[str] = []  # the requests being answered, innermost last
        self._nested_cpu = [0.0]  # per request being answered: CPU of the requests it made

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        url = urlsplit(request.url)
        name = f"{request.method} {url.netloc}{url.path}"
        self.requests_seen[name] += 1
        started = time.process_time()
        self._nested_cpu.append(0.0)
        self.answering.append(name)
        try:
            return self._answer(request, url)
        finally:
            self.answering.pop()
            took = time.process_time() - started
            self.cpu[name] += took - self._nested_cpu.pop()
            self._nested_cpu[-1] += took

    def _answer(self, request: requests.PreparedRequest, url: Any) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        builder = EnvironBuilder(
            path=url.path,
            query_string=url.query,
            method=request.method,
            base_url=f"{url.scheme}://{url.netloc}",
            headers=dict(request.headers),
            data=body,
        )
        environ = builder.get_environ()
        builder.close()
        answer, status, headers = run_wsgi_app(self.applications[url.netloc], environ)
        response = requests.Response()
        response._content = b"".join(answer)
        if hasattr(answer, "close"):
            answer.close()
        code, _, reason = status.partition(" ")
        response.status_code, response.reason = int(code), reason
        response.headers = CaseInsensitiveDict(headers.to_wsgi_list())
        response.url, response.request, response.encoding = request.url, request, "utf-8"
        response.raw = _Raw(headers)
        extract_cookies_to_jar(response.cookies, request, response.raw)
        return response

    def close(self) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-ins", type=int, default=50)
    parser.add_argument("--profile", choices=("cumulative", "tottime"))
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    statements: Counter[tuple[str, str]] = Counter()  # by request and kind
    requests_seen: Counter[str] = Counter()
    transport = WSGITransport({}, requests_seen)  # the applications come once made

    @event.listens_for(Engine, "before_cursor_execute")
    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        answering = transport.answering[-1] if transport.answering else "-"
        statements[answering, statement.split(None, 1)[0]] += 1

    database = Database(args.postgres_url)
    redis_server = PrivateRedis().start()
    try:
        with tempfile.TemporaryDirectory() as var_dir:
            env = environment(database.url, Path(var_dir), 5000, 5001, redis_url=redis_server.url)
            env["TRUSTED_PROXIES"] = "1"
            settings = Settings.from_env(env)
            use_settings(settings)
            addresses = seed(settings, PEOPLE)
            transport.applications.update(
                {
                    APP: create_app(settings=settings),
                    CONNECT: create_connect_app(settings=settings),
                }
            )
            # The app's own requests to Connect (its token request) take the same way.
            opened = requests.Session.__init__

            def session_with_transport(session: requests.Session) -> None:
                opened(session)
                session.mount("http://", transport)

            requests.Session.__init__ = session_with_transport  # type: ignore[method-assign]

            def one_log_in(number: int) -> requests.Session:
                browser = requests.Session()
                browser.headers["X-Forwarded-For"] = f"10.0.{number >> 8 & 255}.{number & 255}"
                address = addresses[number % PEOPLE]
                failure = log_in(browser, f"http://{APP}", f"http://{CONNECT}", address)
                if failure is not None:
                    raise RuntimeError(f"log-in ended at {failure}")
                return browser

            for number in range(PEOPLE):  # warm up; stored hashes upgraded to the settings'
                one_log_in(number)
            statements.clear()
            requests_seen.clear()
            counts = redis.Redis.from_url(redis_server.url)
            counts.config_resetstat()
            one_log_in(0)
            commands = {
                name.removeprefix("cmdstat_"): stats["calls"]
                for name, stats in counts.info("commandstats").items()
                if not name.startswith(("cmdstat_config", "cmdstat_info"))
            }
            print(f"one log-in: {sum(requests_seen.values())} requests, ", end="")
            print(f"{sum(statements.values())} SQL statements, ", end="")
            print(f"Redis commands {commands} (a script's own among them)")
            for name, times in requests_seen.items():
                kinds = {kind: n for (request, kind), n in statements.items() if request == name}
                print(f"  {name} ×{times}: {sum(kinds.values())} SQL statements {kinds}")
            runs = []
            for _ in range(3):
                transport.cpu.clear()
                started = time.process_time()
                for number in range(args.log_ins):
                    browser = one_log_in(number)
                runs.append((time.process_time() - started) / args.log_ins * 1000)
                if runs[-1] == min(runs):
                    best = dict(transport.cpu)
            if not signed_in(browser, f"http://{APP}"):
                raise RuntimeError("the app did not take the last log-in's session")
            print(f"CPU per log-in: {min(runs):.1f} ms (best of 3 runs of {args.log_ins})")
            for name, seconds in best.items():
                print(f"  {name}: {seconds / args.log_ins * 1000:.2f} ms")
            if args.profile:
                profile = cProfile.Profile()
                profile.runcall(lambda: [one_log_in(number) for number in range(args.log_ins)])
                pstats.Stats(profile).sort_stats(args.profile).print_stats(60)
    finally:
        redis_server.stop()
        database.close()


if __name__ == "__main__":
    main()
