"""CPU per request of the pages bench/web.py drives, with the WSGI applications called directly.

    python bench/page_cost.py [--requests 300] [--rounds 5]
                              [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

The same pages and data as bench/web.py (a database and a redis-server of the run), without
gunicorn and wrk: each page is asked `--requests` times per round, and the best round's CPU
time of this process per request is printed (PostgreSQL's own work is not in it). Steadier on
a shared machine than requests/s; under gunicorn a request costs about 0.18 ms more, and wrk
about 0.09 ms.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, render_template
from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import ROOT, Database, environment  # noqa: E402
from bench.web import seed  # noqa: E402
from onboarding.settings import Settings, use_settings  # noqa: E402
from tests.redis_server import PrivateRedis  # noqa: E402
from web import create_app, create_connect_app  # noqa: E402


def bare_flask() -> Flask:
    """bench/bare_flask.py's page."""
    app = Flask("bench.bare_flask", root_path=str(ROOT / "bench"))
    app.get("/")(lambda: render_template("bare.html", title="A page", items=range(20)))
    return app


def asked(wsgi: Any, path: str, headers: dict[str, str]) -> str:
    """The status of `wsgi`'s answer to a GET of `path`, its body read."""
    environ = EnvironBuilder(path=path, headers=headers, base_url="http://127.0.0.1").get_environ()
    environ["REMOTE_ADDR"] = "127.0.0.1"
    statuses: list[str] = []
    body = wsgi(environ, lambda status, _headers, _exc=None: statuses.append(status))
    b"".join(body)
    getattr(body, "close", lambda: None)()
    return statuses[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    database = Database(args.postgres_url)
    redis = PrivateRedis().start()
    try:
        with tempfile.TemporaryDirectory() as var_dir:
            env = environment(database.url, Path(var_dir), 5000, 5001, redis.url)
            settings = Settings.from_env(env)
            use_settings(settings)
            invitation, cookie = seed(settings)
            app, connect = create_app(settings=settings), create_connect_app(settings=settings)
            # Each request's log line is still made, written nowhere (the apps set the handler).
            logging.getLogger().handlers[:] = [logging.StreamHandler(io.StringIO())]
            authorize = "/authorize?" + urlencode(
                {
                    "response_type": "code",
                    "client_id": settings.oidc_client_id,
                    "redirect_uri": f"{settings.app_base_url}/auth/callback",
                    "scope": "openid email profile",
                    "state": "bench-state",
                    "nonce": "bench-nonce",
                    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                    "code_challenge_method": "S256",
                }
            )
            from bench.thin_flask import app as thin  # on the settings of the run

            pages = [
                ("bare Flask page", bare_flask(), "/", {}),
                ("bare page + a form's CSRF token", thin, "/form", {}),
                ("thin invitation page (its work alone)", thin, invitation, {}),
                ("GET /invitations/<valid token>", app, invitation, {}),
                ("GET /invitations/<unknown>", app, f"/invitations/{'x' * 43}", {}),
                ("GET /login", app, "/login", {}),
                ("GET /join", app, "/join", {}),
                ("GET /measurements (signed in)", app, "/measurements", {"Cookie": cookie}),
                ("Connect GET /register", connect, "/register", {}),
                ("Connect GET /login", connect, "/login", {}),
                ("Connect GET /authorize (redirect)", connect, authorize, {}),
                (
                    "Connect GET /authorize (a browser's)",
                    connect,
                    authorize,
                    {"Accept": "text/html"},
                ),
            ]
            print(f"{'page':40} {'status':16} {'CPU ms per request (best round)':>32}")
            for name, wsgi, path, headers in pages:
                for _ in range(30):  # warm: compiled statements, templates, connections
                    status = asked(wsgi, path, headers)
                rounds = []
                for _ in range(args.rounds):
                    start = time.process_time()
                    for _ in range(args.requests):
                        asked(wsgi, path, headers)
                    rounds.append((time.process_time() - start) / args.requests * 1000)
                print(f"{name:40} {status:16} {min(rounds):32.3f}")
    finally:
        redis.stop()
        database.close()


if __name__ == "__main__":
    main()
