"""`onboarding connect …`: disable and enable accounts, rotate the signing key."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from onboarding.cli import main
from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.identity import keys
from tests.helpers import activated_account, log_in_to_connect


@pytest.fixture
def run(factory):
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_a_disabled_account_cannot_log_in_until_enabled(run, client, factory):
    activated_account(factory)
    log_in_to_connect(client)
    assert client.get("/account/security").status_code == 200
    result = run("connect", "disable", "Ada@Example.com")
    assert result.exit_code == 0 and "ada@example.com is disabled" in result.output
    # The running session ends with the account.
    assert client.get("/account/security").status_code == 302
    assert log_in_to_connect(client).status_code == 200
    assert run("connect", "enable", "ada@example.com").exit_code == 0
    assert log_in_to_connect(client).status_code == 302


def test_disabling_twice_or_an_unknown_account_is_a_clear_error(run, factory):
    activated_account(factory)
    run("connect", "disable", "ada@example.com")
    again = run("connect", "disable", "ada@example.com")
    assert again.exit_code == 1 and "cannot disable an account that is disabled" in again.output
    unknown = run("connect", "disable", "nobody@example.com")
    assert unknown.exit_code == 1 and "No Connect account" in unknown.output


def test_rotate_key_publishes_a_key_that_does_not_sign_yet(run, factory):
    now = utcnow()
    with unit_of_work(factory) as session:
        current = keys.signing_key(session, now).kid
    result = run("connect", "rotate-key")
    assert result.exit_code == 0 and "published" in result.output
    with unit_of_work(factory) as session:
        assert keys.signing_key(session, utcnow()).kid == current
        assert len(keys.jwks(session, utcnow())["keys"]) == 2
