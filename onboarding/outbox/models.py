"""The outbox table: a message to send after commit, written in the changing transaction."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onboarding.clock import utcnow
from onboarding.db import Base, UTCDateTime


class OutboxStatus(StrEnum):
    """Where a message stands: waiting (first try or retry), delivered, or given up on."""

    pending = "pending"
    sent = "sent"
    dead = "dead"  # out of attempts, or refused for good
    bounced = "bounced"  # accepted by the mail server, then reported undeliverable


class OutboxMessage(Base):
    """A message to send after commit (a mail, a webhook); written in the changing transaction."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    journey_id: Mapped[int | None] = mapped_column(
        ForeignKey("journeys.id", ondelete="CASCADE"), index=True
    )
    # An organization's webhook endpoint this message is for (its delivery log); named, not
    # imported, so that Connect, which shares the outbox, loads nothing of organizations.
    webhook_endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The HTTP status of the last answer to a webhook.
    response_code: Mapped[int | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The request (or the task it kicked) that wrote the row, as in the logs (onboarding.logs).
    request_id: Mapped[str | None] = mapped_column(String(64))
