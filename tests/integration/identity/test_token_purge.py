"""The purge deletes exactly the codes, tokens and mailed links that were used or
expired longer ago than CONNECT_TOKEN_RETENTION, and keeps the links of an account that
still awaits activation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.identity import links
from onboarding.identity.machine import AccountState
from onboarding.identity.models import (
    AccessToken,
    Account,
    AccountToken,
    AuthorizationCode,
    RefreshToken,
)
from onboarding.identity.retention import Purged, purge_spent_tokens

NOW = utcnow()
OLD = NOW - timedelta(days=8)  # past the default retention of 7 days
RECENT = NOW - timedelta(days=6)


def account(session, name, state):
    row = Account(
        subject=name,
        email=f"{name}@example.com",
        first_name=name,
        last_name=name,
        state=state,
        created_at=OLD - timedelta(days=1),
    )
    session.add(row)
    return row


def code(session, owner, name, *, expires_at, used_at=None):
    session.add(
        AuthorizationCode(
            code_hash=name,
            client_id="app",
            account=owner,
            redirect_uri="http://app.test/auth/callback",
            scope="openid",
            nonce=name,
            code_challenge="c",
            code_challenge_method="S256",
            auth_time=0,
            created_at=expires_at - timedelta(minutes=5),
            expires_at=expires_at,
            used_at=used_at,
        )
    )


def access_token(session, owner, name, *, expires_at):
    session.add(
        AccessToken(
            token_hash=name,
            client_id="app",
            account=owner,
            scope="openid",
            issued_at=expires_at - timedelta(hours=1),
            expires_at=expires_at,
        )
    )


def refresh_token(session, owner, name, *, expires_at, used_at=None):
    session.add(
        RefreshToken(
            token_hash=name,
            grant_id="grant",
            client_id="app",
            account=owner,
            scope="openid offline_access",
            issued_at=expires_at - timedelta(days=30),
            expires_at=expires_at,
            used_at=used_at,
        )
    )


def link(session, owner, name, purpose, *, expires_at, used_at=None):
    session.add(
        AccountToken(
            token_hash=name,
            purpose=purpose,
            account=owner,
            created_at=expires_at - timedelta(hours=1),
            expires_at=expires_at,
            used_at=used_at,
        )
    )


def test_the_purge_deletes_only_what_was_spent_before_the_retention(factory):
    with unit_of_work(factory) as session:
        ada = account(session, "ada", AccountState.activated)
        waiting = account(session, "waiting", AccountState.activation_expired)
        code(session, ada, "code-used-long-ago", expires_at=OLD, used_at=OLD)
        code(session, ada, "code-expired-long-ago", expires_at=OLD)
        code(session, ada, "code-used-recently", expires_at=RECENT, used_at=RECENT)
        code(session, ada, "code-open", expires_at=NOW + timedelta(minutes=5))
        access_token(session, ada, "token-expired-long-ago", expires_at=OLD)
        access_token(session, ada, "token-expired-recently", expires_at=RECENT)
        access_token(session, ada, "token-valid", expires_at=NOW + timedelta(hours=1))
        refresh_token(session, ada, "refresh-expired-long-ago", expires_at=OLD)
        refresh_token(
            session, ada, "refresh-used-valid", expires_at=NOW + timedelta(days=1), used_at=OLD
        )
        link(
            session, ada, "activation-used-long-ago", links.ACTIVATION, expires_at=NOW, used_at=OLD
        )
        link(session, ada, "reset-expired-long-ago", links.PASSWORD_RESET, expires_at=OLD)
        link(
            session,
            ada,
            "reset-used-recently",
            links.PASSWORD_RESET,
            expires_at=NOW,
            used_at=RECENT,
        )
        link(session, ada, "reset-open", links.PASSWORD_RESET, expires_at=NOW + timedelta(hours=1))
        link(session, waiting, "activation-of-waiting", links.ACTIVATION, expires_at=OLD)

    with unit_of_work(factory) as session:
        assert purge_spent_tokens(session, NOW) == Purged(
            codes=2, access_tokens=1, refresh_tokens=1, links=2
        )
    with unit_of_work(factory) as session:
        assert purge_spent_tokens(session, NOW).total == 0

    with unit_of_work(factory) as session:
        assert set(session.scalars(select(AuthorizationCode.code_hash))) == {
            "code-used-recently",
            "code-open",
        }
        assert set(session.scalars(select(AccessToken.token_hash))) == {
            "token-expired-recently",
            "token-valid",
        }
        assert set(session.scalars(select(RefreshToken.token_hash))) == {"refresh-used-valid"}
        assert set(session.scalars(select(AccountToken.token_hash))) == {
            "reset-used-recently",
            "reset-open",
            "activation-of-waiting",
        }
