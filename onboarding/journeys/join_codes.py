"""The short code an invitation mail carries beside its link, for opening the invitation on
another device at /join: 8 characters without look-alikes, read case-insensitively, shown as
ABCD-EFGH. Only its HMAC under the secret key is stored, so that the table alone reveals no code.

The code is a second way to the same link token: it has the link's expiry and checks, one per
link generation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding.db import settings_of
from onboarding.journeys.models import LinkToken

# No I, L, O, U, 0 or 1: nothing to mistake for another character when copied by hand.
ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
LENGTH = 8
_SEPARATORS = re.compile(r"[\s-]+")
_CHUNK = 5_000  # under SQLite's limit on bound parameters


def new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    """`code` as the mail shows it, in two groups: ABCD-EFGH."""
    return f"{code[:4]}-{code[4:]}"


def normalised(typed: str | None) -> str | None:
    """The code `typed` stands for (any case, with or without the dash), or None if it cannot
    be one."""
    code = _SEPARATORS.sub("", typed or "").upper()
    if len(code) != LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def digest(code: str, secret_key: str) -> str:
    return hmac.new(secret_key.encode(), code.encode(), hashlib.sha256).hexdigest()


def fresh(session: Session, count: int) -> list[tuple[str, str]]:
    """`count` new (code, digest) pairs, none of them already stored or repeated.

    Codes are short, so two can meet: those already taken are drawn again here, and the
    unique index refuses the rare one a concurrent transaction stores meanwhile.
    """
    key = settings_of(session).secret_key
    drawn: dict[str, str] = {}
    while len(drawn) < count:
        codes = (new() for _ in range(count - len(drawn)))
        candidates = {digest(code, key): code for code in codes}
        hashes = [code_hash for code_hash in candidates if code_hash not in drawn]
        for start in range(0, len(hashes), _CHUNK):
            chunk = hashes[start : start + _CHUNK]
            stored = select(LinkToken.code_hash).where(LinkToken.code_hash.in_(chunk))
            taken = set(session.scalars(stored))
            for code_hash in set(chunk) - taken:
                drawn[code_hash] = candidates[code_hash]
    return [(code, code_hash) for code_hash, code in drawn.items()]


def stored_as(session: Session, code: str) -> str:
    """What the table keeps of `code`."""
    return digest(code, settings_of(session).secret_key)
