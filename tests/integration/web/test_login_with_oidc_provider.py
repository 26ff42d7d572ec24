"""The app logs in and out against a third-party, certified OpenID provider: `oidc-provider`
(npm) started on loopback by tests/third_party_provider.mjs, with its own log-in, consent and
log-out pages, its RFC 9207 `iss` and its RP-Initiated Logout."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from onboarding.db import unit_of_work
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.settings import use_settings
from tests.helpers import invitee, organization
from web import create_app

ROOT = Path(__file__).resolve().parents[3]
EMAIL = "ann@example.com"
_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_INPUT = re.compile(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"')


@pytest.fixture
def provider(settings):
    """oidc-provider serving the app as its client; yields its issuer."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("node and oidc-provider are needed: run `make test-install`")
    process = subprocess.Popen(
        [node, str(ROOT / "tests" / "third_party_provider.mjs")],
        env={
            "PATH": str(Path(node).parent),
            "CLIENT_ID": settings.oidc_client_id,
            "CLIENT_SECRET": settings.oidc_client_secret,
            "REDIRECT_URI": f"{settings.app_base_url}/auth/callback",
            "POST_LOGOUT_REDIRECT_URI": f"{settings.app_base_url}/",
            "EMAIL": EMAIL,
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        issuer = json.loads(process.stdout.readline())["issuer"]
        use_settings(settings.with_overrides(oidc_issuer=issuer))
        yield issuer
    finally:
        process.stdin.close()  # the provider stops when its stdin closes
        process.wait(10)
        process.stdout.close()


@pytest.fixture
def journey_id(factory):
    with unit_of_work(factory) as session:
        return invitee(session, organization(session, "Acme"), email=EMAIL).id


def form_of(page: requests.Response) -> tuple[str, dict[str, str]]:
    """The first form of a page: where it posts, and its fields with their values."""
    action, inner = _FORM.search(page.text).groups()
    fields = {name: html.unescape(value) for name, value in _INPUT.findall(inner)}
    return urljoin(page.url, html.unescape(action)), fields


def until_leaving(browser: requests.Session, response: requests.Response, origin: str):
    """Follow redirects within the provider; the first address outside it, or the page."""
    while response.is_redirect:
        target = urljoin(response.url, response.headers["Location"])
        if not target.startswith(origin):
            return target
        response = browser.get(target, allow_redirects=False)
    return response


def submit(browser: requests.Session, page: requests.Response, origin: str, **values: str):
    """Post the page's form with `values` filled in, following redirects within the provider."""
    action, fields = form_of(page)
    response = browser.post(action, data={**fields, **values}, allow_redirects=False)
    return until_leaving(browser, response, origin)


def test_the_app_logs_in_and_out_with_oidc_provider(factory, provider, journey_id):
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    browser = requests.Session()
    start = app.get("/login/connect")
    at_provider = browser.get(start.headers["Location"], allow_redirects=False)
    login_page = until_leaving(browser, at_provider, provider)
    action, fields = form_of(login_page)
    fields.update(login="ann-at-the-provider", password="anything")
    consent = until_leaving(
        browser, browser.post(action, data=fields, allow_redirects=False), provider
    )
    action, fields = form_of(consent)
    callback = until_leaving(
        browser, browser.post(action, data=fields, allow_redirects=False), provider
    )

    assert urlsplit(callback).path == "/auth/callback" and "iss=" in callback
    signed_in = app.get(f"/auth/callback?{urlsplit(callback).query}")
    assert signed_in.headers["Location"] == "/measurements"
    assert "Signed in as ann@example.com" in app.get("/measurements").get_data(as_text=True)
    with unit_of_work(factory) as session:
        assert session.get(Journey, journey_id).state is JourneyState.logged_in

    end_session = app.post("/logout").headers["Location"]
    assert end_session.startswith(f"{provider}/session/end")
    confirmation = until_leaving(browser, browser.get(end_session, allow_redirects=False), provider)
    action, fields = form_of(confirmation)
    fields["logout"] = "yes"
    back = until_leaving(
        browser, browser.post(action, data=fields, allow_redirects=False), provider
    )
    assert back == "http://app.test/"
    assert app.get("/measurements").status_code == 302
