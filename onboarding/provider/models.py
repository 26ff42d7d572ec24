"""The table of identity events already received from the provider."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from onboarding.clock import utcnow
from onboarding.db import Base, UTCDateTime


class ReceivedIdentityEvent(Base):
    """An identity event already applied, by its id: the guard against duplicates."""

    __tablename__ = "received_identity_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    journey_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
