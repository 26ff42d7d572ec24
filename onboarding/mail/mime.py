"""The wire form of a two-part mail (text + HTML), written directly.

`email.message.EmailMessage` costs milliseconds per mail to build and serialise; this writes
the same MIME structure in a fraction of that, which is what lets one worker send hundreds
of mails a second. Values must already be safe header values (see compose.py).
"""

from __future__ import annotations

import binascii
import random
from collections.abc import Sequence
from email.header import Header

CRLF = "\r\n"
# RFC 5322 2.1.1: a line of a message MUST NOT be longer than 998 characters (without CRLF).
LONGEST_LINE = 998
BOUNDARY_START = "--=_"


def text_header(value: str) -> str:
    """A free-text header value (Subject): plain ASCII as is, anything else RFC 2047-encoded."""
    if value.isascii():
        return value
    return Header(value, "utf-8").encode(linesep=CRLF)


def two_part(headers: Sequence[tuple[str, str]], text: str, html: str) -> bytes:
    """A multipart/alternative message with `headers`, `text` and `html`."""
    # A line that starts with "--=_" occurs neither in quoted-printable output ("=" is written
    # "=3D") nor in content sent as it is (see _seven_bit): the boundary cannot collide, so it
    # needs no secret randomness (and is spared a system call per mail).
    boundary = f"=_{random.getrandbits(96):024x}"
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
    text = content.replace("\r\n", "\n")
    lines = text.split("\n")
    if _seven_bit(text, lines):
        # Plain ASCII in short lines goes as it is (RFC 2045's default), as email.message
        # writes it too: nothing to encode, and the raw mail stays readable.
        encoding, body = "7bit", CRLF.join(lines).encode()
    else:
        encoding, body = "quoted-printable", binascii.b2a_qp(CRLF.join(lines).encode())
    return (
        (
            f"--{boundary}{CRLF}"
            f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
            f"Content-Transfer-Encoding: {encoding}{CRLF}{CRLF}"
        ).encode()
        + body
        + CRLF.encode()
    )


def _seven_bit(text: str, lines: list[str]) -> bool:
    """Whether `text` (split into `lines`) may go unencoded: ASCII without NUL or a bare CR,
    no line too long, and none that could be taken for a boundary."""
    return (
        text.isascii()
        and "\r" not in text
        and "\0" not in text
        and max(map(len, lines)) <= LONGEST_LINE
        and not text.startswith(BOUNDARY_START)
        and f"\n{BOUNDARY_START}" not in text
    )
