"""A log-in made for an authorization request answers it at once: the form's post sends the
browser back to the client with the code (or the error /authorize would send), with no stop at
/authorize; anything else goes on to `next` as before."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from onboarding.db import unit_of_work
from onboarding.identity.models import ConnectSession
from tests.helpers import (
    APP_CALLBACK,
    PASSWORD,
    activated_account,
    authorization_params,
    csrf_token,
    log_in_to_connect,
)
from tests.integration.identity.authenticator import Authenticator
from tests.integration.identity.test_passkeys import _call, add_passkey
from tests.integration.identity.test_two_factor import enable, log_out, second_factor


def authorization_request(verifier: str, **overrides: str) -> str:
    params = authorization_params(code_challenge=create_s256_code_challenge(verifier), **overrides)
    return "/authorize?" + urlencode(params)


def back_at_the_client(response) -> dict[str, list[str]]:
    """The parameters of `response`, a redirect to the client's redirect_uri."""
    assert response.status_code == 302
    return client_parameters(response.headers["Location"])


def client_parameters(url: str) -> dict[str, list[str]]:
    location = urlsplit(url)
    assert f"{location.scheme}://{location.netloc}{location.path}" == APP_CALLBACK
    return parse_qs(location.query)


def test_the_log_in_answers_with_a_code_the_token_endpoint_takes(client, factory, connect_settings):
    activated_account(factory)
    verifier = generate_token(48)
    answer = log_in_to_connect(client, next_url=authorization_request(verifier, state="st"))
    params = back_at_the_client(answer)
    assert params["state"] == ["st"] and params["iss"] == [connect_settings.connect_issuer]
    token = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"][0],
            "redirect_uri": APP_CALLBACK,
            "code_verifier": verifier,
            "client_id": connect_settings.oidc_client_id,
            "client_secret": connect_settings.oidc_client_secret,
        },
    )
    assert token.status_code == 200 and "id_token" in token.get_json()
    # The session that gave the code knows its client, for the log-out to come.
    with unit_of_work(factory) as session:
        assert session.scalars(select(ConnectSession.client_ids)).all() == [["app"]]


def test_a_replayed_nonce_goes_back_to_the_client_as_from_authorize(client, factory):
    activated_account(factory)
    first = log_in_to_connect(client, next_url=authorization_request(generate_token(48), nonce="n"))
    assert "code" in back_at_the_client(first)
    log_out(client)
    replay = log_in_to_connect(
        client, next_url=authorization_request(generate_token(48), nonce="n", state="again")
    )
    params = back_at_the_client(replay)
    assert "code" not in params
    assert params["error"] == ["invalid_request"] and params["state"] == ["again"]


def test_a_next_elsewhere_or_a_request_authorize_shows_a_page_for_is_followed(client, factory):
    activated_account(factory)
    answer = log_in_to_connect(client, next_url="/account/security")
    assert answer.status_code == 302 and answer.headers["Location"] == "/account/security"
    log_out(client)
    unknown = authorization_request(generate_token(48), client_id="nobody")
    answer = log_in_to_connect(client, next_url=unknown)
    assert answer.status_code == 302 and answer.headers["Location"] == unknown
    assert client.get(unknown, headers={"Accept": "text/html"}).status_code == 400


def test_the_second_factor_answers_with_the_code(client, factory):
    activated_account(factory)
    log_in_to_connect(client)
    totp, _codes = enable(client)
    log_out(client)
    answer = log_in_to_connect(client, next_url=authorization_request(generate_token(48)))
    assert answer.headers["Location"] == "/login/2fa"
    done = second_factor(client, totp.at(time.time() + 30))
    assert "code" in back_at_the_client(done)


def test_a_passkey_log_in_sends_the_browser_back_with_the_code(client, factory):
    activated_account(factory)
    log_in_to_connect(client)
    authenticator = Authenticator()
    assert add_passkey(client, authenticator).status_code == 200
    log_out(client)
    options = _call(client, "/login/passkey/options").get_json()
    next_url = urlencode({"next": authorization_request(generate_token(48))})
    done = _call(client, f"/login/passkey?{next_url}", authenticator.get(options))
    assert "code" in client_parameters(done.get_json()["redirect"])


def test_the_log_in_issues_the_code_without_reading_back_the_session_it_started(client, factory):
    activated_account(factory)
    verifier = generate_token(48)
    page = client.get("/login")
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", note)
    try:
        answer = client.post(
            "/login",
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "email": "ada@example.com",
                "password": PASSWORD,
                "next": authorization_request(verifier),
            },
        )
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    assert "code" in back_at_the_client(answer)
    # The account by its address, the session, the code, the session's client: the session
    # just started is known, not read again.
    reads = [s for s in statements if s.startswith("SELECT") and "connect_sessions" in s]
    assert reads == []
    assert len([s for s in statements if s.startswith("INSERT INTO connect_sessions")]) == 1
