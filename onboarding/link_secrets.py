"""The secret in a mailed link: 256 random bits, URL-safe; only its SHA-256 is ever stored.

Shared by the app's invitation links and Connect's activation and reset links.
"""

from __future__ import annotations

import hashlib
import re
import secrets

_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # token_urlsafe(32) is 43 characters


def new_secret() -> tuple[str, str]:
    """A fresh (raw, digest) pair: mail the raw value, store the digest."""
    raw = secrets.token_urlsafe(32)
    return raw, digest(raw)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def well_formed(raw: str | None) -> bool:
    """Whether `raw` could be one of our secrets at all (cheap, before any lookup)."""
    return bool(_SHAPE.match(raw or ""))
