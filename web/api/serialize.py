"""Domain results as the API's JSON objects (the shapes named in openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from onboarding.dashboard.actions import Surface, available
from onboarding.dashboard.bulk_invite import Report
from onboarding.dashboard.diagnosis import Finding
from onboarding.dashboard.funnel import Funnel
from onboarding.dashboard.journey_table import Row
from onboarding.dashboard.timeline import Entry
from onboarding.journeys.models import Journey


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def funnel(result: Funnel) -> dict[str, Any]:
    return {
        "steps": [
            {
                "state": step.state.value,
                "reached": step.reached,
                "now": step.now,
                "conversion": step.conversion,
                "median_seconds": step.median_seconds,
            }
            for step in result.steps
        ],
        "exits": {state.value: n for state, n in result.exits.items()},
        "median_sample": result.median_sample,
    }


def row(value: Row, now: datetime) -> dict[str, Any]:
    mail = value.last_mail
    expires_in = value.expires_in(now)
    return {
        "id": value.id,
        "name": value.name,
        "email": value.email,
        "organization": value.organization,
        "roles": value.roles,
        "state": value.state.value,
        "state_entered_at": _time(value.state_entered_at),
        "seconds_in_state": int(value.time_in_state(now).total_seconds()),
        "expires_at": _time(value.expires_at),
        "seconds_to_expiry": None if expires_in is None else int(expires_in.total_seconds()),
        "last_mail": None
        if mail is None
        else {
            "template": mail.template,
            "status": mail.status,
            "queued_at": _time(mail.queued_at),
            "sent_at": _time(mail.sent_at),
            "last_error": mail.last_error,
        },
        "nudges": value.nudges,
    }


def finding(value: Finding) -> dict[str, str]:
    return {"code": value.code, "message": value.message, "action": value.action}


def entry(value: Entry) -> dict[str, Any]:
    return {
        "at": _time(value.at),
        "kind": value.kind,
        "what": value.what,
        "actor": value.actor,
        "detail": value.detail,
    }


def journey(value: Journey, findings: list[Finding], entries: list[Entry]) -> dict[str, Any]:
    return {
        "id": value.id,
        "name": value.full_name,
        "email": value.person.email,
        "organization": value.organization.name,
        "roles": [role.name for role in value.roles],
        "state": value.state.value,
        "state_entered_at": _time(value.state_entered_at),
        "invited_at": _time(value.invited_at),
        "expires_at": _time(value.expires_at),
        "diagnosis": [finding(f) for f in findings],
        "timeline": [entry(e) for e in entries],
        "actions": [action.name for action in available(value, Surface.api)],
    }


def report(value: Report) -> dict[str, Any]:
    return {
        "dry_run": value.dry_run,
        "accepted": len(value.accepted),
        "refused": len(value.refused),
        "rows": [
            {"row": r.row, "email": r.email, "accepted": r.accepted, "reason": r.refused}
            for r in value.rows
        ],
    }
