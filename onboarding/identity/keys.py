"""ID-token signing keys (RS256), kept in the database and rotated.

A new key is published in the JWKS for PUBLISH_LEAD before it signs anything, so that
relying parties that cache the JWKS know it in time; a replaced key stays published until
every token it signed has expired.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc.jwk import RSAKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onboarding.db import settings_of
from onboarding.identity.models import SigningKey

ALGORITHM = "RS256"
PUBLISH_LEAD = timedelta(hours=1)
TOKEN_TTL = timedelta(hours=1)  # of ID and access tokens
# Keys imported in this process, by kid: importing checks the RSA key, which takes tens of
# milliseconds, and a kid always names the same key. Only a few are published at a time.
_IMPORTED: OrderedDict[str, RSAKey] = OrderedDict()
_IMPORTED_KEPT = 8
# PostgreSQL advisory lock held by the transaction that creates a signing key.
KEY_CREATION_LOCK = 0x5167_4B45
# How long a process may sign with the key it read before reading the keys again: far less
# than PUBLISH_LEAD, so that a key added meanwhile (rotation by another process, or
# `connect rotate-key`) is known long before it signs.
SIGNER_KEPT = timedelta(minutes=5)
# Where a session notes the kids of the keys it made (`session.info`).
_MADE = "signing_keys_made"


def _all(session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.active_from)))


def create_key(session: Session, now: datetime, active_from: datetime) -> SigningKey:
    kid = uuid.uuid4().hex
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"})
    row = SigningKey(
        kid=kid, private_jwk=key.as_dict(private=True), created_at=now, active_from=active_from
    )
    session.add(row)
    session.flush()
    session.info.setdefault(_MADE, set()).add(kid)
    return row


def rotate(session: Session, now: datetime) -> SigningKey:
    """Add the next key: published now, signing from now + PUBLISH_LEAD."""
    return create_key(session, now, now + PUBLISH_LEAD)


def ensure_keys(session: Session, now: datetime) -> list[SigningKey]:
    """Every key, creating the first on first start and the next when rotation is due."""
    keys = _all(session)
    if _creation_due(session, keys, now):
        # Processes that find a key due at the same moment create it one at a time, and each
        # looks again once it holds the lock: one first key, one next key, never two.
        _lock_key_creation(session)
        keys = _all(session)
    if not keys:
        # Nobody can have cached a JWKS yet: the first key signs at once.
        return [create_key(session, now, now)]
    if _creation_due(session, keys, now):
        keys.append(rotate(session, now))
    return keys


def _creation_due(session: Session, keys: list[SigningKey], now: datetime) -> bool:
    return not keys or keys[-1].created_at + settings_of(session).signing_key_rotation <= now


def _lock_key_creation(session: Session) -> None:
    # SQLite needs none: its transactions take the write lock when they begin.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(KEY_CREATION_LOCK)))


def signing_key(session: Session, now: datetime) -> SigningKey:
    """The key that signs now: the newest one whose publication lead has passed."""
    return _signing(ensure_keys(session, now), now)


def _signing(keys: list[SigningKey], now: datetime) -> SigningKey:
    return [key for key in keys if key.active_from <= now][-1]


@dataclass(frozen=True)
class Signer:
    """The key that signs from `read_at` until `until`, as the keys read at `read_at` tell:
    a process may keep signing with it meanwhile without reading them again."""

    kid: str
    private_jwk: dict[str, Any]
    read_at: datetime
    until: datetime

    def signs_at(self, now: datetime) -> bool:
        return self.read_at <= now < self.until


def signer(session: Session, now: datetime) -> Signer:
    """The key that signs now, kept for at most SIGNER_KEPT: never past the start of a key
    already published, nor past the next rotation (due when the keys are next read). A key
    this session made is not kept, as its transaction may yet be rolled back."""
    keys = ensure_keys(session, now)
    current = _signing(keys, now)
    ends = [now + SIGNER_KEPT, keys[-1].created_at + settings_of(session).signing_key_rotation]
    ends += [key.active_from for key in keys if key.active_from > now]
    until = now if current.kid in session.info.get(_MADE, ()) else min(ends)
    return Signer(current.kid, current.private_jwk, now, until)


def published(session: Session, now: datetime) -> list[SigningKey]:
    """Keys in the JWKS: the signing one, the coming ones, and replaced ones whose tokens
    may still be valid."""
    keys = ensure_keys(session, now)
    shown = []
    for index, key in enumerate(keys):
        successor = keys[index + 1] if index + 1 < len(keys) else None
        if successor is None or successor.active_from + TOKEN_TTL > now:
            shown.append(key)
    return shown


def private_key(row: SigningKey | Signer) -> RSAKey:
    key = _IMPORTED.get(row.kid)
    if key is None:
        key = _IMPORTED[row.kid] = RSAKey.import_key(row.private_jwk)
        while len(_IMPORTED) > _IMPORTED_KEPT:
            _IMPORTED.popitem(last=False)
    return key


def jwks(session: Session, now: datetime) -> dict[str, Any]:
    """The public JSON Web Key Set."""
    return {"keys": [private_key(row).as_dict(private=False) for row in published(session, now)]}
