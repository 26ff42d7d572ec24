"""SMTP connections from SMTP_URL: smtp://[user:password@]host[:port], smtps:// for TLS."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import unquote, urlsplit

TIMEOUT_SECONDS = 30


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
