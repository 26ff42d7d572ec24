"""No input a person can send makes Connect answer with a server error: every route of
`app.url_map`, every method, as a visitor, a logged-in account and an account half-way
through its log-in (second factor due), with junk in the path, the query, the form, the body
and the headers (see tests.hostile_requests)."""

from __future__ import annotations

import base64
import hashlib

import pyotp
from flask.testing import FlaskClient

from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.identity import accounts, captcha, two_factor
from onboarding.settings import get_settings
from tests.helpers import activated_account, last_link, link_token
from tests.hostile_requests import Seed, Sweep
from web import create_connect_app
from web.connect.auth import ACCOUNT_KEY, PENDING_KEY
from web.connect.oauth import AUTH_TIME_KEY
from web.extensions import csrf

CONFIG = {"TESTING": True, "RATELIMIT_ENABLED": False}
VERIFIER = "v" * 43


def solved_captcha() -> str:
    challenge = captcha.from_settings(get_settings()).challenge(utcnow())
    return captcha.solve(challenge)


def accounts_and_links(factory) -> dict:
    """Ada (logged in), Tom (second factor due), and links to activate Eve and reset Ada."""
    activated_account(factory, "ada@example.com")
    activated_account(factory, "tom@example.com")
    with unit_of_work(factory) as session:
        tom = accounts.find_by_email(session, "tom@example.com")
        secret = two_factor.start_enrolment(tom)
        two_factor.confirm_enrolment(session, tom, pyotp.TOTP(secret).now(), utcnow())
        accounts.register(
            session,
            email="eve@example.com",
            first_name="Eve",
            last_name="E",
            language="en",
            country="NL",
            journey_ref=None,
        )
    activation = link_token(last_link(factory, "activation", "activate_url"))
    with unit_of_work(factory) as session:
        accounts.request_password_reset(session, "ada@example.com")
    reset = link_token(last_link(factory, "password_reset", "reset_url"))
    with unit_of_work(factory) as session:
        ada = accounts.find_by_email(session, "ada@example.com").id
        tom = accounts.find_by_email(session, "tom@example.com").id
    return {"ada": ada, "tom": tom, "activation": activation, "reset": reset}


def authorization_request(settings) -> dict[str, str]:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest())
    return {
        "client_id": settings.oidc_client_id,
        "redirect_uri": f"{settings.app_base_url}/auth/callback",
        "response_type": "code",
        "scope": "openid email profile",
        "state": "s" * 20,
        "nonce": "n" * 20,
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }


def test_no_route_of_connect_answers_a_server_error(factory, connect_settings):
    world = accounts_and_links(factory)
    app = create_connect_app({**CONFIG, "WTF_CSRF_ENABLED": False})
    settings = connect_settings
    sweep = Sweep(
        app,
        real={
            "register.activate:token": world["activation"],
            "register.activate_post:token": world["activation"],
            "register.resend:token": world["activation"],
            "token": world["reset"],
        },
        seeds={
            "provider.authorize_and_issue_code": Seed(query=authorization_request(settings)),
            "provider.token": Seed(
                form={
                    "grant_type": "authorization_code",
                    "code": "c" * 43,
                    "redirect_uri": f"{settings.app_base_url}/auth/callback",
                    "client_id": settings.oidc_client_id,
                    "client_secret": settings.oidc_client_secret,
                    "code_verifier": VERIFIER,
                }
            ),
        },
        fresh={"altcha": solved_captcha},
    )
    roles = {
        "account": {ACCOUNT_KEY: world["ada"], AUTH_TIME_KEY: int(utcnow().timestamp())},
        "second factor due": {PENDING_KEY: world["tom"], "next": "/account/security"},
        "visitor": None,
    }
    for role, values in roles.items():
        client = app.test_client()
        sweep.run_as(role, client, _becoming(client, values))
    assert not sweep.failures, f"{len(sweep.failures)} of {sweep.sent}:\n" + "\n".join(
        sweep.failures
    )


def _becoming(client: FlaskClient, values: dict | None):
    def become() -> None:
        if values is None:
            client.delete_cookie("connect_session")
            return
        with client.session_transaction() as session:
            session.clear()
            session.update(values)

    return become


def test_a_connect_post_without_a_valid_csrf_token_is_refused_with_400(factory, connect_settings):
    world = accounts_and_links(factory)
    app = create_connect_app(CONFIG)
    client = app.test_client()
    with client.session_transaction() as session:
        session[ACCOUNT_KEY] = world["ada"]
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()):
            continue
        path = Sweep(app, real={}).path(rule)
        with app.test_request_context(path, method="POST"):
            from flask import request

            request.url_rule = rule
            if csrf._is_exempt():  # type: ignore[attr-defined]
                continue
        for data in ({}, {"csrf_token": "junk"}, {"csrf_token": "x" * 10_000}):
            response = client.post(path, data=data)
            assert response.status_code == 400, (path, data, response.status_code)
            assert "This form has expired" in response.get_data(as_text=True)
            checked += 1
    assert checked >= 3 * 10
