"""The activation sweep moves exactly the accounts whose activation ran out to
activation_expired, and such an account still gets everything Connect offered it before:
a fresh activation mail from the expired link, from registering again and from Forgot your
password (each answering as for anyone else), activation through that mail or through a
verified upstream identity, and no log-in meanwhile."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select, text

from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.identity import accounts, captcha, federation
from onboarding.identity.activation_expiry import expire_activations
from onboarding.identity.machine import AccountState
from onboarding.identity.models import Account
from tests.helpers import (
    PASSWORD,
    answer_requests,
    csrf_token,
    link_token,
    log_in_to_connect,
    mails,
)

A = AccountState
TTL = timedelta(hours=24)  # ACTIVATION_TTL of the test settings


def register(factory, email, now):
    with unit_of_work(factory) as session:
        accounts.register(
            session,
            email=email,
            first_name="Ada",
            last_name="Lovelace",
            language="en",
            country="GB",
            now=now,
        )
    with unit_of_work(factory) as session:
        answer_requests(session)


def states(factory):
    with unit_of_work(factory) as session:
        return dict(session.execute(select(Account.email, Account.state)).all())


def activation_links(factory, email):
    with unit_of_work(factory) as session:
        return [
            link_token(m["context"]["activate_url"])
            for m in mails(session, "activation")
            if m["to"] == email
        ]


def expired_account(factory, email="ada@example.com"):
    """An account registered 25 hours ago and swept: activation_expired."""
    register(factory, email, utcnow() - TTL - timedelta(hours=1))
    with unit_of_work(factory) as session:
        assert expire_activations(session, utcnow()) == 1
    assert states(factory)[email] is A.activation_expired


def test_the_sweep_moves_exactly_the_registered_accounts_without_a_usable_link(factory, settings):
    assert settings.activation_ttl == TTL
    now = utcnow()
    long_ago = now - TTL - timedelta(hours=1)
    for email in ("stale1@example.com", "stale2@example.com", "stale3@example.com"):
        register(factory, email, long_ago)
    register(factory, "resent@example.com", long_ago)  # a fresh mail 2 hours later
    register(factory, "resent@example.com", long_ago + timedelta(hours=2))
    register(factory, "fresh@example.com", now - timedelta(hours=23))
    register(factory, "done@example.com", long_ago)
    register(factory, "off@example.com", long_ago)
    with unit_of_work(factory) as session:
        [done_link] = [
            link_token(m["context"]["activate_url"])
            for m in mails(session, "activation")
            if m["to"] == "done@example.com"
        ]
        accounts.activate(session, done_link, PASSWORD, PASSWORD, now=long_ago)
        accounts.disable(session, "off@example.com")
        # Without any link: old enough is stale, new is not.
        for email, at in (("linkless@example.com", long_ago), ("new@example.com", now)):
            accounts.new_account(
                session,
                email=email,
                first_name="L",
                last_name="L",
                language="en",
                country=None,
                journey_ref=None,
                now=at,
            )
        versions = dict(session.execute(select(Account.email, Account.version)).all())

    with unit_of_work(factory) as session:
        assert expire_activations(session, now, batch_size=2) == 4
    with unit_of_work(factory) as session:
        assert expire_activations(session, now) == 0

    assert states(factory) == {
        "stale1@example.com": A.activation_expired,
        "stale2@example.com": A.activation_expired,
        "stale3@example.com": A.activation_expired,
        "linkless@example.com": A.activation_expired,
        "resent@example.com": A.registered,
        "fresh@example.com": A.registered,
        "new@example.com": A.registered,
        "done@example.com": A.activated,
        "off@example.com": A.disabled,
    }
    with unit_of_work(factory) as session:
        after = dict(session.execute(select(Account.email, Account.version)).all())
    assert {e for e in after if after[e] != versions[e]} == {
        "stale1@example.com",
        "stale2@example.com",
        "stale3@example.com",
        "linkless@example.com",
    }


def test_the_expired_link_mails_a_fresh_one_that_activates(client, factory):
    expired_account(factory)
    [old] = activation_links(factory, "ada@example.com")
    page = client.get(f"/activate/{old}")
    html = page.get_data(as_text=True)
    assert page.status_code == 410 and "has expired" in html

    resent = client.post(f"/activate/{old}/resend", data={"csrf_token": csrf_token(html)})
    assert resent.status_code == 200 and "new activation mail" in resent.get_data(as_text=True)
    assert states(factory)["ada@example.com"] is A.registered
    fresh = activation_links(factory, "ada@example.com")[-1]
    form = client.get(f"/activate/{fresh}")
    assert form.status_code == 200
    done = client.post(
        f"/activate/{fresh}",
        data={
            "csrf_token": csrf_token(form.get_data(as_text=True)),
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
        },
    )
    assert done.status_code == 303
    assert states(factory)["ada@example.com"] is A.activated
    assert log_in_to_connect(client).status_code == 302


def _register_by_form(client, email):
    html = client.get("/register").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(html),
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": email,
        "language": "en",
        "country": "GB",
        "altcha": captcha.solve(client.get("/captcha/challenge").get_json()),
    }
    response = client.post("/register", data=form)
    return response.status_code, response.headers["Location"]


def test_registering_again_answers_as_for_a_new_address_and_mails_a_fresh_link(client, factory):
    expired_account(factory)
    assert _register_by_form(client, "ada@example.com") == _register_by_form(
        client, "new@example.com"
    )
    with unit_of_work(factory) as session:
        latest = [(m["template"], m["to"]) for m in mails(session)][-2:]
    assert latest == [("activation", "ada@example.com"), ("activation", "new@example.com")]
    assert states(factory)["ada@example.com"] is A.registered
    fresh = activation_links(factory, "ada@example.com")[-1]
    with unit_of_work(factory) as session:
        account = accounts.activate(session, fresh, PASSWORD, PASSWORD)
        assert account.state is A.activated


def test_forgot_password_mails_a_fresh_activation_link(client, factory):
    expired_account(factory)
    html = client.get("/password/forgot").get_data(as_text=True)
    response = client.post(
        "/password/forgot", data={"csrf_token": csrf_token(html), "email": "ada@example.com"}
    )
    assert response.status_code == 303
    assert len(activation_links(factory, "ada@example.com")) == 2
    assert states(factory)["ada@example.com"] is A.registered


def test_an_account_whose_activation_expired_cannot_log_in(client, factory):
    expired_account(factory)
    refused = log_in_to_connect(client)
    assert refused.status_code == 200
    assert "The email address or password is not right." in refused.get_data(as_text=True)


def test_a_verified_upstream_identity_activates_it(factory):
    expired_account(factory)
    claims = {"sub": "g-1", "email": "ada@example.com", "email_verified": True}
    with unit_of_work(factory) as session:
        account = federation.log_in_upstream(session, "https://upstream.test", claims, utcnow())
        assert account.state is A.activated
    assert states(factory)["ada@example.com"] is A.activated


def test_an_account_a_resend_is_locking_is_skipped_and_keeps_its_fresh_link(postgres_factory):
    register(postgres_factory, "ada@example.com", utcnow() - TTL - timedelta(hours=1))
    with unit_of_work(postgres_factory) as resending:
        accounts.request_password_reset(resending, "ada@example.com")
        answer_requests(resending)  # as the worker does: it locks the account
        with unit_of_work(postgres_factory) as sweeping:
            assert expire_activations(sweeping, utcnow()) == 0
    with unit_of_work(postgres_factory) as sweeping:
        assert expire_activations(sweeping, utcnow()) == 0
    assert states(postgres_factory)["ada@example.com"] is A.registered
    assert len(activation_links(postgres_factory, "ada@example.com")) == 2


def _wait_until_someone_waits_for_a_row_lock(session):
    for _ in range(200):
        waiting = session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        if waiting:
            return
        session.rollback()  # pg_stat_activity is read once per transaction
        threading.Event().wait(0.05)
    raise AssertionError("the resend never waited for the sweep's row lock")


def test_a_resend_waiting_for_the_sweep_sees_the_expiry_and_makes_the_account_registered(
    postgres_factory,
):
    register(postgres_factory, "ada@example.com", utcnow() - TTL - timedelta(hours=1))

    def forgot_password():
        with unit_of_work(postgres_factory) as session:
            accounts.request_password_reset(session, "ada@example.com")
            answer_requests(session)  # as the worker does: it waits for the account's lock

    with unit_of_work(postgres_factory) as sweeping:
        assert expire_activations(sweeping, utcnow()) == 1
        resend = threading.Thread(target=forgot_password)
        resend.start()
        with postgres_factory() as observer:
            _wait_until_someone_waits_for_a_row_lock(observer)
    resend.join(10)
    assert states(postgres_factory)["ada@example.com"] is A.registered
    assert len(activation_links(postgres_factory, "ada@example.com")) == 2
