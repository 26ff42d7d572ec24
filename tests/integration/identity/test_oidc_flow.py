"""The OIDC authorization-code flow with PKCE, driven by authlib's client against Connect
served on a loopback port."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.helpers import APP_CALLBACK, authorization_params


def client(settings, **kwargs):
    return OAuth2Session(
        settings.oidc_client_id,
        settings.oidc_client_secret,
        scope="openid email profile",
        redirect_uri=APP_CALLBACK,
        code_challenge_method="S256",
        **kwargs,
    )


def authorize(connect, browser, oauth, nonce, verifier):
    url, state = oauth.create_authorization_url(
        f"{connect}/authorize", nonce=nonce, code_verifier=verifier
    )
    response = browser.get(url, allow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(APP_CALLBACK)
    return location, state


def test_discovery_names_the_endpoints_and_requires_s256(connect):
    config = requests.get(f"{connect}/.well-known/openid-configuration").json()
    assert config["issuer"] == connect
    assert config["authorization_endpoint"] == f"{connect}/authorize"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["jwks_uri"] == f"{connect}/jwks"


def test_full_code_flow_gives_a_verified_id_token_and_userinfo(connect, browser, settings):
    oauth = client(settings)
    nonce, verifier = generate_token(20), generate_token(48)
    location, state = authorize(connect, browser, oauth, nonce, verifier)
    assert parse_qs(urlsplit(location).query)["state"] == [state]
    token = oauth.fetch_token(
        f"{connect}/token", authorization_response=location, code_verifier=verifier
    )
    keys = KeySet.import_key_set(requests.get(f"{connect}/jwks").json())
    id_token = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    claims = id_token.claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": connect},
        aud={"essential": True, "value": settings.oidc_client_id},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
    ).validate(claims)
    assert claims["exp"] > time.time()
    assert claims["email"] == "ada@example.com"
    assert claims["amr"] == ["pwd"]
    assert id_token.header["kid"] in {key["kid"] for key in keys.as_dict()["keys"]}

    info = oauth.get(f"{connect}/userinfo").json()
    assert info["sub"] == claims["sub"]
    assert info["email"] == "ada@example.com" and info["email_verified"] is True
    assert (info["given_name"], info["family_name"], info["locale"]) == ("Ada", "Lovelace", "en")


def test_a_wrong_verifier_is_refused(connect, browser, settings):
    oauth = client(settings)
    location, _ = authorize(connect, browser, oauth, "n1", generate_token(48))
    code = parse_qs(urlsplit(location).query)["code"][0]
    response = requests.post(
        f"{connect}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": APP_CALLBACK,
            "code_verifier": generate_token(48),
        },
        auth=(settings.oidc_client_id, settings.oidc_client_secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_code_works_once(connect, browser, settings):
    oauth = client(settings)
    verifier = generate_token(48)
    location, _ = authorize(connect, browser, oauth, "n2", verifier)
    code = parse_qs(urlsplit(location).query)["code"][0]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": APP_CALLBACK,
        "code_verifier": verifier,
    }
    auth = (settings.oidc_client_id, settings.oidc_client_secret)
    first = requests.post(f"{connect}/token", data=data, auth=auth)
    second = requests.post(f"{connect}/token", data=data, auth=auth)
    assert first.status_code == 200 and "id_token" in first.json()
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"


def test_a_wrong_client_secret_is_refused(connect, browser, settings):
    oauth = client(settings)
    verifier = generate_token(48)
    location, _ = authorize(connect, browser, oauth, "n3", verifier)
    code = parse_qs(urlsplit(location).query)["code"][0]
    response = requests.post(
        f"{connect}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": APP_CALLBACK,
            "code_verifier": verifier,
        },
        auth=(settings.oidc_client_id, "not-the-secret"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_an_unknown_client_is_refused_without_redirecting(connect, browser):
    response = browser.get(
        f"{connect}/authorize",
        params=authorization_params(client_id="intruder"),
        allow_redirects=False,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def test_a_foreign_redirect_uri_is_refused_without_redirecting(connect, browser):
    response = browser.get(
        f"{connect}/authorize",
        params=authorization_params(redirect_uri="https://evil.example/cb"),
        allow_redirects=False,
    )
    assert response.status_code == 400
    assert "evil.example" not in response.headers.get("Location", "")


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": "plain"},
    ],
    ids=["no-pkce", "plain-pkce"],
)
def test_requests_without_s256_are_sent_back_with_an_error(connect, browser, overrides):
    response = browser.get(
        f"{connect}/authorize", params=authorization_params(**overrides), allow_redirects=False
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["invalid_request"]
    assert query["state"] == ["s"]


def test_an_anonymous_authorize_request_leads_to_the_login_page(connect, factory):
    response = requests.get(
        f"{connect}/authorize", params=authorization_params(), allow_redirects=False
    )
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_userinfo_without_a_valid_token_is_refused(connect):
    response = requests.get(f"{connect}/userinfo", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_prompt_none_without_a_session_answers_login_required(connect, factory):
    response = requests.get(
        f"{connect}/authorize", params=authorization_params(prompt="none"), allow_redirects=False
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["login_required"] and query["state"] == ["s"]


def test_prompt_none_with_a_session_issues_a_code(connect, browser):
    response = browser.get(
        f"{connect}/authorize", params=authorization_params(prompt="none"), allow_redirects=False
    )
    assert response.status_code == 302
    assert "code" in parse_qs(urlsplit(response.headers["Location"]).query)


def test_prompt_login_with_a_session_asks_for_a_fresh_log_in_once(connect, browser):
    response = browser.get(
        f"{connect}/authorize", params=authorization_params(prompt="login"), allow_redirects=False
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    next_url = urlsplit(parse_qs(location.query)["next"][0])
    assert next_url.path == "/authorize"
    resumed = parse_qs(next_url.query)
    assert "prompt" not in resumed and resumed["state"] == ["s"]
    again = browser.get(f"{connect}{next_url.path}?{next_url.query}", allow_redirects=False)
    assert "code" in parse_qs(urlsplit(again.headers["Location"]).query)


def test_two_token_requests_racing_with_one_code_give_one_winner(connect, browser, settings):
    from concurrent.futures import ThreadPoolExecutor

    oauth = client(settings)
    verifier = generate_token(48)
    location, _ = authorize(connect, browser, oauth, "n-race", verifier)
    code = parse_qs(urlsplit(location).query)["code"][0]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": APP_CALLBACK,
        "code_verifier": verifier,
    }
    auth = (settings.oidc_client_id, settings.oidc_client_secret)
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(
                lambda _: requests.post(f"{connect}/token", data=data, auth=auth).status_code,
                range(2),
            )
        )
    assert sorted(answers) == [200, 400]
