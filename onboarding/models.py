"""The tables: organizations and their roles, people, journeys with their history, link tokens
and the outbox. Rows only; the rules live in the use cases and the machine."""

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
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onboarding.clock import utcnow
from onboarding.db import Base, UTCDateTime
from onboarding.journey_machine import JourneyState

STATE_TYPE = Enum(
    JourneyState,
    name="journey_state",
    native_enum=False,
    length=16,
    values_callable=lambda states: [s.value for s in states],
    validate_strings=True,
)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    roles: Mapped[list[Role]] = relationship(back_populates="organization", order_by="Role.name")


class Role(Base):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))

    organization: Mapped[Organization] = relationship(back_populates="roles")


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalised (see onboarding.people.normalise_email), so unique is case-insensitive.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8), default="en")
    country: Mapped[str | None] = mapped_column(String(2))
    connect_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    is_superadmin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    journeys: Mapped[list[Journey]] = relationship(
        back_populates="person", foreign_keys="Journey.person_id"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


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
    # The furthest step of the funnel it ever reached (see onboarding.funnel_steps).
    furthest_state: Mapped[JourneyState] = mapped_column(
        STATE_TYPE, default=JourneyState.created, server_default=JourneyState.created.value
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship(back_populates="journeys", foreign_keys=[person_id])
    organization: Mapped[Organization] = relationship()
    invited_by: Mapped[Person | None] = relationship(foreign_keys=[invited_by_id])
    roles: Mapped[list[Role]] = relationship(secondary=journey_roles, order_by="Role.name")
    events: Mapped[list[JourneyEvent]] = relationship(
        back_populates="journey", order_by="JourneyEvent.id", passive_deletes=True
    )

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


class LinkToken(Base):
    """A mailed link's token; only its SHA-256 is stored."""

    __tablename__ = "link_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(32))
    journey_id: Mapped[int] = mapped_column(
        ForeignKey("journeys.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    journey: Mapped[Journey] = relationship()


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
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
