"""Log in with an upstream OpenID Connect provider, here a second Connect in its own process
on loopback: the first log-in creates an activated account, later ones find it; the
federated user can set a password through Forgot your password and then enable 2FA."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from onboarding.db import make_engine, make_session_factory, unit_of_work
from onboarding.identity.accounts import find_by_email
from onboarding.identity.machine import AccountState
from onboarding.identity.models import UpstreamIdentity
from onboarding.migrate import upgrade
from tests.helpers import Deferred, activated_account, link_token, mails, serve, webhooks

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ROOT = Path(__file__).resolve().parents[3]
SECRET = "downstream-client-secret-0123456789"


@pytest.fixture
def downstream_app():
    return Deferred()


@pytest.fixture
def downstream(factory, connect_settings, downstream_app):
    """Connect under test, on 127.0.0.1 (the upstream lives on `localhost`, so the two
    session cookies stay apart as they would on two hosts)."""
    from web import create_connect_app

    with serve(downstream_app) as url:
        downstream_app.app = create_connect_app(
            settings=connect_settings.with_overrides(connect_issuer=url)
        )
        yield url


@pytest.fixture
def upstream(tmp_path, downstream, downstream_app, connect_settings):
    """A second Connect process with its own database and a client for `downstream`."""
    directory = tmp_path / "upstream"
    directory.mkdir()
    database = f"sqlite:///{directory / 'upstream.sqlite3'}"
    engine = make_engine(database)
    upgrade(engine)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ONBOARDING_ENV": "test",
        "ONBOARDING_VAR_DIR": str(directory),
        "SECRET_KEY": "upstream-secret-key-0123456789",
        "DATABASE_URL": database,
        "IDP_NAME": "Upstream",
        "CONNECT_CLIENTS": json.dumps(
            [
                {
                    "client_id": "downstream",
                    "client_secret": SECRET,
                    "redirect_uris": [f"{downstream}/login/upstream/callback"],
                }
            ]
        ),
    }
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "tests.integration.identity.upstream_server"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://localhost:"), "the upstream did not start"
        from web import create_connect_app

        downstream_settings = connect_settings.with_overrides(
            connect_issuer=downstream,
            upstream_issuer=url,
            upstream_client_id="downstream",
            upstream_client_secret=SECRET,
        )
        downstream_app.app = create_connect_app(settings=downstream_settings)
        factory = make_session_factory(engine, connect_settings)
        activated_account(
            factory, email="grace@example.com", first_name="Grace", last_name="Hopper"
        )
        yield url
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()
        engine.dispose()


def csrf(response):
    return CSRF.search(response.text).group(1)


def log_in_upstream(browser, downstream, upstream, password="orbit lantern pebble quiet"):
    """Click "Log in with Upstream" at the downstream Connect, logging in upstream if asked."""
    page = browser.get(f"{downstream}/login")
    assert "Log in with Google" in page.text
    response = browser.post(
        f"{downstream}/login/upstream", data={"csrf_token": csrf(page), "next": "/account/security"}
    )
    if response.url.startswith(f"{upstream}/login"):
        next_field = re.search(r'name="next" value="([^"]+)"', response.text).group(1)
        response = browser.post(
            f"{upstream}/login",
            data={
                "csrf_token": csrf(response),
                "email": "grace@example.com",
                "password": password,
                "next": next_field.replace("&amp;", "&"),
            },
        )
    return response


def test_a_first_federated_log_in_creates_an_activated_account(upstream, downstream, factory):
    browser = requests.Session()
    response = log_in_upstream(browser, downstream, upstream)
    assert response.url == f"{downstream}/account/security"
    assert "grace@example.com" in response.text
    with unit_of_work(factory) as session:
        account = find_by_email(session, "grace@example.com")
        assert account.state is AccountState.activated and account.password_hash is None
        assert (account.first_name, account.last_name) == ("Grace", "Hopper")
        [link] = session.scalars(select(UpstreamIdentity)).all()
        assert link.issuer == upstream and link.account_id == account.id
        events = [w["event"]["type"] for w in webhooks(session)]
    assert events == ["account.registered", "account.activated"]

    # Later log-ins find the same account.
    browser.post(f"{downstream}/logout", data={"csrf_token": csrf(response)})
    again = log_in_upstream(browser, downstream, upstream)
    assert again.url == f"{downstream}/account/security"
    with unit_of_work(factory) as session:
        assert len(session.scalars(select(UpstreamIdentity)).all()) == 1


def test_a_federated_user_sets_a_password_then_2fa_is_asked_at_federated_log_in(
    upstream, downstream, factory
):
    import pyotp

    browser = requests.Session()
    security = log_in_upstream(browser, downstream, upstream)
    assert "first set a password" in security.text
    # Forgot your password? gives a federated account its first Connect password.
    forgot = browser.get(f"{downstream}/password/forgot")
    browser.post(
        f"{downstream}/password/forgot",
        data={"csrf_token": csrf(forgot), "email": "grace@example.com"},
    )
    with unit_of_work(factory) as session:
        token = link_token(mails(session, "password_reset")[-1]["context"]["reset_url"])
    form = browser.get(f"{downstream}/password/reset/{token}")
    done = browser.post(
        f"{downstream}/password/reset/{token}",
        data={
            "csrf_token": csrf(form),
            "password": "copper meadow violin storm",
            "password_confirmation": "copper meadow violin storm",
        },
    )
    assert done.url == f"{downstream}/login"
    # The reset ended nothing at the upstream; log in there again and turn on 2FA here.
    security = log_in_upstream(browser, downstream, upstream)
    enrol = browser.post(f"{downstream}/account/security/totp", data={"csrf_token": csrf(security)})
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', enrol.text).group(1)
    confirmed = browser.post(
        f"{downstream}/account/security/totp/confirm",
        data={"csrf_token": csrf(enrol), "code": pyotp.TOTP(secret).now()},
    )
    assert "Two-factor authentication is on" in confirmed.text
    browser.post(f"{downstream}/logout", data={"csrf_token": csrf(enrol)})
    asked = log_in_upstream(browser, downstream, upstream)
    assert asked.url == f"{downstream}/login/2fa"


def test_a_refused_upstream_log_in_is_a_clear_page(upstream, downstream, factory):
    browser = requests.Session()
    page = browser.get(f"{downstream}/login")
    browser.post(
        f"{downstream}/login/upstream", data={"csrf_token": csrf(page)}, allow_redirects=False
    )
    response = browser.get(f"{downstream}/login/upstream/callback?error=access_denied&state=x")
    assert response.status_code == 403
    assert "did not log you in" in response.text
