"""The dashboard's query arguments as typed models, for its pages and the API alike: validated
by pydantic, described in the API's OpenAPI document, turned into the domain's queries."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Literal, TypeVar

import pydantic
from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from onboarding.audit import log as audit_log
from onboarding.audit.log import AuditFilter
from onboarding.dashboard.filters import JourneyFilter
from onboarding.dashboard.journey_table import (
    DEFAULT_SORT,
    MAX_PAGE_SIZE,
    MAX_STUCK_DAYS,
    PAGE_SIZE,
    SORTS,
    TableQuery,
)
from onboarding.i18n import LANGUAGES
from onboarding.journeys.machine import JourneyState
from onboarding.people.access import MAX_ID
from onboarding.typed_text import CONTROL_CHARACTERS
from web.errors import refusal

Model = TypeVar("Model", bound=BaseModel)


def _blank_is_none(value: object) -> object:
    """A form's empty field means the argument was not given."""
    return None if isinstance(value, str) and not value.strip() else value


BlankIsNone = BeforeValidator(_blank_is_none)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
StuckDays = Annotated[int, Field(ge=0, le=MAX_STUCK_DAYS)]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]


def plain_text(max_length: int) -> StringConstraints:
    """Free text that can be stored and matched: no control character (see
    `onboarding.typed_text`), at most `max_length` characters."""
    return StringConstraints(
        strip_whitespace=True,
        max_length=max_length,
        pattern=f"^[^{CONTROL_CHARACTERS}]*$",
    )


Language = enum.Enum("Language", {code: code for code in LANGUAGES}, type=str)  # type: ignore[misc]
Sort = Literal[tuple(SORTS)]  # type: ignore[valid-type]


def within(organization: int | None, allowed: frozenset[int] | None) -> frozenset[int] | None:
    """The organizations asked for (one, or all when None) within `allowed` (None: all); one
    outside `allowed` selects nothing rather than saying it exists."""
    if organization is None:
        return allowed
    asked = frozenset({organization})
    return asked & allowed if allowed is not None else asked


class JourneyFilterArgs(BaseModel):
    """Which journeys to count or list."""

    organization: Annotated[Id | None, BlankIsNone] = Field(
        None, description="Only this organization's journeys (within the caller's)."
    )
    role: Annotated[Annotated[str, plain_text(200)] | None, BlankIsNone] = Field(
        None, description="Only journeys with this role."
    )
    language: Annotated[Language | None, BlankIsNone] = Field(
        None, description="Only people with this language."
    )
    invited_from: Annotated[date | None, BlankIsNone] = Field(
        None, description="Invited on or after this day (UTC)."
    )
    invited_to: Annotated[date | None, BlankIsNone] = Field(
        None, description="Invited on or before this day (UTC)."
    )

    def journey_filter(self, allowed: frozenset[int] | None) -> JourneyFilter:
        """The filter within the organizations the caller may see (None: all).

        An organization outside `allowed` selects nothing rather than saying it exists.
        """
        return JourneyFilter(
            organization_ids=within(self.organization, allowed),
            role=self.role or None,
            language=self.language.value if self.language else None,
            invited_from=self.invited_from,
            invited_to=self.invited_to,
        )


class JourneyTableArgs(JourneyFilterArgs):
    """One page of the journey table (keyset pagination: pass next_cursor as after)."""

    state: Annotated[JourneyState | None, BlankIsNone] = None
    stuck_days: Annotated[StuckDays | None, BlankIsNone] = Field(
        None, description="Live and in the same state for more than this many days."
    )
    sort: Annotated[Sort, BeforeValidator(lambda v: _blank_is_none(v) or DEFAULT_SORT)] = (
        DEFAULT_SORT
    )
    after: Annotated[Annotated[str, plain_text(1000)] | None, BlankIsNone] = Field(
        None, description="The next_cursor of the previous page."
    )
    limit: Annotated[PageSize | None, BlankIsNone] = None

    def table_query(self, allowed: frozenset[int] | None) -> TableQuery:
        return TableQuery(
            filters=self.journey_filter(allowed),
            state=self.state,
            stuck_days=self.stuck_days,
            sort=self.sort,
            after=self.after,
            limit=PAGE_SIZE if self.limit is None else self.limit,
        )


class AuditArgs(BaseModel):
    """Which audit-log entries to show, newest first (pass next_before as before for more)."""

    organization: Annotated[Id | None, BlankIsNone] = Field(
        None, description="Only this organization's entries (within the caller's)."
    )
    actor: Annotated[Annotated[str, plain_text(320)] | None, BlankIsNone] = Field(
        None,
        description="Who: entries whose actor contains this text (an admin's address, "
        "`api:<token>`, `directory:<token>`).",
    )
    action: Annotated[Annotated[str, plain_text(64)] | None, BlankIsNone] = Field(
        None,
        description="What: exactly this action, such as `journey.revoke`, `scim.user.create`, "
        "`webhook.register`.",
    )
    subject: Annotated[Annotated[str, plain_text(320)] | None, BlankIsNone] = Field(
        None, description="To whom: entries whose subject contains this text."
    )
    address: Annotated[Annotated[str, plain_text(64)] | None, BlankIsNone] = Field(
        None, description="From where: entries whose client address contains this text."
    )
    since: Annotated[date | None, BlankIsNone] = Field(
        None, description="On or after this day (UTC)."
    )
    until: Annotated[date | None, BlankIsNone] = Field(
        None, description="On or before this day (UTC)."
    )
    before: Annotated[Id | None, BlankIsNone] = Field(
        None, description="Entries older than this id: the next_before of the previous page."
    )
    limit: Annotated[
        Annotated[int, Field(ge=1, le=audit_log.MAX_PAGE_SIZE)] | None, BlankIsNone
    ] = None

    def audit_filter(self, allowed: frozenset[int] | None) -> AuditFilter:
        return AuditFilter(
            organization_ids=within(self.organization, allowed),
            actor=self.actor or None,
            action=self.action or None,
            subject=self.subject or None,
            address=self.address or None,
            since=self.since,
            until=self.until,
        )

    @property
    def page_size(self) -> int:
        return audit_log.PAGE_SIZE if self.limit is None else self.limit


def parsed(model: type[Model], args: Mapping[str, str]) -> Model:
    """`args` (a page's query string) as `model`; a ValidationError naming the argument if not."""
    # Asked for by name, each argument the model knows (the first value of a repeated one).
    given = {name: args[name] for name in model.model_fields if name in args}
    try:
        return model.model_validate(given)
    except pydantic.ValidationError as error:
        raise refusal(error) from None
