"""ID-token signing keys (RS256), kept in the database and rotated.

A new key is published in the JWKS for PUBLISH_LEAD before it signs anything, so that
relying parties that cache the JWKS know it in time; a replaced key stays published until
every token it signed has expired.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from joserfc.jwk import RSAKey
from sqlalchemy import select
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
    return row


def rotate(session: Session, now: datetime) -> SigningKey:
    """Add the next key: published now, signing from now + PUBLISH_LEAD."""
    return create_key(session, now, now + PUBLISH_LEAD)


def ensure_keys(session: Session, now: datetime) -> list[SigningKey]:
    """Every key, creating the first on first start and the next when rotation is due."""
    keys = _all(session)
    if not keys:
        # Nobody can have cached a JWKS yet: the first key signs at once.
        return [create_key(session, now, now)]
    if keys[-1].created_at + settings_of(session).signing_key_rotation <= now:
        keys.append(rotate(session, now))
    return keys


def signing_key(session: Session, now: datetime) -> SigningKey:
    """The key that signs now: the newest one whose publication lead has passed."""
    keys = ensure_keys(session, now)
    return [key for key in keys if key.active_from <= now][-1]


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


def private_key(row: SigningKey) -> RSAKey:
    key = _IMPORTED.get(row.kid)
    if key is None:
        key = _IMPORTED[row.kid] = RSAKey.import_key(row.private_jwk)
        while len(_IMPORTED) > _IMPORTED_KEPT:
            _IMPORTED.popitem(last=False)
    return key


def jwks(session: Session, now: datetime) -> dict[str, Any]:
    """The public JSON Web Key Set."""
    return {"keys": [private_key(row).as_dict(private=False) for row in published(session, now)]}
