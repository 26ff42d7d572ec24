"""The wire form of a two-part mail (text + HTML, quoted-printable), written directly.

`email.message.EmailMessage` costs milliseconds per mail to build and serialise; this writes
the same MIME structure in a fraction of that, which is what lets one worker send hundreds
of mails a second. Values must already be safe header values (see compose.py).
"""

from __future__ import annotations

import binascii
import secrets
from collections.abc import Sequence
from email.header import Header

CRLF = "\r\n"


def text_header(value: str) -> str:
    """A free-text header value (Subject): plain ASCII as is, anything else RFC 2047-encoded."""
    if value.isascii():
        return value
    return Header(value, "utf-8").encode(linesep=CRLF)


def two_part(headers: Sequence[tuple[str, str]], text: str, html: str) -> bytes:
    """A multipart/alternative message with `headers`, `text` and `html`."""
    # "=_" never occurs in quoted-printable output ("=" is written "=3D"), so the boundary
    # cannot collide with the content.
    boundary = f"=_{secrets.token_hex(12)}"
    head = "".join(f"{name}: {value}{CRLF}" for name, value in headers)
    head += (
        f"MIME-Version: 1.0{CRLF}"
        f'Content-Type: multipart/alternative; boundary="{boundary}"{CRLF}{CRLF}'
    )
    return b"".join(
        [
            head.encode(),
            _part(boundary, "plain", text),
            _part(boundary, "html", html),
            f"--{boundary}--{CRLF}".encode(),
        ]
    )


def _part(boundary: str, subtype: str, content: str) -> bytes:
    body = binascii.b2a_qp(content.replace("\r\n", "\n").replace("\n", CRLF).encode())
    return (
        (
            f"--{boundary}{CRLF}"
            f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
            f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
        ).encode()
        + body
        + CRLF.encode()
    )
