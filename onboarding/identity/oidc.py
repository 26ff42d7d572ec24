"""The OIDC provider's records: authorization codes (single use), access tokens, and the
claims Connect tells a client about an account. Codes and tokens are stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value

from onboarding.identity.keys import TOKEN_TTL
from onboarding.identity.machine import AccountState
from onboarding.identity.models import AccessToken, Account, AuthorizationCode, RefreshToken

CODE_TTL = timedelta(minutes=5)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _code_insert(insert: Any) -> Any:
    """`insert` (a dialect's) of a code, which stores nothing and returns no row when the
    client was given the code's nonce before (the unique index on client and nonce)."""
    return (
        insert(AuthorizationCode.__table__)
        .on_conflict_do_nothing(index_elements=["client_id", "nonce"])
        .returning(AuthorizationCode.__table__.c.id)
    )


# Built once, like `_CLAIM` below: building the statement costs more than running it.
_SAVE_CODE = {"postgresql": _code_insert(postgresql.insert), "sqlite": _code_insert(sqlite.insert)}


def save_code(
    session: Session,
    *,
    code: str,
    client_id: str,
    account_id: int,
    redirect_uri: str,
    scope: str,
    nonce: str | None,
    code_challenge: str,
    code_challenge_method: str,
    auth_time: int,
    sid: str | None,
    now: datetime,
    amr: list[str] | None = None,
) -> bool:
    """Store an authorization code; False, storing nothing, when its nonce was given to the
    client before: a replay (checked by the statement that stores it, so that of two requests
    with one nonce only one gets a code)."""
    stored = session.execute(
        _SAVE_CODE[session.get_bind().dialect.name],
        {
            "code_hash": digest(code),
            "client_id": client_id,
            "account_id": account_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": code_challenge_method,
            "auth_time": auth_time,
            "amr": amr,
            "sid": sid,
            "created_at": now,
            "expires_at": now + CODE_TTL,
        },
    ).first()
    return stored is not None


_TIME = AuthorizationCode.__table__.c.expires_at.type
# A code claimed: found unused and marked used in one statement (see `claim_code`). Built once,
# as building the statement with its CTE costs more than running it.
_CLAIM = (
    update(AuthorizationCode)
    .where(
        AuthorizationCode.code_hash == bindparam("hash"),
        AuthorizationCode.client_id == bindparam("client"),
        AuthorizationCode.used_at.is_(None),
        AuthorizationCode.expires_at > bindparam("now", type_=_TIME),
    )
    .values(used_at=bindparam("now", type_=_TIME), grant_id=bindparam("grant"))
)
_CLAIM_RETURNING = _CLAIM.returning(AuthorizationCode).execution_options(synchronize_session=False)
_CLAIMED = aliased(
    AuthorizationCode, _CLAIM.returning(*AuthorizationCode.__table__.c).cte("claimed")
)
_CLAIM_WITH_ACCOUNT = (
    select(_CLAIMED, Account)
    .outerjoin(Account, Account.id == _CLAIMED.account_id)
    .execution_options(populate_existing=True)
)


def claim_code(
    session: Session, code: str, client_id: str, now: datetime
) -> AuthorizationCode | None:
    """The code's row, marked used in the same statement that finds it unused: of two token
    requests with one code, exactly one gets it. Expired, used or foreign codes give None. The
    claim names the grant that the tokens it is exchanged for belong to, so that a replay of
    the code can find them. On PostgreSQL the same statement loads the code's account, which
    the token request reads next (SQLite has no UPDATE in a WITH: the account comes when
    read)."""
    parameters = {
        "hash": digest(code),
        "client": client_id,
        "now": now,
        "grant": secrets.token_urlsafe(24),
    }
    if session.get_bind().dialect.name != "postgresql":
        return session.scalar(_CLAIM_RETURNING, parameters)
    found = session.execute(_CLAIM_WITH_ACCOUNT, parameters).first()
    if found is None:
        return None
    row, account = found
    set_committed_value(row, "account", account)
    return row


def save_token(
    session: Session,
    model: type[AccessToken | RefreshToken],
    ttl: timedelta,
    *,
    token: str,
    grant_id: str,
    client_id: str,
    account_id: int,
    scope: str,
    now: datetime,
) -> None:
    """Store a token of `model` (access or refresh) issued in a grant; only its digest. One
    INSERT now, cheaper than the unit of work's at commit."""
    session.execute(
        insert(cast(Table, model.__table__)),
        {
            "token_hash": digest(token),
            "grant_id": grant_id,
            "client_id": client_id,
            "account_id": account_id,
            "scope": scope,
            "issued_at": now,
            "expires_at": now + ttl,
        },
    )


def save_access_token(session: Session, **fields: Any) -> None:
    save_token(session, AccessToken, TOKEN_TTL, **fields)


def find_access_token(session: Session, token: str) -> AccessToken | None:
    return session.scalar(select(AccessToken).where(AccessToken.token_hash == digest(token)))


def active_account(account: Account | None) -> bool:
    return account is not None and account.state is AccountState.activated


def user_claims(account: Account, scope: str) -> dict[str, Any]:
    """The claims `scope` allows: sub always; email and profile claims when asked for."""
    scopes = set(scope.split())
    claims: dict[str, Any] = {"sub": account.subject}
    if "email" in scopes:
        claims.update(email=account.email, email_verified=account.activated_at is not None)
        if account.verified_by:
            # A private claim: the app records the steps an invitation made unnecessary.
            claims["email_verified_by"] = account.verified_by
    if "profile" in scopes:
        claims.update(
            given_name=account.first_name,
            family_name=account.last_name,
            name=f"{account.first_name} {account.last_name}".strip(),
            locale=account.language,
        )
    return claims
