"""Limits that hold: one count for every spelling of an address, one count for every process,
the client's own address behind a proxy, a 429 page that says how long to wait, and the
owner's own browser keeping its access while others are throttled."""

from __future__ import annotations

import pytest

from onboarding.db import unit_of_work
from onboarding.settings import use_settings
from tests.helpers import PASSWORD, activated_account, csrf_token, log_in_to_connect, mails
from tests.integration.identity.test_registration import register_form
from tests.integration.identity.test_two_factor import enable, log_out, second_factor

# One account, as its owner and as look-alikes type it: case, spaces, full-width domain letters.
VARIANTS = [
    "ADA@example.com",
    " ada@ｅｘａｍｐｌｅ.com",
    "Ada@EXAMPLE.COM ",
    "ada@ｅxample.ｃｏｍ",
]


def connect(**config):
    from web import create_connect_app

    return create_connect_app(config).test_client()


def test_wrong_passwords_through_look_alike_addresses_share_one_limit(factory, connect_settings):
    activated_account(factory)
    client = connect(LIMIT_LOGIN_FAILURES_PER_ACCOUNT="3 per minute")
    for variant in VARIANTS[:3]:
        assert log_in_to_connect(client, variant, "wrong password here").status_code == 200
    assert log_in_to_connect(client, VARIANTS[3]).status_code == 429


def test_reset_requests_through_look_alike_addresses_share_one_limit(factory, connect_settings):
    activated_account(factory)
    client = connect(LIMIT_FORGOT_PER_ADDRESS="2 per hour")
    token = csrf_token(client.get("/password/forgot").get_data(as_text=True))
    for variant in VARIANTS[:2]:
        form = {"csrf_token": token, "email": variant}
        assert client.post("/password/forgot", data=form).status_code == 303
    form = {"csrf_token": token, "email": VARIANTS[2]}
    assert client.post("/password/forgot", data=form).status_code == 429
    with unit_of_work(factory) as session:
        assert len(mails(session, "password_reset")) == 2


def test_activation_resends_through_look_alike_addresses_share_one_limit(factory, connect_settings):
    client = connect(LIMIT_REGISTER_PER_ADDRESS="2 per hour")
    for variant in VARIANTS[:2]:
        registered = client.post("/register", data=register_form(client, email=variant))
        assert registered.status_code == 303
    again = client.post("/register", data=register_form(client, email=VARIANTS[2]))
    assert again.status_code == 429
    with unit_of_work(factory) as session:
        assert len(mails(session, "activation")) == 2


def test_wrong_codes_after_log_ins_through_look_alike_addresses_share_one_limit(
    factory, connect_settings
):
    activated_account(factory)
    owner = connect(LIMIT_TOTP_FAILURES="3 per minute")
    log_in_to_connect(owner)
    enable(owner)
    log_out(owner)
    for variant in VARIANTS[:3]:
        client = connect(LIMIT_TOTP_FAILURES="3 per minute")
        assert log_in_to_connect(client, variant).status_code == 302
        assert second_factor(client, "000000").status_code == 200
    client = connect(LIMIT_TOTP_FAILURES="3 per minute")
    log_in_to_connect(client, VARIANTS[3])
    assert second_factor(client, "000000").status_code == 429


def test_a_new_process_sees_the_failures_counted_by_another(factory, connect_settings):
    first = connect(LIMIT_LOGIN_FAILURES_PER_ACCOUNT="2 per minute")
    for _ in range(2):
        log_in_to_connect(first, "nobody@example.com", "wrong password here")
    # A new application builds its own limiter storage, as another worker process does.
    second = connect(LIMIT_LOGIN_FAILURES_PER_ACCOUNT="2 per minute")
    assert log_in_to_connect(second, "nobody@example.com").status_code == 429


def test_a_captcha_answer_works_once_across_processes(factory, connect_settings):
    first = connect()
    data = register_form(first)
    assert first.post("/register", data=data).status_code == 303
    second = connect()
    again = second.post(
        "/register", data={**data, "csrf_token": register_form(second)["csrf_token"]}
    )
    assert again.status_code == 422
    assert "already used" in again.get_data(as_text=True)


def _from(client, address):
    client.environ_base["HTTP_X_FORWARDED_FOR"] = address
    return client


@pytest.mark.parametrize(("proxies", "other_client"), [(1, 302), (0, 429)])
def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(
    factory, connect_settings, proxies, other_client
):
    use_settings(connect_settings.with_overrides(trusted_proxies=proxies))
    activated_account(factory)
    client = connect(LIMIT_LOGIN_PER_IP="2 per minute")
    for _ in range(2):
        log_in_to_connect(_from(client, "203.0.113.1"))
    assert log_in_to_connect(_from(client, "203.0.113.1")).status_code == 429
    # Without a trusted proxy the header is the client's word, and changing it does not help.
    assert log_in_to_connect(_from(client, "203.0.113.2")).status_code == other_client


@pytest.mark.parametrize(
    ("limit", "language", "wait"),
    [
        ("1 per hour", "en", "Please wait 60 minutes and try again."),
        ("1 per hour", "nl", "Wacht 60 minuten en probeer het dan opnieuw."),
        ("1 per minute", "en", "Please wait 1 minute and try again."),
        ("1 per day", "en", "Please wait 24 hours and try again."),
        ("1 per day", "nl", "Wacht 24 uur en probeer het dan opnieuw."),
    ],
)
def test_the_limit_page_says_how_long_to_wait(factory, connect_settings, limit, language, wait):
    client = connect(LIMIT_FORGOT=limit)
    client.get(f"/login?lang={language}")
    token = csrf_token(client.get("/password/forgot").get_data(as_text=True))
    form = {"csrf_token": token, "email": "ada@example.com"}
    client.post("/password/forgot", data=form)
    limited = client.post("/password/forgot", data=form)
    assert limited.status_code == 429
    assert wait in limited.get_data(as_text=True)


def test_the_owners_browser_still_logs_in_while_others_are_throttled(factory, connect_settings):
    activated_account(factory)
    owner = connect(LIMIT_LOGIN_FAILURES_PER_ACCOUNT="3 per minute")
    assert log_in_to_connect(owner).status_code == 302
    log_out(owner)
    attacker = connect(LIMIT_LOGIN_FAILURES_PER_ACCOUNT="3 per minute")
    for _ in range(3):
        assert log_in_to_connect(attacker, password="wrong password here").status_code == 200
    assert log_in_to_connect(attacker).status_code == 429
    assert log_in_to_connect(owner, password=PASSWORD).status_code == 302


def test_the_owner_is_told_once_when_log_ins_are_throttled(factory, connect_settings):
    activated_account(factory)
    attacker = connect(LIMIT_LOGIN_FAILURES_PER_ACCOUNT="2 per minute")
    for _ in range(2):
        log_in_to_connect(attacker, password="wrong password here")
    for _ in range(3):
        assert log_in_to_connect(attacker, password="wrong password here").status_code == 429
    with unit_of_work(factory) as session:
        told = mails(session, "log_ins_throttled")
    assert [mail["to"] for mail in told] == ["ada@example.com"]


def test_a_device_cookie_of_another_account_gives_no_allowance(factory, connect_settings):
    activated_account(factory)
    activated_account(factory, email="eve@example.com")
    attacker = connect(LIMIT_LOGIN_FAILURES_PER_ACCOUNT="2 per minute")
    assert log_in_to_connect(attacker, "eve@example.com").status_code == 302
    log_out(attacker)
    for _ in range(2):
        log_in_to_connect(attacker, password="wrong password here")
    assert log_in_to_connect(attacker).status_code == 429


def test_the_owners_device_has_an_allowance_of_its_own_not_an_endless_one(
    factory, connect_settings
):
    activated_account(factory)
    owner = connect(LIMIT_LOGIN_FAILURES_PER_ACCOUNT="2 per minute")
    log_in_to_connect(owner)
    log_out(owner)
    for _ in range(2):
        log_in_to_connect(owner, password="wrong password here")
    assert log_in_to_connect(owner).status_code == 429


def test_production_refuses_limits_kept_in_one_process(factory, connect_settings):
    from web import create_app, create_connect_app

    use_settings(connect_settings.with_overrides(environment="production"))
    for factory_function in (create_app, create_connect_app):
        with pytest.raises(RuntimeError, match="REDIS_URL"):
            factory_function({"RATELIMIT_STORAGE_URI": "memory://"})
