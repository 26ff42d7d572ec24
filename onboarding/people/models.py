"""The tables of organizations, their roles and people."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onboarding.clock import utcnow
from onboarding.db import Base, UTCDateTime

# The longest first or last name kept (the width of the name columns).
NAME_LENGTH = 100


def full_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()


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
    # Stored normalised (onboarding.email_address), so unique is case-insensitive.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    last_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    language: Mapped[str] = mapped_column(String(8), default="en")
    country: Mapped[str | None] = mapped_column(String(2))
    # The IANA zone the person reads times in; None: their browser's.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    connect_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    is_superadmin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def full_name(self) -> str:
        return full_name(self.first_name, self.last_name)
