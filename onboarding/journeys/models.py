"""The tables of journeys: the journey (one person's onboarding into one organization), its
roles, its history and its mailed link tokens. Rows only; the rules live in the use cases and the
machine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onboarding.clock import utcnow
from onboarding.db import Base, UTCDateTime
from onboarding.journeys.machine import JourneyState
from onboarding.link_secrets import MailedLink
from onboarding.people.models import NAME_LENGTH, Organization, Person, Role

STATE_TYPE = Enum(
    JourneyState,
    name="journey_state",
    native_enum=False,
    length=32,
    values_callable=lambda states: [s.value for s in states],
    validate_strings=True,
)


journey_roles = Table(
    "journey_roles",
    Base.metadata,
    Column("journey_id", ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)


class Journey(Base):
    """One person's onboarding into one organization; once accepted, their membership."""

    __tablename__ = "journeys"
    __table_args__ = (
        UniqueConstraint("person_id", "organization_id"),
        Index("ix_journeys_state_expires_at", "state", "expires_at"),
        # Covers the funnel's counts by state and furthest step: read from the index alone.
        Index(
            "ix_journeys_organization_id_state_furthest_state",
            "organization_id",
            "state",
            "furthest_state",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    state: Mapped[JourneyState] = mapped_column(STATE_TYPE, default=JourneyState.created)
    # The furthest step of the funnel it ever reached (see onboarding.journeys.steps).
    furthest_state: Mapped[JourneyState] = mapped_column(
        STATE_TYPE, default=JourneyState.created, server_default=JourneyState.created.value
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # The names this organization typed for the person. People are shared by address across
    # organizations; their names are not, so one organization never shows another's.
    first_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="", server_default="")
    last_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="", server_default="")
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    organization: Mapped[Organization] = relationship()
    invited_by: Mapped[Person | None] = relationship(foreign_keys=[invited_by_id])
    roles: Mapped[list[Role]] = relationship(secondary=journey_roles, order_by="Role.name")
    events: Mapped[list[JourneyEvent]] = relationship(
        back_populates="journey", order_by="JourneyEvent.id", passive_deletes=True
    )

    @property
    def full_name(self) -> str:
        """The person's name as this organization recorded it."""
        return f"{self.first_name} {self.last_name}".strip()

    # Optimistic concurrency: every UPDATE checks and bumps the version, so of two concurrent
    # changes to one journey exactly one commits and the other gets StaleDataError.
    __mapper_args__ = {"version_id_col": version}


class JourneyEvent(Base):
    """One row of a journey's history: who fired which trigger, when, from where to where."""

    __tablename__ = "journey_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(
        ForeignKey("journeys.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    trigger: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[JourneyState | None] = mapped_column(STATE_TYPE)
    to_state: Mapped[JourneyState] = mapped_column(STATE_TYPE)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    journey: Mapped[Journey] = relationship(back_populates="events")


class LinkToken(MailedLink, Base):
    """A mailed link's token; only its SHA-256 is stored. An invitation mail's link also has
    a short code for another device (see `join_codes`), stored only as its HMAC."""

    __tablename__ = "link_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(
        ForeignKey("journeys.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    journey: Mapped[Journey] = relationship()
