"""Sessions that end, in the app and at Connect: a cookie captured before log-out opens nothing
after it; the app's Log out also ends the Connect session (RP-Initiated Logout); and when an
account's sessions end at Connect, Connect tells the app with a signed logout token
(Back-Channel Logout), which ends the app's sessions of that person. Connect served on
loopback is the app's provider."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pyotp
import pytest
import requests
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.identity import accounts, keys, two_factor
from onboarding.identity.models import Account
from onboarding.outbox.models import OutboxMessage
from onboarding.settings import use_settings
from tests.helpers import (
    PASSWORD,
    Deferred,
    activated_account,
    admin_of,
    last_link,
    link_token,
    mails,
    organization,
    serve,
)
from web import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ANN = "ann@example.com"
NO_FOLLOW: dict[str, Any] = {"allow_redirects": False}
NEW_PASSWORD = "saffron harbour violin maple"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def connect(factory: sessionmaker[Session], settings: Any) -> Iterator[str]:
    """Connect on loopback, the app's provider."""
    from web import create_connect_app

    app = Deferred()
    with serve(app) as url:
        served = settings.with_overrides(connect_issuer=url, oidc_issuer=url)
        factory.configure(info={"settings": served})
        use_settings(served)  # the app of each test is made with these too
        app.app = create_connect_app(settings=served)
        yield url


@pytest.fixture
def app_client(connect: str) -> FlaskClient:
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()


@pytest.fixture
def ann(factory: sessionmaker[Session], connect: str) -> str:
    """Ann: an admin in the app, with an account at Connect; returns her subject."""
    subject = activated_account(factory, email=ANN, first_name="Ann")
    with unit_of_work(factory) as session:
        admin_of(session, organization(session, "Acme"), ANN)
    return subject


@pytest.fixture
def browser() -> requests.Session:
    """Ann's browser as Connect sees it."""
    return requests.Session()


def connect_form(
    browser: requests.Session, url: str, action: str | None = None, **data: str
) -> requests.Response:
    """Post a form of the Connect page at `url` (to `action`, or back to the page) with
    `data` and the page's CSRF token."""
    page = browser.get(url)
    token = CSRF.search(page.text)
    assert token, page.text
    target = urljoin(page.url, action) if action else page.url
    return browser.post(target, data={"csrf_token": token.group(1), **data}, **NO_FOLLOW)


def log_out_of_connect(browser: requests.Session, connect: str) -> requests.Response:
    return connect_form(browser, f"{connect}/account/security", "/logout")


def log_in_to_connect(browser: requests.Session, connect: str) -> None:
    response = connect_form(browser, f"{connect}/login", email=ANN, password=PASSWORD)
    assert response.status_code == 302


def at_connect(app_client: FlaskClient, browser: requests.Session) -> requests.Response:
    """Click "Log in with Connect": Connect's answer to the authorization request."""
    start = app_client.get("/login/connect")
    assert start.status_code == 302, start.get_data(as_text=True)
    return browser.get(start.headers["Location"], allow_redirects=False)


def log_in_to_app(
    app_client: FlaskClient,
    browser: requests.Session,
    connect: str,
    codes: list[str] | None = None,
) -> None:
    """Log in to the app through Connect, with the password when Connect asks for it, and
    the next of `codes` when it asks for a second factor; the form's answer goes straight
    back to the app with the code."""
    response = at_connect(app_client, browser)
    if urlsplit(response.headers["Location"]).path == "/login":
        login = urljoin(connect, response.headers["Location"])
        response = connect_form(browser, login, email=ANN, password=PASSWORD)
        if urlsplit(response.headers["Location"]).path == "/login/2fa":
            assert codes, "Connect asks for a second factor"
            second = urljoin(connect, response.headers["Location"])
            response = connect_form(browser, second, code=codes.pop(0))
    callback = urlsplit(response.headers["Location"])
    assert callback.path == "/auth/callback", response.headers["Location"]
    assert app_client.get(f"/auth/callback?{callback.query}").status_code == 302
    assert app_client.get("/admin/onboarding").status_code == 200


def logged_out_of_app(app_client: FlaskClient) -> bool:
    response = app_client.get("/admin/onboarding")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def logout_posts(factory: sessionmaker[Session]) -> list[dict[str, Any]]:
    """The back-channel logout posts waiting in the outbox."""
    with unit_of_work(factory) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [row.payload for row in rows if "form" in row.payload]


def deliver_logout_posts(factory: sessionmaker[Session], app_client: FlaskClient) -> list[int]:
    """What the delivery worker does with them; returns the app's answers."""
    statuses = []
    for payload in logout_posts(factory):
        assert payload["url"] == "http://app.test/auth/backchannel-logout"
        statuses.append(
            app_client.post(urlsplit(payload["url"]).path, data=payload["form"]).status_code
        )
    return statuses


def claims_of(token: str, connect: str) -> dict[str, Any]:
    key_set = KeySet.import_key_set(requests.get(f"{connect}/jwks", timeout=10).json())
    return jwt.decode(token, key_set, algorithms=["RS256"]).claims


# --- a captured cookie opens nothing after log-out ---------------------------------------


def test_an_app_cookie_captured_before_log_out_opens_nothing_after_it(
    app_client, browser, connect, ann
):
    log_in_to_app(app_client, browser, connect)
    captured = app_client.get_cookie("app_session").value
    app_client.post("/logout")
    app_client.set_cookie("app_session", captured)
    assert logged_out_of_app(app_client)


def test_a_connect_cookie_captured_before_log_out_opens_nothing_after_it(browser, connect, ann):
    log_in_to_connect(browser, connect)
    captured = browser.cookies["connect_session"]
    assert browser.get(f"{connect}/account/security", **NO_FOLLOW).status_code == 200
    assert log_out_of_connect(browser, connect).status_code == 302
    replay = requests.Session()
    replay.cookies.set("connect_session", captured)
    response = replay.get(f"{connect}/account/security", **NO_FOLLOW)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


# --- RP-Initiated Logout ------------------------------------------------------------------


def test_discovery_names_the_end_session_endpoint_and_back_channel_logout(connect):
    config = requests.get(f"{connect}/.well-known/openid-configuration", timeout=10).json()
    assert config["end_session_endpoint"] == f"{connect}/end-session"
    assert config["backchannel_logout_supported"] is True


def test_logging_out_of_the_app_ends_the_connect_session_so_the_password_is_asked_again(
    app_client, browser, connect, ann
):
    log_in_to_app(app_client, browser, connect)
    # Still logged in at Connect: "Log in with Connect" goes straight back to the app.
    assert urlsplit(at_connect(app_client, browser).headers["Location"]).path == "/auth/callback"
    log_in_to_app(app_client, browser, connect)

    response = app_client.post("/logout")
    end_session = response.headers["Location"]
    assert end_session.startswith(f"{connect}/end-session?")
    params = parse_qs(urlsplit(end_session).query)
    assert params["post_logout_redirect_uri"] == ["http://app.test/"]
    assert claims_of(params["id_token_hint"][0], connect)["sub"] == ann
    back = browser.get(end_session, **NO_FOLLOW)
    assert back.status_code == 302 and back.headers["Location"] == "http://app.test/"
    assert logged_out_of_app(app_client)
    assert urlsplit(at_connect(app_client, browser).headers["Location"]).path == "/login"


def test_without_an_id_token_the_owner_confirms_and_the_state_comes_back(browser, connect, ann):
    log_in_to_connect(browser, connect)
    request = (
        f"{connect}/end-session?client_id=app"
        "&post_logout_redirect_uri=http%3A%2F%2Fapp.test%2F&state=s-42"
    )
    page = browser.get(request)
    assert page.status_code == 200 and "Log out of" in page.text
    assert browser.get(f"{connect}/account/security", **NO_FOLLOW).status_code == 200
    token = CSRF.search(page.text).group(1)
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text), csrf_token=token)
    response = browser.post(f"{connect}/end-session/confirm", data=form, **NO_FOLLOW)
    assert response.headers["Location"] == "http://app.test/?state=s-42"
    assert browser.get(f"{connect}/account/security", **NO_FOLLOW).status_code == 302


@pytest.mark.parametrize(
    "query",
    [
        "client_id=app&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
        "post_logout_redirect_uri=http%3A%2F%2Fapp.test%2F",  # whose?
        "id_token_hint=not.a.token",
    ],
)
def test_a_log_out_request_with_a_bad_hint_or_redirect_is_refused(browser, connect, ann, query):
    log_in_to_connect(browser, connect)
    assert browser.get(f"{connect}/end-session?{query}", **NO_FOLLOW).status_code == 400
    assert browser.get(f"{connect}/account/security", **NO_FOLLOW).status_code == 200


# --- Back-Channel Logout ------------------------------------------------------------------


def _reset_password(factory, browser, connect, codes) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(factory) as session:
        accounts.request_password_reset(session, ANN, "en")
    token = link_token(last_link(factory, "password_reset", "reset_url"))
    with unit_of_work(factory) as session:
        accounts.reset_password(session, token, NEW_PASSWORD, NEW_PASSWORD)


def _sign_out_everywhere(factory, browser, connect, codes) -> None:  # type: ignore[no-untyped-def]
    security = f"{connect}/account/security"
    assert "Sign out everywhere" in browser.get(security).text
    response = connect_form(browser, security, "/account/security/sign-out-everywhere")
    assert response.status_code == 302


def _two_factor_on(factory, browser, connect, codes) -> list[str]:  # type: ignore[no-untyped-def]
    with unit_of_work(factory) as session:
        account = session.scalar(select(Account).where(Account.email == ANN))
        secret = two_factor.start_enrolment(account)
        return two_factor.confirm_enrolment(session, account, pyotp.TOTP(secret).now(), utcnow())


def _two_factor_off(factory, browser, connect, codes) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(factory) as session:
        account = session.scalar(select(Account).where(Account.email == ANN))
        two_factor.disable(session, account, codes.pop(0), utcnow())


@pytest.mark.parametrize(
    "change", [_reset_password, _sign_out_everywhere, _two_factor_on, _two_factor_off]
)
def test_ending_every_connect_session_ends_the_apps_through_a_logout_token(
    app_client, browser, connect, ann, factory, change
):
    # Turning two-factor authentication off starts from an account that has it.
    codes = _two_factor_on(factory, browser, connect, []) if change is _two_factor_off else []
    log_in_to_app(app_client, browser, connect, codes)
    other_device = create_app({"TESTING": True}).test_client()
    log_in_to_app(other_device, requests.Session(), connect, codes)
    change(factory, browser, connect, codes)

    (post,) = logout_posts(factory)
    claims = claims_of(post["form"]["logout_token"], connect)
    assert claims["iss"] == connect and claims["aud"] == "app"
    assert claims["sub"] == ann and claims["events"] == {LOGOUT_EVENT: {}}
    assert claims["jti"] and abs(claims["iat"] - time.time()) < 60 and "nonce" not in claims
    assert deliver_logout_posts(factory, app_client) == [200]
    assert logged_out_of_app(app_client) and logged_out_of_app(other_device)
    assert browser.get(f"{connect}/account/security", **NO_FOLLOW).status_code == 302


def test_logging_out_at_connect_names_the_session_in_the_logout_token(
    app_client, browser, connect, ann, factory
):
    log_in_to_app(app_client, browser, connect)
    assert log_out_of_connect(browser, connect).status_code == 302
    (post,) = logout_posts(factory)
    claims = claims_of(post["form"]["logout_token"], connect)
    assert claims["sub"] == ann and claims["sid"]
    assert deliver_logout_posts(factory, app_client) == [200]
    assert logged_out_of_app(app_client)


def _signed(claims: dict[str, Any], factory: sessionmaker[Session], foreign: bool = False) -> str:
    with unit_of_work(factory) as session:
        row = keys.signing_key(session, utcnow())
        key, kid = keys.private_key(row), row.kid
    if foreign:
        key = RSAKey.generate_key(2048, parameters={"kid": kid})
    return jwt.encode({"alg": "RS256", "kid": kid}, claims, key, algorithms=["RS256"])


@pytest.mark.parametrize(
    "tamper",
    [
        {"foreign": True},
        {"aud": "another-client"},
        {"iss": "https://evil.example"},
        {"events": {}},
        {"nonce": "n-1"},
        {"iat": 1},
        {"sub": None},
    ],
    ids=lambda tamper: next(iter(tamper)),
)
def test_the_app_refuses_a_logout_token_that_is_not_valid_with_400(
    app_client, browser, connect, ann, factory, tamper
):
    log_in_to_app(app_client, browser, connect)
    claims = {
        "iss": connect,
        "aud": "app",
        "iat": int(time.time()),
        "jti": "j-1",
        "sub": ann,
        "events": {LOGOUT_EVENT: {}},
    }
    claims.update({k: v for k, v in tamper.items() if k != "foreign"})
    present = {k: v for k, v in claims.items() if v is not None}
    token = _signed(present, factory, foreign="foreign" in tamper)
    response = app_client.post("/auth/backchannel-logout", data={"logout_token": token})
    assert response.status_code == 400
    assert not logged_out_of_app(app_client)


# --- the owner hears of it ----------------------------------------------------------------


def test_the_owner_gets_a_mail_when_the_password_or_two_factor_changes(
    factory, browser, connect, ann
):
    _reset_password(factory, browser, connect, [])
    _two_factor_on(factory, browser, connect, [])
    with unit_of_work(factory) as session:
        changed = mails(session, "password_changed") + mails(session, "two_factor_changed")
    assert [(m["to"], m["template"]) for m in changed] == [
        (ANN, "password_changed"),
        (ANN, "two_factor_changed"),
    ]
    assert changed[1]["context"]["enabled"] is True
    assert changed[0]["context"]["reset_url"] == f"{connect}/password/forgot"
