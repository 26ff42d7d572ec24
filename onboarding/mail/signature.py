"""DKIM signing (dkimpy): receivers check that a mail really comes from our domain."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import dkim

SIGNED_HEADERS = [
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"mime-version",
    b"content-type",
]


def dkim_sign(message: EmailMessage, key_file: Path, selector: str, domain: str) -> None:
    """Add a DKIM-Signature header to `message`, signed over its final SMTP form."""
    signature = dkim.sign(
        message.as_bytes(policy=SMTP),
        selector.encode(),
        domain.encode(),
        key_file.read_bytes(),
        # Relaxed canonicalisation survives header refolding by relays (and by our serializer).
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[h for h in SIGNED_HEADERS if message[h.decode()] is not None],
    )
    name, _, value = signature.decode().partition(":")
    message[name] = " ".join(value.split())
