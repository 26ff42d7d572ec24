"""Forgot password and registration do the same work whether or not the address has an
account (the same SQL statements, one outbox row), so that their timing tells nothing; the
worker answers the request with the mail each address gets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, select

from onboarding import outbox
from onboarding.db import unit_of_work
from onboarding.identity import accounts, captcha
from onboarding.outbox.models import OutboxMessage
from tests.helpers import activated_account, answer_requests, csrf_token, mails

KNOWN, UNKNOWN = "ada@example.com", "nobody@example.com"


@pytest.fixture
def statements(factory) -> Iterator[list[str]]:
    """The SQL text of every statement run on the test database, as it runs."""
    engine = factory.kw["bind"]
    seen: list[str] = []

    def note(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


@pytest.fixture(params=["activated", "awaiting activation"])
def known_account(request, factory):
    """An account at KNOWN, activated or still waiting for its activation."""
    if request.param == "activated":
        activated_account(factory, KNOWN)
        return
    with unit_of_work(factory) as session:
        details = {"first_name": "Ada", "last_name": "Lovelace", "language": "en"}
        accounts.register(session, email=KNOWN, country=None, **details)
        answer_requests(session)


def outbox_ids(factory) -> set[int]:
    with unit_of_work(factory) as session:
        return set(session.scalars(select(OutboxMessage.id)))


def work_of(client, factory, statements, path, data) -> tuple[list[str], list[str]]:
    """The statements one POST to `path` ran and the kinds of the outbox rows it wrote."""
    before = outbox_ids(factory)
    statements.clear()
    response = client.post(path, data=data)
    ran = list(statements)
    assert response.status_code == 303, response.get_data(as_text=True)
    with unit_of_work(factory) as session:
        written = session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.id.not_in(before))
        ).all()
    return ran, list(written)


def forgot_form(client, email):
    html = client.get("/password/forgot").get_data(as_text=True)
    return {"csrf_token": csrf_token(html), "email": email, "language": "en"}


def register_form(client, email):
    html = client.get("/register").get_data(as_text=True)
    return {
        "csrf_token": csrf_token(html),
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": email,
        "language": "en",
        "country": "GB",
        "altcha": captcha.solve(client.get("/captcha/challenge").get_json()),
    }


def test_forgot_password_runs_the_same_statements_and_writes_one_row_for_any_address(
    known_account, client, factory, statements
):
    post = "/password/forgot"
    work_of(client, factory, statements, post, forgot_form(client, UNKNOWN))  # warm-up
    unknown = work_of(client, factory, statements, post, forgot_form(client, UNKNOWN))
    known = work_of(client, factory, statements, post, forgot_form(client, KNOWN))
    assert known == unknown
    assert unknown[1] == [outbox.ACCOUNT_REQUEST]


def test_registration_runs_the_same_statements_and_writes_one_row_for_any_address(
    known_account, client, factory, statements
):
    post = "/register"
    work_of(client, factory, statements, post, register_form(client, "first@example.com"))
    unknown = work_of(client, factory, statements, post, register_form(client, UNKNOWN))
    known = work_of(client, factory, statements, post, register_form(client, KNOWN))
    assert known == unknown
    assert unknown[1] == [outbox.ACCOUNT_REQUEST]


def test_the_worker_answers_forgot_password_with_the_mail_each_address_gets(client, factory):
    activated_account(factory, KNOWN)
    for email in (KNOWN, UNKNOWN):
        client.post("/password/forgot", data=forgot_form(client, email))
    with unit_of_work(factory) as session:
        answered = [(m["template"], m["to"]) for m in mails(session)][1:]  # after the activation
    assert answered == [("password_reset", KNOWN), ("no_account", UNKNOWN)]


def test_the_worker_answers_registration_with_the_mail_each_address_gets(client, factory):
    activated_account(factory, KNOWN)
    for email in (KNOWN, UNKNOWN):
        client.post("/register", data=register_form(client, email))
    with unit_of_work(factory) as session:
        answered = [(m["template"], m["to"]) for m in mails(session)][1:]
    assert answered == [("account_exists", KNOWN), ("activation", UNKNOWN)]
