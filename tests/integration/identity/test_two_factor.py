"""TOTP two-factor authentication: enrolment with QR code and key, log-in with a code or a
recovery code (each once), rate-limited wrong codes, and turning it off with a code."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.helpers import activated_account, csrf_token, log_in_to_connect


def enable(client):
    page = client.get("/account/security").get_data(as_text=True)
    enrol = client.post("/account/security/totp", data={"csrf_token": csrf_token(page)})
    html = enrol.get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in html
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', html).group(1)
    totp = pyotp.TOTP(secret)
    confirmed = client.post(
        "/account/security/totp/confirm", data={"csrf_token": csrf_token(html), "code": totp.now()}
    )
    assert confirmed.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", confirmed.get_data(as_text=True))
    assert len(codes) == 10
    return totp, codes


def log_out(client):
    page = client.get("/account/security").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(page)})


def second_factor(client, code):
    html = client.get("/login/2fa").get_data(as_text=True)
    return client.post("/login/2fa", data={"csrf_token": csrf_token(html), "code": code})


@pytest.fixture
def with_2fa(client, factory):
    activated_account(factory)
    log_in_to_connect(client)
    totp, codes = enable(client)
    log_out(client)
    return totp, codes


def test_log_in_asks_for_the_code_once_enabled(client, with_2fa):
    totp, _ = with_2fa
    response = log_in_to_connect(client, next_url="/account/security")
    assert response.headers["Location"] == "/login/2fa"
    # Password alone is not a log-in.
    assert client.get("/account/security").status_code == 302
    # The enrolment used the current step; the next one is accepted (one step of drift).
    done = second_factor(client, totp.at(time.time() + 30))
    assert done.status_code == 302 and done.headers["Location"] == "/account/security"
    assert client.get("/account/security").status_code == 200


def test_a_totp_code_is_not_accepted_twice(client, with_2fa):
    totp, _ = with_2fa
    code = totp.at(time.time() + 30)
    log_in_to_connect(client)
    assert second_factor(client, code).status_code == 302
    log_out(client)
    log_in_to_connect(client)
    again = second_factor(client, code)
    assert again.status_code == 200 and "not right" in again.get_data(as_text=True)


def test_a_recovery_code_works_once(client, with_2fa):
    _, codes = with_2fa
    log_in_to_connect(client)
    assert second_factor(client, codes[3]).status_code == 302
    assert "9 unused recovery codes" in client.get("/account/security").get_data(as_text=True)
    log_out(client)
    log_in_to_connect(client)
    assert second_factor(client, codes[3]).status_code == 200


def test_wrong_codes_are_rate_limited(client, with_2fa):
    log_in_to_connect(client)
    for _ in range(5):
        assert second_factor(client, "000000").status_code == 200
    limited = second_factor(client, "000000")
    assert limited.status_code == 429
    assert "Too many attempts" in limited.get_data(as_text=True)


def test_turning_off_needs_a_code(client, with_2fa):
    totp, codes = with_2fa
    log_in_to_connect(client)
    second_factor(client, codes[0])
    page = client.get("/account/security").get_data(as_text=True)
    refused = client.post(
        "/account/security/totp/disable",
        data={"csrf_token": csrf_token(page), "code": "123456"},
        follow_redirects=True,
    )
    assert "That code is not right." in refused.get_data(as_text=True)
    assert "Turn off" in refused.get_data(as_text=True)
    accepted = client.post(
        "/account/security/totp/disable",
        data={"csrf_token": csrf_token(page), "code": totp.at(time.time() + 30)},
        follow_redirects=True,
    )
    assert "Two-factor authentication is off." in accepted.get_data(as_text=True)
    log_out(client)
    assert log_in_to_connect(client).headers["Location"] == "/account/security"


def test_a_wrong_confirmation_code_keeps_2fa_off(client, factory):
    activated_account(factory)
    log_in_to_connect(client)
    page = client.get("/account/security").get_data(as_text=True)
    enrol = client.post("/account/security/totp", data={"csrf_token": csrf_token(page)})
    response = client.post(
        "/account/security/totp/confirm",
        data={"csrf_token": csrf_token(enrol.get_data(as_text=True)), "code": "000000"},
    )
    assert response.status_code == 422
    log_out(client)
    assert log_in_to_connect(client).headers["Location"] == "/account/security"
