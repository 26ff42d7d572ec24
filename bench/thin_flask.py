"""The yardsticks between bench/web.py's bare page and the app's pages: Flask pages doing part or
all of the invitation page's work with nothing around it, to show what that work costs alone.

- `/form`: the bare page with a form's CSRF token (Flask-WTF's, kept in Flask's session cookie,
  which the answer sets for a visitor without one).
- `/invitations/<token>`: the invitation page's work alone: its one statement (check the link,
  note the fetch) on a driver connection of the worker's own, its page in one template, the
  form's CSRF token. No ORM, no translations, no request log, no security headers.
"""

from __future__ import annotations

from functools import cache

import psycopg
from flask import Flask, render_template, request
from flask_wtf.csrf import generate_csrf
from psycopg.types.json import Json
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from onboarding.clock import utcnow
from onboarding.dashboard.link_hits import CHECK_AND_NOTE, check_and_note_parameters
from onboarding.journeys import link_tokens
from onboarding.journeys.shown_invitation import invitation_of
from onboarding.settings import get_settings

settings = get_settings()
app = Flask(__name__)
app.config["SECRET_KEY"] = settings.secret_key
app.jinja_env.globals["csrf_token"] = generate_csrf
STATEMENT = str(CHECK_AND_NOTE.compile(dialect=postgresql.dialect()))


@cache
def connection() -> psycopg.Connection:
    """The worker's connection (opened after gunicorn forked it)."""
    url = make_url(settings.database_url).set(drivername="postgresql")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


@app.get("/form")
def form() -> str:
    return render_template("bare_form.html", title="A page", items=range(20))


@app.get("/invitations/<token>")
def invitation(token: str) -> tuple[str, int]:
    now = utcnow()
    link = link_tokens.link_parameters(token, link_tokens.INVITATION, now)
    parameters = check_and_note_parameters(
        link, method=request.method, user_agent=request.user_agent.string, now=now
    )
    parameters["detail"] = Json(parameters["detail"])
    with connection().cursor() as cursor:
        rows = cursor.execute(STATEMENT, parameters).fetchall()
    if not rows:
        return "Not found", 404
    return render_template("thin_invitation.html", journey=invitation_of(rows, 2)), 200


@app.get("/healthz")
def healthz() -> str:
    return "ok"
