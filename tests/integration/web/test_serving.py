"""web.serving: a new gunicorn worker is warmed up before it takes its first request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import requests

from tests.celery_worker import ROOT, worker_env
from tests.helpers import invitation_path, invitee, organization
from tests.mailbox import free_port
from web import create_connect_app
from web.serving import warm_up


@pytest.fixture
def no_template_file_read(monkeypatch):
    """Reading a template's file from now on fails the request that does it."""

    def refuse(*_args):
        raise AssertionError("a template was read from disk after the warm-up")

    def arm(app):
        monkeypatch.setattr(app.jinja_env.loader, "get_source", refuse)

    return arm


def test_a_warmed_up_app_compiles_no_template_for_its_first_pages(
    app, factory, no_template_file_read
):
    with factory() as session:
        path = invitation_path(session, invitee(session, organization(session, "Acme")))
        session.commit()
    warm_up(app)
    no_template_file_read(app)
    client = app.test_client()
    for page in ("/login", "/join", path, f"/invitations/{'x' * 43}"):
        assert client.get(page).status_code in (200, 404)
    assert "Acme" in client.get(path).get_data(as_text=True)


def test_a_warmed_up_connect_compiles_no_template_for_its_first_pages(
    factory, no_template_file_read
):
    connect = create_connect_app({"TESTING": True})
    warm_up(connect)
    no_template_file_read(connect)
    client = connect.test_client()
    for page in ("/login", "/register", "/password/forgot"):
        assert client.get(page).status_code == 200


def test_each_gunicorn_worker_warms_up_before_it_serves(settings, factory, tmp_path):
    port = free_port()
    env = {**os.environ, **worker_env(tmp_path, settings.database_url, "smtp://127.0.0.1:9")}
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", "python:web.serving", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "web:create_app()"],
        env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert requests.get(f"http://127.0.0.1:{port}/login", timeout=5).ok
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    warmed = [
        line
        for line in map(_json, errors.splitlines())
        if line and line.get("message") == "worker warmed up"
    ]
    assert len(warmed) == 2 and all(line["milliseconds"] > 0 for line in warmed), errors


def _json(line: str) -> dict | None:
    try:
        return json.loads(line)
    except ValueError:
        return None
