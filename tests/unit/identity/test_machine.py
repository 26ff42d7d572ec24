"""The account machine: activation expiry, and the ways out of it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from onboarding.identity.machine import (
    AccountState,
    InvalidAccountTransition,
    awaits_activation,
    destination,
    fire,
    sources_of,
)

A = AccountState


def fired(trigger, state):
    account = SimpleNamespace(state=state)
    fire(trigger, account)
    return account.state


def test_only_a_registered_account_can_have_its_activation_expire():
    assert sources_of("expire_activation") == [A.registered]
    assert destination("expire_activation") is A.activation_expired
    assert fired("expire_activation", A.registered) is A.activation_expired
    for state in (A.activation_expired, A.activated, A.disabled):
        with pytest.raises(InvalidAccountTransition, match="cannot expire_activation"):
            fired("expire_activation", state)


@pytest.mark.parametrize("state", [A.registered, A.activation_expired])
def test_asking_for_a_new_activation_mail_makes_the_account_registered_again(state):
    assert fired("resend_activation", state) is A.registered


@pytest.mark.parametrize("state", [A.activated, A.disabled])
def test_an_activated_or_disabled_account_gets_no_activation_mail(state):
    with pytest.raises(InvalidAccountTransition):
        fired("resend_activation", state)


def test_an_account_whose_activation_expired_can_still_be_activated_or_disabled():
    assert fired("activate", A.activation_expired) is A.activated
    assert fired("disable", A.activation_expired) is A.disabled
    with pytest.raises(InvalidAccountTransition):
        fired("enable", A.activation_expired)


def test_accounts_awaiting_activation_are_the_registered_and_the_expired_ones():
    waiting = [s for s in A if awaits_activation(SimpleNamespace(state=s))]
    assert waiting == [A.registered, A.activation_expired]
