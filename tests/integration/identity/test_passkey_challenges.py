"""A WebAuthn challenge is good once, for its ceremony, account and browser, until it expires."""

from __future__ import annotations

from sqlalchemy import func, select

from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.identity import challenges
from onboarding.identity.challenges import AUTHENTICATION, REGISTRATION, TTL
from onboarding.identity.models import PasskeyChallenge


def test_a_challenge_is_claimed_once_by_the_browser_it_was_handed_to(factory):
    now = utcnow()
    with unit_of_work(factory) as session:
        challenge = challenges.issue(session, "browser-a", AUTHENTICATION, None, now)
        assert not challenges.claim(session, challenge, "browser-b", AUTHENTICATION, None, now)
        assert not challenges.claim(session, challenge, None, AUTHENTICATION, None, now)
        assert not challenges.claim(session, challenge, "browser-a", REGISTRATION, None, now)
        assert challenges.claim(session, challenge, "browser-a", AUTHENTICATION, None, now)
        assert not challenges.claim(session, challenge, "browser-a", AUTHENTICATION, None, now)


def test_an_expired_challenge_is_refused_and_swept_by_the_next_one(factory):
    now = utcnow()
    with unit_of_work(factory) as session:
        old = challenges.issue(session, "browser-a", AUTHENTICATION, None, now)
        later = now + TTL
        assert not challenges.claim(session, old, "browser-a", AUTHENTICATION, None, later)
        challenges.issue(session, "browser-a", AUTHENTICATION, None, later)
        assert session.scalar(select(func.count(PasskeyChallenge.id))) == 1


def test_a_challenge_handed_out_without_an_account_adds_no_passkey_to_one(factory):
    now = utcnow()
    with unit_of_work(factory) as session:
        challenge = challenges.issue(session, "browser-a", REGISTRATION, None, now)
        assert not challenges.claim(session, challenge, "browser-a", REGISTRATION, 7, now)
