"""The audit log's table: one row per admin or directory action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from onboarding.clock import utcnow
from onboarding.db import Base, UTCDateTime


class AuditEntry(Base):
    """Who (`actor`) did what (`action`) to whom or what (`subject`), when, from where."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_organization_id_at", "organization_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(2000))
    # The client address of the request; None for what no request caused (the command line).
    address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
