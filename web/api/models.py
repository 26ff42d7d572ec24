"""The API's request bodies and answers as typed models: each answer is built from the domain's
result by its `of`, serialized by pydantic and described in the OpenAPI document from here."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from onboarding.audit.models import AuditEntry as AuditRecord
from onboarding.dashboard import actions
from onboarding.dashboard.actions import Surface, available
from onboarding.dashboard.bulk_invite import Report
from onboarding.dashboard.diagnosis import Finding as FindingResult
from onboarding.dashboard.funnel import Funnel as FunnelResult
from onboarding.dashboard.journey_table import Page, Row
from onboarding.dashboard.timeline import Entry
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey as JourneyRecord

ActionName = Literal[tuple(a.name for a in actions.offered_on(Surface.api))]  # type: ignore[valid-type]


class ErrorDetail(BaseModel):
    code: str
    message: str


class Error(BaseModel):
    """Every refusal: `{"error": {"code", "message"}}`."""

    error: ErrorDetail


class ExtendBody(BaseModel):
    days: int = Field(actions.DEFAULT_EXTENSION_DAYS, strict=True, ge=1, le=90)


class Step(BaseModel):
    state: JourneyState
    reached: int
    now: int
    conversion: float | None
    median_seconds: float | None


class Funnel(BaseModel):
    """Per step: reached, in it now, conversion, median time in step."""

    steps: list[Step]
    exits: dict[str, int]
    median_sample: int = Field(
        description="How many journeys the medians were drawn from (every n-th beyond 2,000)."
    )

    @classmethod
    def of(cls, result: FunnelResult) -> Funnel:
        return cls(
            steps=[
                Step(
                    state=step.state,
                    reached=step.reached,
                    now=step.now,
                    conversion=step.conversion,
                    median_seconds=step.median_seconds,
                )
                for step in result.steps
            ],
            exits={state.value: n for state, n in result.exits.items()},
            median_sample=result.median_sample,
        )


class LastMail(BaseModel):
    template: str
    status: str
    queued_at: datetime
    sent_at: datetime | None
    last_error: str | None


class JourneyRow(BaseModel):
    id: int
    name: str
    email: str
    organization: str
    roles: list[str]
    state: JourneyState
    state_entered_at: datetime
    seconds_in_state: int
    expires_at: datetime | None
    seconds_to_expiry: int | None
    last_mail: LastMail | None
    nudges: int

    @classmethod
    def of(cls, row: Row, now: datetime) -> JourneyRow:
        mail, expires_in = row.last_mail, row.expires_in(now)
        return cls(
            id=row.id,
            name=row.name,
            email=row.email,
            organization=row.organization,
            roles=row.roles,
            state=row.state,
            state_entered_at=row.state_entered_at,
            seconds_in_state=int(row.time_in_state(now).total_seconds()),
            expires_at=row.expires_at,
            seconds_to_expiry=None if expires_in is None else int(expires_in.total_seconds()),
            last_mail=None
            if mail is None
            else LastMail(
                template=mail.template,
                status=mail.status,
                queued_at=mail.queued_at,
                sent_at=mail.sent_at,
                last_error=mail.last_error,
            ),
            nudges=row.nudges,
        )


class JourneyPage(BaseModel):
    journeys: list[JourneyRow]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page, now: datetime) -> JourneyPage:
        return cls(
            journeys=[JourneyRow.of(row, now) for row in page.rows], next_cursor=page.next_cursor
        )


class Finding(BaseModel):
    code: str = Field(description="What the diagnosis found, e.g. link_never_opened.")
    message: str
    action: str


class TimelineEntry(BaseModel):
    at: datetime
    kind: Literal["event", "mail"]
    what: str
    actor: str
    detail: dict[str, Any]


class Journey(BaseModel):
    """A journey with its diagnosis and timeline."""

    id: int
    name: str
    email: str
    organization: str
    roles: list[str]
    state: JourneyState
    state_entered_at: datetime
    invited_at: datetime | None
    expires_at: datetime | None
    diagnosis: list[Finding]
    timeline: list[TimelineEntry]
    actions: list[ActionName] = Field(
        description="The actions this journey's state allows now, each a POST to "
        "/api/journeys/{journey_id}/<action>."
    )

    @classmethod
    def of(
        cls, journey: JourneyRecord, findings: list[FindingResult], entries: list[Entry]
    ) -> Journey:
        return cls(
            id=journey.id,
            name=journey.full_name,
            email=journey.person.email,
            organization=journey.organization.name,
            roles=[role.name for role in journey.roles],
            state=journey.state,
            state_entered_at=journey.state_entered_at,
            invited_at=journey.invited_at,
            expires_at=journey.expires_at,
            diagnosis=[Finding(code=f.code, message=f.message, action=f.action) for f in findings],
            timeline=[
                TimelineEntry(at=e.at, kind=e.kind, what=e.what, actor=e.actor, detail=e.detail)
                for e in entries
            ],
            actions=[action.name for action in available(journey, Surface.api)],
        )


class BulkRow(BaseModel):
    row: int = Field(description="Row in the file; the header is row 1.")
    email: str
    accepted: bool
    reason: str | None = Field(description="Why the row is refused.")


class BulkReport(BaseModel):
    dry_run: bool
    accepted: int
    refused: int
    rows: list[BulkRow]

    @classmethod
    def of(cls, report: Report) -> BulkReport:
        return cls(
            dry_run=report.dry_run,
            accepted=len(report.accepted),
            refused=len(report.refused),
            rows=[
                BulkRow(row=r.row, email=r.email, accepted=r.accepted, reason=r.refused)
                for r in report.rows
            ],
        )


class DryRun(BaseModel):
    dry_run: bool = Field(False, description="Only report what would happen; write nothing.")


class ErasureRequest(BaseModel):
    email: str = Field(max_length=254, strict=True)


class Erasure(BaseModel):
    """The erased person and the pseudonym that now stands for their address."""

    person_id: int
    email: str


class AuditEntry(BaseModel):
    """Who did what, to whom, when and from which address."""

    id: int
    at: datetime
    organization_id: int
    actor: str
    action: str
    subject: str
    address: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next_before: int | None = Field(description="Pass as before for the next page.")

    @classmethod
    def of(cls, found: list[AuditRecord], page_size: int) -> AuditPage:
        return cls(
            entries=[AuditEntry.model_validate(entry, from_attributes=True) for entry in found],
            next_before=found[-1].id if len(found) == page_size else None,
        )
