"""Tables and indexes of the dashboard: API and SCIM tokens, indexes its read queries rely on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onboarding.clock import utcnow
from onboarding.db import Base, UTCDateTime
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.people.models import Organization, Role

# The journey table's default order (longest in its state first) and its keyset.
Index("ix_journeys_state_entered_at_id", Journey.state_entered_at, Journey.id)
# A journey's history in order with what the funnel's medians read, without the table rows.
Index(
    "ix_journey_events_journey_steps",
    JourneyEvent.journey_id,
    JourneyEvent.id,
    JourneyEvent.from_state,
    JourneyEvent.to_state,
    JourneyEvent.at,
)
# Events by kind: nudges per journey, the metrics by trigger.
Index(
    "ix_journey_events_trigger",
    JourneyEvent.trigger,
    JourneyEvent.journey_id,
    JourneyEvent.from_state,
)


class ApiToken(Base):
    """A bearer token for the JSON API or the SCIM service (its purpose), bound to one
    organization; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(8), default="api", server_default="api")
    # SCIM: the role of everyone the directory provisions before its groups give them others.
    default_role_id: Mapped[int | None] = mapped_column(ForeignKey("roles.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship()
    default_role: Mapped[Role | None] = relationship()
