"""DKIM signing (dkimpy): receivers check that a mail really comes from our domain."""

from __future__ import annotations

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
    # RFC 8058: the one-click unsubscribe is honoured only when the signature covers it.
    b"list-unsubscribe",
    b"list-unsubscribe-post",
]


def dkim_sign(raw: bytes, key_file: Path, selector: str, domain: str) -> bytes:
    """`raw` with a DKIM-Signature header in front, signed over exactly these bytes."""
    signature = dkim.sign(
        raw,
        selector.encode(),
        domain.encode(),
        key_file.read_bytes(),
        # Relaxed canonicalisation survives header refolding by relays.
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[h for h in SIGNED_HEADERS if _has_header(raw, h)],
    )
    return signature + raw


def _has_header(raw: bytes, name: bytes) -> bool:
    head = raw.split(b"\r\n\r\n", 1)[0].lower()
    return head.startswith(name + b":") or b"\r\n" + name + b":" in head
