"""The endpoints an organization's systems receive its events at."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onboarding.clock import utcnow
from onboarding.db import Base, UTCDateTime
from onboarding.people.models import Organization


class WebhookEndpoint(Base):
    """A URL of an organization's system, the events it takes, and the secrets that sign them.

    The secret is kept as it is (a signature needs it) and shown once, when made. After a
    rotation the previous secret signs too, until `previous_secret_until`.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a message sent at `now` is signed with: the current one, and the
        previous one while its overlap lasts."""
        overlapping = self.previous_secret_until is not None and now < self.previous_secret_until
        return [
            self.secret,
            *([self.previous_secret] if overlapping and self.previous_secret else []),
        ]
