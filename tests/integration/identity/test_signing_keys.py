"""Signing keys: created on first use, rotated with the next key published before it signs,
and a replaced key kept in the JWKS while its tokens may live."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.identity import keys
from onboarding.identity.models import SigningKey


def kids(session, now):
    return [k["kid"] for k in keys.jwks(session, now)["keys"]]


def test_the_first_key_is_created_once_and_kept(factory):
    now = utcnow()
    with unit_of_work(factory) as session:
        first = keys.signing_key(session, now).kid
    with unit_of_work(factory) as session:
        assert keys.signing_key(session, now + timedelta(days=1)).kid == first
        assert kids(session, now) == [first]


def test_rotation_publishes_before_signing_and_retires_after_tokens_expire(factory, settings):
    start = utcnow()
    with unit_of_work(factory) as session:
        old = keys.signing_key(session, start).kid
    due = start + settings.signing_key_rotation
    with unit_of_work(factory) as session:
        # Rotation is due: a new key appears in the JWKS, the old one still signs.
        assert keys.signing_key(session, due).kid == old
        published = kids(session, due)
    assert len(published) == 2 and published[0] == old
    new = published[1]
    after_lead = due + keys.PUBLISH_LEAD
    with unit_of_work(factory) as session:
        assert keys.signing_key(session, after_lead).kid == new
        # Tokens signed by the old key just before the switch are still checkable.
        assert kids(session, after_lead) == [old, new]
        assert kids(session, after_lead + keys.TOKEN_TTL) == [new]


def test_the_jwks_holds_no_private_parts(factory):
    with unit_of_work(factory) as session:
        [key] = keys.jwks(session, utcnow())["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & key.keys()


def test_processes_finding_no_key_at_the_same_moment_create_one_first_key(postgres_factory):
    now = utcnow()
    both_looked = threading.Barrier(2)

    def first_start():
        with unit_of_work(postgres_factory) as session:
            assert session.scalars(select(SigningKey)).all() == []
            both_looked.wait()  # both have seen an empty table before either creates
            return keys.signing_key(session, now).kid

    with ThreadPoolExecutor(2) as pool:
        made = [f.result(timeout=60) for f in [pool.submit(first_start) for _ in range(2)]]
    assert made[0] == made[1]
    with unit_of_work(postgres_factory) as session:
        assert kids(session, now) == [made[0]]


def test_a_process_keeps_its_signer_a_few_minutes_at_most(factory):
    now = utcnow()
    with unit_of_work(factory) as session:
        first = keys.signing_key(session, now).kid  # made and committed
    with unit_of_work(factory) as session:
        signer = keys.signer(session, now)
    assert signer.kid == first
    assert signer.signs_at(now) and signer.signs_at(now + keys.SIGNER_KEPT - timedelta(seconds=1))
    assert not signer.signs_at(now + keys.SIGNER_KEPT)
    assert not signer.signs_at(now - timedelta(seconds=1))


def test_a_signer_is_not_kept_past_the_start_of_a_published_key(factory):
    start = utcnow()
    with unit_of_work(factory) as session:
        old = keys.signing_key(session, start).kid
        new = keys.rotate(session, start)
    just_before = new.active_from - timedelta(minutes=1)
    with unit_of_work(factory) as session:
        signer = keys.signer(session, just_before)
    assert signer.kid == old and signer.until == new.active_from


def test_a_signer_is_not_kept_past_the_next_rotation(factory, settings):
    start = utcnow()
    with unit_of_work(factory) as session:
        keys.signing_key(session, start)
    due = start + settings.signing_key_rotation
    with unit_of_work(factory) as session:
        assert keys.signer(session, due - timedelta(minutes=1)).until == due


def test_a_first_key_made_by_the_transaction_is_not_kept(factory):
    now = utcnow()
    with unit_of_work(factory) as session:
        signer = keys.signer(session, now)
    assert not signer.signs_at(now)
