"""An authorization code's nonce is given to its client once: the statement that stores the code
refuses one given before, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.identity import oidc
from onboarding.identity.models import Account
from tests.helpers import activated_account


def save(session, account_id: int, client_id: str, nonce: str | None) -> bool:
    return oidc.save_code(
        session,
        code=oidc.digest(f"{client_id}{nonce}{utcnow()}"),
        client_id=client_id,
        account_id=account_id,
        redirect_uri="http://app.test/auth/callback",
        scope="openid",
        nonce=nonce,
        code_challenge="c",
        code_challenge_method="S256",
        auth_time=0,
        sid=None,
        now=utcnow(),
    )


def test_a_nonce_is_stored_once_per_client(factory):
    activated_account(factory)
    with unit_of_work(factory) as session:
        account_id = session.query(Account.id).scalar()
        assert save(session, account_id, "app", "n")
        assert not save(session, account_id, "app", "n")
        assert save(session, account_id, "other", "n")
        # Without a nonce there is nothing to replay.
        assert save(session, account_id, "app", None)
        assert save(session, account_id, "app", None)
