"""SMTP connections from SMTP_URL: smtp://[user:password@]host[:port], smtps:// for TLS."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import TypeVar
from urllib.parse import unquote, urlsplit

TIMEOUT_SECONDS = 30

# One address without display name, comment or white space: nothing in it can end a header
# or a command line, or add a recipient.
BARE_ADDRESS = re.compile(r"[^\s<>,;:\"()\[\]\\@]+@[^\s<>,;:\"()\[\]\\@]+\Z")
K = TypeVar("K")
# The server's answer "not this mail" (the connection stays usable for the next one).
Refusal = smtplib.SMTPSenderRefused | smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError
REFUSALS = (smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


@contextmanager
def smtp_connection(url: str) -> Iterator[smtplib.SMTP]:
    """One open SMTP connection, logged in and upgraded to TLS where the URL or server says."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    connection: smtplib.SMTP
    if parts.scheme == "smtps":
        connection = smtplib.SMTP_SSL(host, parts.port or 465, timeout=TIMEOUT_SECONDS)
    else:
        connection = smtplib.SMTP(host, parts.port or 25, timeout=TIMEOUT_SECONDS)
    try:
        connection.ehlo()
        if parts.scheme == "smtp" and connection.has_extn("starttls"):
            connection.starttls()
            connection.ehlo()
        if parts.username:
            connection.login(unquote(parts.username), unquote(parts.password or ""))
        yield connection
    finally:
        with suppress(smtplib.SMTPException, OSError):
            connection.quit()
        connection.close()


def send_all(
    connection: smtplib.SMTP, sender: str, mails: Iterable[tuple[K, str, bytes]]
) -> Iterator[tuple[K, Refusal | None]]:
    """Send `mails` (key, recipient, message) in order; yield each key with the server's
    refusal of that mail (None: accepted). A lost connection raises, as `sendmail` does: the
    mails without an answer yet have no outcome.

    Where the server offers PIPELINING (RFC 2920), a mail's content goes out in one write with
    the next mail's envelope (MAIL, RCPT, DATA): one round trip per mail. `mails` is read one
    ahead, so that the next mail is composed while the server takes the current one.
    """
    if not connection.has_extn("pipelining"):
        for key, recipient, message in mails:
            try:
                connection.sendmail(sender, [recipient], message)
            except REFUSALS as refusal:
                yield key, refusal
            else:
                yield key, None
        return
    mail_from = f"MAIL FROM:{smtplib.quoteaddr(sender)}\r\n"
    upcoming = iter(mails)
    current = next(upcoming, None)
    # The mail whose DATA was accepted: its content starts the next write.
    in_data: tuple[K, bytes] | None = None
    while current is not None or in_data is not None:
        write = _content(in_data[1]) if in_data is not None else b""
        if current is not None:
            write += f"{mail_from}RCPT TO:{_quoted(current[1])}\r\nDATA\r\n".encode()
        connection.send(write)
        following = next(upcoming, None)
        if in_data is not None:
            code, reply = connection.getreply()
            yield in_data[0], None if code == 250 else smtplib.SMTPDataError(code, reply)
            in_data = None
        if current is not None:
            envelope_refusal = _envelope_refusal(connection, sender, current[1])
            if envelope_refusal is None:
                in_data = (current[0], current[2])
            else:
                yield current[0], envelope_refusal
        current = following


def _envelope_refusal(connection: smtplib.SMTP, sender: str, recipient: str) -> Refusal | None:
    """Read the replies to a pipelined MAIL, RCPT and DATA; None when DATA may follow."""
    mail_reply, rcpt_reply, data_reply = (connection.getreply() for _ in range(3))
    envelope_ok = mail_reply[0] == 250 and rcpt_reply[0] in (250, 251)
    if data_reply[0] == 354 and not envelope_ok:
        # A server that took DATA despite a refused envelope gets an empty message to end it.
        connection.send(".\r\n")
        connection.getreply()
    refusal: Refusal | None = None
    if mail_reply[0] != 250:
        refusal = smtplib.SMTPSenderRefused(mail_reply[0], mail_reply[1], sender)
    elif rcpt_reply[0] not in (250, 251):
        refusal = smtplib.SMTPRecipientsRefused({recipient: rcpt_reply})
    elif data_reply[0] != 354:
        refusal = smtplib.SMTPDataError(*data_reply)
    if refusal is not None:
        connection.rset()
    return refusal


def _quoted(address: str) -> str:
    """`address` as a command argument: a bare one as is, anything else as smtplib quotes it."""
    # smtplib.quoteaddr parses the address with email.utils, slow enough to count per mail.
    return f"<{address}>" if BARE_ADDRESS.match(address) else smtplib.quoteaddr(address)


def _content(message: bytes) -> bytes:
    """`message` as DATA content: dot-stuffed, ending in CRLF "." CRLF."""
    # The same as re.sub(rb"(?m)^\.", b"..", message), several times faster.
    body = b"." + message if message.startswith(b".") else message
    body = body.replace(b"\n.", b"\n..")
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"
