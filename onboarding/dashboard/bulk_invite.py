"""Bulk invitation from CSV: a dry run that reports per row what will happen or why the row
is refused, and the real run that invites every accepted row in one transaction.

The real run is set-based: a handful of multi-row INSERTs (people, journeys, roles, their
"create" history rows), then the "invite" transition and its mails for the whole set through
`onboarding.journeys.transitions`, not one use-case call per row. Each journey ends with the rows
that `people.create_person` + `journeys.invite` would write.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from onboarding import audit
from onboarding.clock import utcnow
from onboarding.db import settings_of
from onboarding.errors import ValidationError
from onboarding.i18n import DEFAULT_LANGUAGE, LANGUAGES
from onboarding.journeys import transitions
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent, journey_roles
from onboarding.people.directory import normalise_email
from onboarding.people.models import NAME_LENGTH, Organization, Person

COLUMNS = ("first_name", "last_name", "email", "language", "roles")
MAX_ROWS = 50_000
# The largest CSV file one import takes (the dashboard's upload and the API's body alike).
MAX_FILE_BYTES = 5 * 1024 * 1024
_ROLE_SEPARATORS = re.compile(r"[;,|]")
_CHUNK = 5_000  # stays under SQLite's limit on bound parameters
T = TypeVar("T")


@dataclass(frozen=True)
class Refusal:
    """Why a row is refused: a catalog message and the values of its %(name)s fields."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        values = {
            name: value.value if isinstance(value, enum.Enum) else value
            for name, value in self.params.items()
        }
        return self.message % values if values else self.message


@dataclass(frozen=True)
class RowResult:
    row: int  # the row in the file, the header being row 1 (as a spreadsheet shows it)
    email: str
    reason: Refusal | None = None  # why the row is refused; None: it will be (was) invited
    roles: list[str] = field(default_factory=list)
    first_name: str = ""
    last_name: str = ""
    language: str = DEFAULT_LANGUAGE

    @property
    def accepted(self) -> bool:
        return self.reason is None

    @property
    def refused(self) -> str | None:
        """Why the row is refused, in English."""
        return str(self.reason) if self.reason else None


@dataclass(frozen=True)
class Report:
    organization: str
    dry_run: bool
    rows: list[RowResult]

    @property
    def accepted(self) -> list[RowResult]:
        return [r for r in self.rows if r.accepted]

    @property
    def refused(self) -> list[RowResult]:
        return [r for r in self.rows if not r.accepted]


def csv_text(raw: bytes, field: str) -> str:
    """`raw` as the text of a CSV file: UTF-8, a byte order mark allowed; refused on `field`
    when larger than MAX_FILE_BYTES or not UTF-8."""
    if len(raw) > MAX_FILE_BYTES:
        raise ValidationError(
            "The file is larger than %(megabytes)d MB; split it.",
            field,
            {"megabytes": MAX_FILE_BYTES // 2**20},
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file must be UTF-8 text (CSV).", field) from None


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """(row number, values) of each data row; ValidationError if the file is not our CSV."""
    if "\x00" in text:
        raise ValidationError(
            "The file holds NUL bytes: save it as CSV text, not a workbook.", "file"
        )
    try:
        records = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    except csv.Error as error:
        raise ValidationError(
            "The file is not valid CSV: %(error)s.", "file", {"error": str(error)}
        ) from None
    header = [h.strip().lower().replace(" ", "_") for h in (records[0] if records else [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ValidationError(
            "The first row must name the columns %(columns)s; missing: %(missing)s.",
            "file",
            {"columns": COLUMNS, "missing": missing},
        )
    if len(records) > MAX_ROWS + 1:
        raise ValidationError("At most %(most)d rows per file.", "file", {"most": MAX_ROWS})
    return [
        (
            number,
            {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)},
        )
        for number, values in enumerate(records[1:], start=2)
        if any(v.strip() for v in values)
    ]


def check(session: Session, organization: Organization, text: str) -> list[RowResult]:
    """What each row of `text` would do for `organization`; changes nothing."""
    role_names = {role.name for role in organization.roles}
    results: list[RowResult] = []
    first_row_of: dict[str, int] = {}
    for number, values in read_rows(text):
        email = values["email"]
        refused: Refusal | None = None
        roles = sorted({r.strip() for r in _ROLE_SEPARATORS.split(values["roles"]) if r.strip()})
        language = values["language"].lower() or DEFAULT_LANGUAGE
        try:
            email = normalise_email(values["email"])
        except ValidationError as error:
            refused = Refusal("bad email: %(error)s", {"error": str(error)})
        if refused is None:
            if email in first_row_of:
                refused = Refusal(
                    "duplicate: %(email)s is already on row %(row)d",
                    {"email": email, "row": first_row_of[email]},
                )
            else:
                first_row_of[email] = number
        if refused is None and not values["first_name"]:
            refused = Refusal("no first name")
        longest = max(len(values["first_name"]), len(values["last_name"]))
        if refused is None and longest > NAME_LENGTH:
            refused = Refusal("a name longer than %(limit)d characters", {"limit": NAME_LENGTH})
        if refused is None and language not in LANGUAGES:
            refused = Refusal(
                "unknown language '%(language)s' (use %(languages)s)",
                {"language": language, "languages": ", ".join(LANGUAGES)},
            )
        if refused is None and not roles:
            refused = Refusal("no role: give at least one role")
        unknown = [r for r in roles if r not in role_names]
        if refused is None and unknown:
            refused = Refusal(
                "unknown role %(unknown)s (roles: %(roles)s)",
                {
                    "unknown": ", ".join(repr(r) for r in unknown),
                    "roles": ", ".join(sorted(role_names)),
                },
            )
        results.append(
            RowResult(
                number, email, refused, roles, values["first_name"], values["last_name"], language
            )
        )
    return _refuse_existing(session, organization, results)


def _refuse_existing(
    session: Session, organization: Organization, results: list[RowResult]
) -> list[RowResult]:
    emails = [r.email for r in results if r.accepted]
    existing: dict[str, JourneyState] = {}
    for chunk in _chunks(emails):
        query = (
            select(Person.email, Journey.state)
            .join(Journey, Journey.person_id == Person.id)
            .where(Person.email.in_(chunk), Journey.organization_id == organization.id)
        )
        existing.update(dict(session.execute(query).all()))
    return [
        RowResult(
            r.row,
            r.email,
            Refusal(
                "duplicate: %(email)s is already in %(organization)s (%(state)s)",
                {"email": r.email, "organization": organization.name, "state": existing[r.email]},
            ),
            r.roles,
            r.first_name,
            r.last_name,
            r.language,
        )
        if r.accepted and r.email in existing
        else r
        for r in results
    ]


def bulk_invite(
    session: Session,
    organization: Organization,
    text: str,
    *,
    dry_run: bool,
    actor: str,
    invited_by: Person | None = None,
    now: datetime | None = None,
) -> Report:
    """Check every row; unless `dry_run`, invite the accepted rows in the caller's transaction.

    Refused rows are reported and nothing is written for them.
    """
    results = check(session, organization, text)
    report = Report(organization.name, dry_run, results)
    if not dry_run and report.accepted:
        now = now or utcnow()
        _invite_all(session, organization, report.accepted, actor, invited_by, now)
        audit.record(
            session,
            organization_id=organization.id,
            actor=actor,
            action="journey.bulk_invite",
            subject=f"{len(report.accepted)} people",
            detail={"emails": [row.email for row in report.accepted]},
            now=now,
        )
    return report


def _invite_all(
    session: Session,
    organization: Organization,
    rows: list[RowResult],
    actor: str,
    invited_by: Person | None,
    now: datetime,
) -> None:
    person_ids = _people(session, rows, now)
    journey_ids = _insert_returning(
        session,
        Journey,
        [
            {
                "person_id": person_ids[r.email],
                "organization_id": organization.id,
                "first_name": r.first_name,
                "last_name": r.last_name,
                "state": JourneyState.created,
                "furthest_state": JourneyState.created,
                "version": 1,
                "invited_by_id": invited_by.id if invited_by else None,
                "state_entered_at": now,
                "created_at": now,
            }
            for r in rows
        ],
    )
    role_ids = {role.name: role.id for role in organization.roles}
    _insert(
        session,
        journey_roles,
        [
            {"journey_id": j, "role_id": role_ids[name]}
            for j, r in zip(journey_ids, rows, strict=True)
            for name in r.roles
        ],
    )
    _insert(
        session,
        JourneyEvent,
        [
            {
                "journey_id": j,
                "at": now,
                "actor": actor,
                "trigger": "create",
                "from_state": None,
                "to_state": JourneyState.created,
                "detail": {"roles": r.roles},
            }
            for j, r in zip(journey_ids, rows, strict=True)
        ],
    )
    window = transitions.invitation_window(settings_of(session), now)
    invite_events: dict[int, int] = {}
    for chunk in _chunks(journey_ids):
        invite_events |= transitions.apply_to_set(
            session,
            "invite",
            Journey.id.in_(chunk),
            actor=actor,
            now=now,
            detail={"bulk": True},
            changes=window,
        )
    inviter = invited_by.full_name if invited_by else None
    transitions.mail_invitations(
        session,
        [
            transitions.InvitationMail(
                journey_id=j,
                event_id=invite_events[j],
                trigger="invite",
                to=r.email,
                language=r.language,
                first_name=r.first_name,
                organization=organization.name,
                roles=r.roles,
                invited_by=inviter,
                expires_at=window["expires_at"],
            )
            for j, r in zip(journey_ids, rows, strict=True)
        ],
        now,
    )


def _people(session: Session, rows: list[RowResult], now: datetime) -> dict[str, int]:
    """The person id of every row's email, inserting the people that do not exist yet."""
    ids: dict[str, int] = {}
    for chunk in _chunks([r.email for r in rows]):
        ids.update(
            session.execute(select(Person.email, Person.id).where(Person.email.in_(chunk))).all()
        )
    new = [r for r in rows if r.email not in ids]
    new_ids = _insert_returning(
        session,
        Person,
        [
            {
                "email": r.email,
                "first_name": r.first_name,
                "last_name": r.last_name,
                "language": r.language,
                "is_superadmin": False,
                "created_at": now,
            }
            for r in new
        ],
    )
    ids.update(zip((r.email for r in new), new_ids, strict=True))
    return ids


def _insert(session: Session, target: Any, values: list[dict[str, Any]]) -> None:
    for chunk in _chunks(values):
        session.execute(insert(target), chunk)


def _insert_returning(session: Session, model: Any, values: list[dict[str, Any]]) -> list[int]:
    """Insert many rows; their new ids in the order of `values`."""
    ids: list[int] = []
    for chunk in _chunks(values):
        statement = insert(model).returning(model.id, sort_by_parameter_order=True)
        ids.extend(session.scalars(statement, chunk))
    return ids


def _chunks(items: list[T], size: int = _CHUNK) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
