"""Which journeys a dashboard query looks at: organization scope and the admin's filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, exists, select

from onboarding.journeys.models import Journey, journey_roles
from onboarding.people.models import Person, Role


@dataclass(frozen=True)
class JourneyFilter:
    """`organization_ids` None means every organization (a superadmin without filter)."""

    organization_ids: frozenset[int] | None = None
    role: str | None = None
    language: str | None = None
    invited_from: date | None = None
    invited_to: date | None = None  # inclusive

    def conditions(self) -> list[ColumnElement[bool]]:
        """WHERE conditions on `Journey`; the language condition needs `Person` joined."""
        where: list[ColumnElement[bool]] = []
        if self.organization_ids is not None:
            where.append(Journey.organization_id.in_(sorted(self.organization_ids)))
        if self.role:
            where.append(
                exists(
                    select(journey_roles.c.journey_id)
                    .join(Role, Role.id == journey_roles.c.role_id)
                    .where(journey_roles.c.journey_id == Journey.id, Role.name == self.role)
                )
            )
        if self.language:
            where.append(Person.language == self.language)
        if self.invited_from:
            where.append(Journey.invited_at >= _midnight(self.invited_from))
        # The last day a date can name has no next day to stop before: nothing comes after it.
        if self.invited_to and self.invited_to < date.max:
            where.append(Journey.invited_at < _midnight(self.invited_to + timedelta(days=1)))
        return where

    @property
    def needs_person(self) -> bool:
        return bool(self.language)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
