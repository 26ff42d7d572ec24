"""The development inbox: every mail the local SMTP sink received, as .eml files under
``<var_dir>/mail``, so that a person can read and click the mails of a journey in a browser."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import cast

from onboarding.settings import Settings

_ID = re.compile(r"^[0-9]{19}-[0-9a-f]{8}$")


@dataclass(frozen=True)
class ReceivedMail:
    id: str
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def to(self) -> str:
        return str(self.message["To"] or "")

    @property
    def sent_at(self) -> datetime | None:
        """The moment of its Date header; None without one that can be read."""
        try:
            return parsedate_to_datetime(str(self.message["Date"] or ""))
        except (TypeError, ValueError):
            return None

    def part(self, subtype: str) -> str | None:
        body = self.message.get_body((subtype,))
        return None if body is None else cast(EmailMessage, body).get_content()


def folder(settings: Settings) -> Path:
    return settings.var_dir / "mail"


def store(raw: bytes, settings: Settings) -> str:
    """Keep one received mail; returns its id (sortable by arrival)."""
    mail_id = f"{time.time_ns():019d}-{uuid.uuid4().hex[:8]}"
    target = folder(settings)
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f".{mail_id}.tmp"
    partial.write_bytes(raw)
    partial.rename(target / f"{mail_id}.eml")  # readers never see half a mail
    return mail_id


def newest(settings: Settings, limit: int = 200) -> list[ReceivedMail]:
    """The latest mails, newest first."""
    paths = sorted(folder(settings).glob("*.eml"), reverse=True)[:limit]
    return [_read(path) for path in paths]


def find(mail_id: str, settings: Settings) -> ReceivedMail | None:
    if not _ID.match(mail_id):
        return None
    path = folder(settings) / f"{mail_id}.eml"
    return _read(path) if path.is_file() else None


def _read(path: Path) -> ReceivedMail:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    return ReceivedMail(path.stem, cast(EmailMessage, message))
