"""Connect's application on the test database, with a quick captcha."""

from __future__ import annotations

import json

import pytest
import requests

from onboarding.settings import use_settings
from tests.helpers import APP_CALLBACK, PASSWORD, Deferred, activated_account, csrf_token, serve


@pytest.fixture
def connect_settings(settings):
    current = settings.with_overrides(altcha_max_number=500)
    use_settings(current)
    return current


@pytest.fixture
def connect_app(factory, connect_settings):
    from web import create_connect_app

    return create_connect_app()


@pytest.fixture
def client(connect_app):
    return connect_app.test_client()


# A client of Connect besides the app, allowed refresh tokens.
OFFLINE_CLIENT = {
    "client_id": "offline-rp",
    "client_secret": "offline-rp-secret-0123456789",
    "redirect_uris": [APP_CALLBACK],
    "offline_access": True,
}


@pytest.fixture
def connect(factory, settings):
    """Connect served on a loopback port (its issuer is that address); yields the address."""
    from web import create_connect_app

    app = Deferred()
    with serve(app) as url:
        app.app = create_connect_app(
            settings=settings.with_overrides(
                connect_issuer=url, connect_clients=json.dumps([OFFLINE_CLIENT])
            )
        )
        yield url


@pytest.fixture
def browser(connect, factory):
    """A browser session logged in to Connect as Ada."""
    activated_account(factory)
    session = requests.Session()
    page = session.get(f"{connect}/login")
    response = session.post(
        f"{connect}/login",
        data={
            "csrf_token": csrf_token(page.text),
            "email": "ada@example.com",
            "password": PASSWORD,
        },
        allow_redirects=False,
    )
    assert response.status_code == 302
    return session
