"""Connect's OAuth 2.0 and OpenID Connect endpoints do what the standards require: max_age,
POST to the authorization endpoint, request objects and response modes refused plainly, the
issuer in every authorization response (RFC 9207), codes and refresh tokens that revoke their
grant when replayed, one client authentication method, bearer token errors (RFC 6750),
revocation (RFC 7009), login_hint and ui_locales."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet

from onboarding.clock import utcnow
from tests.helpers import (
    APP_CALLBACK,
    PAGE_ACCEPT,
    PASSWORD,
    activated_account,
    authorization_params,
    csrf_token,
    form_next,
)
from tests.integration.identity.conftest import OFFLINE_CLIENT

NO_FOLLOW = {"allow_redirects": False}


def query_of(response):
    assert response.status_code == 302, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def authorize(browser, connect, method="get", **overrides):
    """An authorization request; returns the redirect's query and the PKCE verifier."""
    verifier = secrets.token_urlsafe(48)
    params = authorization_params(code_challenge=create_s256_code_challenge(verifier), **overrides)
    if method == "post":
        response = browser.post(f"{connect}/authorize", data=params, **NO_FOLLOW)
    else:
        response = browser.get(f"{connect}/authorize", params=params, **NO_FOLLOW)
    return query_of(response), verifier


def exchange(connect, code, verifier, client=("app", None), settings=None):
    client_id, secret = client
    secret = secret or settings.oidc_client_secret
    return requests.post(
        f"{connect}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": APP_CALLBACK,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
    )


OFFLINE = (OFFLINE_CLIENT["client_id"], OFFLINE_CLIENT["client_secret"])


def offline_tokens(browser, connect):
    """Tokens of the client allowed offline access, asked for with offline_access."""
    query, verifier = authorize(
        browser,
        connect,
        client_id=OFFLINE[0],
        scope="openid email offline_access",
        prompt="consent",
    )
    response = exchange(connect, query["code"], verifier, OFFLINE)
    assert response.status_code == 200, response.text
    return response.json()


def refresh(connect, refresh_token, client=OFFLINE):
    return requests.post(
        f"{connect}/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=client,
    )


def userinfo_status(connect, access_token):
    return requests.get(
        f"{connect}/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    ).status_code


@pytest.fixture
def later(monkeypatch):
    """Connect's clock a minute ahead: the browser's log-in is 60 seconds old."""
    ahead = utcnow() + timedelta(seconds=60)
    monkeypatch.setattr("web.connect.provider.utcnow", lambda: ahead)


def test_a_log_in_older_than_max_age_is_asked_for_again_once(connect, browser, later):
    params = authorization_params(max_age="30")
    response = browser.get(f"{connect}/authorize", params=params, headers=PAGE_ACCEPT, **NO_FOLLOW)
    assert response.status_code == 200  # the log-in form
    resumed = parse_qs(urlsplit(form_next(response.text)).query)
    assert "max_age" not in resumed and resumed["state"] == ["s"]


def test_a_log_in_within_max_age_gets_a_code_and_an_auth_time(connect, browser, later, settings):
    query, verifier = authorize(browser, connect, max_age="10000")
    id_token = exchange(connect, query["code"], verifier, settings=settings).json()["id_token"]
    keys = KeySet.import_key_set(requests.get(f"{connect}/jwks").json())
    claims = jwt.decode(id_token, keys, algorithms=["RS256"]).claims
    assert abs(claims["auth_time"] - utcnow().timestamp()) < 30


def test_prompt_none_with_a_log_in_older_than_max_age_answers_login_required(
    connect, browser, later
):
    query, _ = authorize(browser, connect, max_age="30", prompt="none")
    assert query["error"] == "login_required" and query["state"] == "s"


def test_the_authorization_endpoint_accepts_post(connect, browser):
    query, _ = authorize(browser, connect, method="post")
    assert query["code"] and query["state"] == "s"


def test_a_request_without_nonce_gets_a_code(connect, browser):
    query, _ = authorize(browser, connect, nonce=None)
    assert query["code"]


@pytest.mark.parametrize(
    ("parameter", "error"),
    [("request", "request_not_supported"), ("request_uri", "request_uri_not_supported")],
)
def test_request_objects_are_answered_as_not_supported(connect, browser, parameter, error):
    query, _ = authorize(browser, connect, **{parameter: "eyJhbGciOiJub25lIn0.e30."})
    assert query["error"] == error and query["state"] == "s"
    assert "code" not in query


@pytest.mark.parametrize("mode", ["fragment", "form_post"])
def test_response_modes_other_than_query_are_refused(connect, browser, mode):
    query, _ = authorize(browser, connect, response_mode=mode)
    assert query["error"] == "invalid_request" and "code" not in query


def test_a_missing_response_type_answers_invalid_request(connect, browser):
    query, _ = authorize(browser, connect, response_type=None)
    assert query["error"] == "invalid_request"


def test_discovery_tells_what_is_supported(connect):
    config = requests.get(f"{connect}/.well-known/openid-configuration").json()
    assert config["request_parameter_supported"] is False
    assert config["request_uri_parameter_supported"] is False
    assert config["response_modes_supported"] == ["query"]
    assert config["authorization_response_iss_parameter_supported"] is True
    assert config["revocation_endpoint"] == f"{connect}/revoke"
    assert "refresh_token" in config["grant_types_supported"]
    assert "offline_access" in config["scopes_supported"]
    assert config["ui_locales_supported"] == ["en", "nl"]


@pytest.mark.parametrize(
    "overrides", [{}, {"code_challenge_method": "plain"}, {"request": "x"}], ids=str
)
def test_every_authorization_response_names_the_issuer(connect, browser, overrides):
    query, _ = authorize(browser, connect, **overrides)
    assert query["iss"] == connect


def test_a_replayed_code_revokes_the_tokens_issued_with_it(connect, browser, settings):
    query, verifier = authorize(browser, connect)
    first = exchange(connect, query["code"], verifier, settings=settings)
    assert userinfo_status(connect, first.json()["access_token"]) == 200
    again = exchange(connect, query["code"], verifier, settings=settings)
    assert again.status_code == 400
    assert userinfo_status(connect, first.json()["access_token"]) == 401


def test_a_client_authenticating_twice_in_one_request_is_refused(connect, browser, settings):
    query, verifier = authorize(browser, connect)
    response = requests.post(
        f"{connect}/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": APP_CALLBACK,
            "code_verifier": verifier,
            "client_id": "app",
            "client_secret": settings.oidc_client_secret,
        },
        auth=("app", settings.oidc_client_secret),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_userinfo_without_a_token_answers_401_without_an_error_code(connect):
    response = requests.get(f"{connect}/userinfo")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "error" not in response.text


def test_userinfo_takes_the_token_from_a_form_body(connect, browser, settings):
    query, verifier = authorize(browser, connect)
    token = exchange(connect, query["code"], verifier, settings=settings).json()["access_token"]
    response = requests.post(f"{connect}/userinfo", data={"access_token": token})
    assert response.status_code == 200 and response.json()["email"] == "ada@example.com"


def test_a_client_without_offline_access_gets_no_refresh_token(connect, browser, settings):
    query, verifier = authorize(browser, connect, scope="openid offline_access")
    token = exchange(connect, query["code"], verifier, settings=settings).json()
    assert "refresh_token" not in token and "offline_access" not in token["scope"]


def test_a_refresh_token_rotates_and_gives_a_working_access_token(connect, browser):
    tokens = offline_tokens(browser, connect)
    refreshed = refresh(connect, tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert userinfo_status(connect, new["access_token"]) == 200
    assert refresh(connect, new["refresh_token"]).status_code == 200


def test_a_reused_refresh_token_revokes_the_whole_grant(connect, browser):
    tokens = offline_tokens(browser, connect)
    new = refresh(connect, tokens["refresh_token"]).json()
    reused = refresh(connect, tokens["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert refresh(connect, new["refresh_token"]).status_code == 400
    assert userinfo_status(connect, new["access_token"]) == 401
    assert userinfo_status(connect, tokens["access_token"]) == 401


def test_a_refresh_token_works_only_for_its_client(connect, browser, settings):
    tokens = offline_tokens(browser, connect)
    stolen = refresh(connect, tokens["refresh_token"], ("app", settings.oidc_client_secret))
    assert stolen.status_code in (400, 401)
    assert refresh(connect, tokens["refresh_token"]).status_code == 200


def test_revoking_a_refresh_token_revokes_its_grant(connect, browser):
    tokens = offline_tokens(browser, connect)
    response = requests.post(
        f"{connect}/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=OFFLINE,
    )
    assert response.status_code == 200
    assert refresh(connect, tokens["refresh_token"]).status_code == 400
    assert userinfo_status(connect, tokens["access_token"]) == 401


def test_revoking_an_access_token_ends_it_and_unknown_tokens_are_no_error(connect, browser):
    tokens = offline_tokens(browser, connect)
    for token in (tokens["access_token"], "never-issued"):
        response = requests.post(f"{connect}/revoke", data={"token": token}, auth=OFFLINE)
        assert response.status_code == 200
    assert userinfo_status(connect, tokens["access_token"]) == 401
    assert refresh(connect, tokens["refresh_token"]).status_code == 200


def test_revocation_needs_the_clients_credentials(connect, browser):
    tokens = offline_tokens(browser, connect)
    response = requests.post(f"{connect}/revoke", data={"token": tokens["access_token"]})
    assert response.status_code == 401
    assert userinfo_status(connect, tokens["access_token"]) == 200


def test_login_hint_fills_in_the_address_on_the_log_in_page(connect, factory):
    anonymous = requests.Session()
    params = authorization_params(login_hint="ann@example.com")
    page = anonymous.get(f"{connect}/authorize", params=params, headers=PAGE_ACCEPT)
    assert urlsplit(page.url).path == "/authorize" and not page.history
    assert 'value="ann@example.com"' in page.text


def test_ui_locales_chooses_the_language_of_pages_and_of_a_new_account(connect, factory):
    dutch = requests.Session()
    params = authorization_params(ui_locales="de nl-NL en")
    page = dutch.get(f"{connect}/authorize", params=params, headers={"Accept-Language": "en"})
    assert '<html lang="nl"' in page.text
    form = dutch.get(f"{connect}/register", headers={"Accept-Language": "en"})
    assert '<option value="nl" selected>' in form.text


def test_the_language_of_ui_locales_is_kept_after_logging_in(connect, factory):
    activated_account(factory, language="en")
    visitor = requests.Session()
    visitor.get(f"{connect}/authorize", params=authorization_params(ui_locales="nl"))
    page = visitor.get(f"{connect}/login")
    visitor.post(
        f"{connect}/login",
        data={
            "csrf_token": csrf_token(page.text),
            "email": "ada@example.com",
            "password": PASSWORD,
        },
    )
    assert '<html lang="nl"' in visitor.get(f"{connect}/security").text
