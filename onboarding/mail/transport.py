"""SMTP connections from SMTP_URL: smtp://[user:password@]host[:port], smtps:// for TLS."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import unquote, urlsplit

TIMEOUT_SECONDS = 30
_LEADING_DOT = re.compile(rb"(?m)^\.")  # SMTP's dot-stuffing (RFC 5321 4.5.2)


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


def send(connection: smtplib.SMTP, sender: str, recipient: str, message: bytes) -> None:
    """Send one mail to one recipient; raises smtplib's exceptions, as `sendmail` does.

    Where the server offers PIPELINING (RFC 2920) the envelope (MAIL, RCPT, DATA) goes out in
    one write and costs one round trip instead of three.
    """
    if not connection.has_extn("pipelining"):
        connection.sendmail(sender, [recipient], message)
        return
    connection.send(
        f"MAIL FROM:{smtplib.quoteaddr(sender)}\r\n"
        f"RCPT TO:{smtplib.quoteaddr(recipient)}\r\n"
        "DATA\r\n"
    )
    mail_reply, rcpt_reply, data_reply = (connection.getreply() for _ in range(3))
    envelope_ok = mail_reply[0] == 250 and rcpt_reply[0] in (250, 251)
    if data_reply[0] == 354 and not envelope_ok:
        # A server that took DATA despite a refused envelope gets an empty message to end it.
        connection.send(".\r\n")
        connection.getreply()
    if mail_reply[0] != 250:
        connection.rset()
        raise smtplib.SMTPSenderRefused(mail_reply[0], mail_reply[1], sender)
    if rcpt_reply[0] not in (250, 251):
        connection.rset()
        raise smtplib.SMTPRecipientsRefused({recipient: rcpt_reply})
    if data_reply[0] != 354:
        connection.rset()
        raise smtplib.SMTPDataError(*data_reply)
    body = _LEADING_DOT.sub(b"..", message)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    connection.send(body + b".\r\n")
    code, reply = connection.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)
