"""WebAuthn challenges: random, handed to one browser, good for one ceremony once.

The browser's session holds a random binding token; a challenge row keeps the SHA-256 of the
challenge and of that token. Claiming a challenge deletes its row in the statement that finds
it, so of two answers to one challenge exactly one gets it, and an answer sent from another
browser (another binding) gets nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from onboarding.identity.models import PasskeyChallenge

TTL = timedelta(minutes=5)
REGISTRATION = "registration"
AUTHENTICATION = "authentication"
CONFIRMATION = "confirmation"  # the signed-in owner confirms a grave step (deleting the account)
# The first passkey of an account still to be made (registration from an invitation).
SIGNUP = "signup"


def _digest(raw: bytes | str) -> str:
    return hashlib.sha256(raw if isinstance(raw, bytes) else raw.encode()).hexdigest()


def new_binding() -> str:
    """A token for a browser's session, naming the challenges handed to it."""
    return secrets.token_urlsafe(32)


def issue(
    session: Session, binding: str, ceremony: str, account_id: int | None, now: datetime
) -> bytes:
    """A fresh challenge for `ceremony` in the browser holding `binding`; expired ones go."""
    session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at <= now))
    challenge = secrets.token_bytes(32)
    session.add(
        PasskeyChallenge(
            challenge_hash=_digest(challenge),
            binding=_digest(binding),
            ceremony=ceremony,
            account_id=account_id,
            expires_at=now + TTL,
        )
    )
    session.flush()
    return challenge


def claim(
    session: Session,
    challenge: bytes,
    binding: str | None,
    ceremony: str,
    account_id: int | None,
    now: datetime,
) -> bool:
    """Whether `challenge` was issued for this ceremony (and account) to the browser holding
    `binding`, and has not expired or been claimed before; it cannot be claimed again."""
    if not binding:
        return False
    result = session.execute(
        delete(PasskeyChallenge)
        .where(
            PasskeyChallenge.challenge_hash == _digest(challenge),
            PasskeyChallenge.binding == _digest(binding),
            PasskeyChallenge.ceremony == ceremony,
            PasskeyChallenge.account_id.is_(None)
            if account_id is None
            else PasskeyChallenge.account_id == account_id,
            PasskeyChallenge.expires_at > now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]
