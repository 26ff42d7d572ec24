"""Rate limits: failed log-ins per account (growing waits) and per IP, registration, forgot
password and activation resend; a limited request gets a clear 429 page."""

from __future__ import annotations

import uuid

import pytest
import redis

from tests.helpers import PASSWORD, activated_account, csrf_token, log_in_to_connect


def limited_app(factory, **limits):
    from web import create_connect_app

    return create_connect_app(limits).test_client()


def test_failed_log_ins_lock_the_account_for_a_while_even_with_the_right_password(
    factory, connect_settings
):
    activated_account(factory)
    activated_account(factory, email="bob@example.com")
    client = limited_app(factory, LIMIT_LOGIN_FAILURES_PER_ACCOUNT="3 per minute;5 per hour")
    for _ in range(3):
        assert log_in_to_connect(client, password="wrong password here").status_code == 200
    locked = log_in_to_connect(client, password=PASSWORD)
    assert locked.status_code == 429
    assert "Too many attempts" in locked.get_data(as_text=True)
    assert int(locked.headers["Retry-After"]) > 0
    # Another account from the same place is not affected.
    assert log_in_to_connect(client, email="bob@example.com").status_code == 302


def test_each_failed_log_in_shows_the_tries_left_in_the_shortest_tier(factory, connect_settings):
    activated_account(factory)
    client = limited_app(factory, LIMIT_LOGIN_FAILURES_PER_ACCOUNT="3 per minute;5 per hour")
    answers = [log_in_to_connect(client, password="wrong password here") for _ in range(3)]
    assert {answer.headers["X-RateLimit-Limit"] for answer in answers} == {"3"}
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == ["2", "1", "0"]
    assert log_in_to_connect(client).headers["X-RateLimit-Remaining"] == "0"


def test_unknown_addresses_are_limited_like_known_ones(factory, connect_settings):
    client = limited_app(factory, LIMIT_LOGIN_FAILURES_PER_ACCOUNT="2 per minute")
    for _ in range(2):
        log_in_to_connect(client, email="nobody@example.com", password="wrong password here")
    assert log_in_to_connect(client, email="nobody@example.com").status_code == 429


def test_successful_log_ins_do_not_count_as_failures(factory, connect_settings):
    activated_account(factory)
    client = limited_app(factory, LIMIT_LOGIN_FAILURES_PER_ACCOUNT="2 per minute")
    for _ in range(4):
        assert log_in_to_connect(client).status_code == 302


def test_log_ins_are_limited_per_ip(factory, connect_settings):
    activated_account(factory)
    client = limited_app(factory, LIMIT_LOGIN_PER_IP="3 per minute")
    for _ in range(3):
        log_in_to_connect(client)
    assert log_in_to_connect(client).status_code == 429


@pytest.mark.parametrize(
    ("limit", "path", "form"),
    [
        ("LIMIT_REGISTER", "/register", {"email": "a@example.com"}),
        ("LIMIT_FORGOT", "/password/forgot", {"email": "a@example.com"}),
        ("LIMIT_RESEND", "/activate/" + "x" * 43 + "/resend", {}),
    ],
)
def test_forms_that_send_mail_are_limited(factory, connect_settings, limit, path, form):
    client = limited_app(factory, **{limit: "2 per hour"})
    token = csrf_token(client.get("/login").get_data(as_text=True))
    for _ in range(2):
        assert client.post(path, data={"csrf_token": token, **form}).status_code != 429
    response = client.post(path, data={"csrf_token": token, **form})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_limits_are_kept_in_redis_when_configured(factory, connect_settings):
    prefix = f"test-connect-{uuid.uuid4().hex}"
    store = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        store.ping()
    except redis.RedisError:
        pytest.fail("Redis is part of the test environment")
    try:
        client = limited_app(
            factory,
            RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
            RATELIMIT_STORAGE_OPTIONS={"key_prefix": prefix},
            LIMIT_LOGIN_FAILURES_PER_ACCOUNT="2 per minute",
        )
        for _ in range(2):
            log_in_to_connect(client, email="nobody@example.com", password="wrong password here")
        assert list(store.scan_iter(f"*{prefix}*"))
        # A second application instance (another process) sees the same count.
        other = limited_app(
            factory,
            RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
            RATELIMIT_STORAGE_OPTIONS={"key_prefix": prefix},
            LIMIT_LOGIN_FAILURES_PER_ACCOUNT="2 per minute",
        )
        assert log_in_to_connect(other, email="nobody@example.com").status_code == 429
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
