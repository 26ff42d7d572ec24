"""What the directory says of a journey beyond the person's row: its own names for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onboarding.db import Base, UTCDateTime
from onboarding.journeys.models import Journey


class ScimUser(Base):
    """The directory's view of one journey: its userName, externalId and addresses as sent.

    A journey without this row was made in the app; the directory sees it under the person's
    address. `removed_at` is set when the directory deletes the user: the journey is revoked
    and stays, with its history, but the directory no longer sees it.
    """

    __tablename__ = "scim_users"

    journey_id: Mapped[int] = mapped_column(
        ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True
    )
    user_name: Mapped[str] = mapped_column(String(320))
    external_id: Mapped[str | None] = mapped_column(String(255))
    emails: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    journey: Mapped[Journey] = relationship()


class ScimGroup(Base):
    """The directory's externalId of one of the organization's roles (its Group)."""

    __tablename__ = "scim_groups"

    role_id: Mapped[int] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    external_id: Mapped[str | None] = mapped_column(String(255))
