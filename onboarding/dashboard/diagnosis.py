"""What is going on with a journey, in plain language, with what an admin can do about it.

Derived from the journey's history and its mails in the outbox: the troubleshooting notes of
the old help-desk article, turned into rules. `diagnose` returns every finding that applies,
the most pressing first.

A finding's texts are catalog messages with %(name)s fields and the values that fill them, so
that a page writes them in its reader's language, dates included; `message` and `action` are
the English texts (the JSON API's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding import outbox
from onboarding.db import settings_of
from onboarding.journeys.history import Fact
from onboarding.journeys.machine import LIVE, JourneyState
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.outbox.models import OutboxMessage, OutboxStatus
from onboarding.settings import Settings

UNDELIVERABLE = (OutboxStatus.dead, OutboxStatus.bounced)
# A link fetched this soon after delivery was fetched by a mail scanner, not by a person.
SCANNER_WINDOW = timedelta(seconds=10)
EXPIRY_WARNING = timedelta(days=7)
S = JourneyState


@dataclass(frozen=True)
class Finding:
    code: str
    message_text: str  # catalog message, with %(name)s fields from params
    action_text: str | None  # what the admin can do; None when nothing is needed
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.message_text % _english(self.params)

    @property
    def action(self) -> str:
        return self.action_text % _english(self.params) if self.action_text else ""


def _english(params: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _english_value(value) for name, value in params.items()}


def _english_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    if isinstance(value, timedelta):
        return f"{value.days} day{'s' if value.days != 1 else ''}"
    return value


def load_and_diagnose(session: Session, journey: Journey, now: datetime) -> list[Finding]:
    mails = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.journey_id == journey.id, OutboxMessage.kind == outbox.MAIL)
        .order_by(OutboxMessage.id)
    ).all()
    return diagnose(journey, list(journey.events), list(mails), now, settings_of(session))


def diagnose(
    journey: Journey,
    events: list[JourneyEvent],
    mails: list[OutboxMessage],
    now: datetime,
    settings: Settings,
) -> list[Finding]:
    """Every finding about `journey`, most pressing first."""
    state, email = journey.state, journey.person.email
    since = {"at": journey.state_entered_at}
    if state is S.accepted:
        return [Finding("accepted", "Accepted on %(at)s.", None, since)]
    if state is S.revoked:
        return [_ended("revoked", "The invitation was revoked on %(at)s.", since)]
    if state is S.expired:
        asked = _last(events, Fact.new_invitation_asked)
        if asked is not None and asked.at >= journey.state_entered_at:
            return [
                Finding(
                    "new_invitation_asked",
                    "The invitation expired on %(at)s; they asked for a new one on %(asked)s.",
                    "Re-invite them.",
                    {**since, "asked": asked.at},
                )
            ]
        return [_ended("expired", "The invitation expired on %(at)s.", since)]
    if state is S.created:
        return [Finding("not_invited", "Added, but no invitation has been sent.", "Invite them.")]
    findings = []
    invitations = [m for m in mails if m.payload.get("template") == "invitation"]
    undeliverable = _undeliverable(invitations, events)
    if undeliverable:
        findings.append(undeliverable)
    elif state is S.invited:
        findings.append(_link_finding(invitations, events, email, settings.idp_name))
    registered = _last(events, "register")
    if registered is not None and registered.detail.get("invited_as"):
        findings.append(
            Finding(
                "registered_elsewhere",
                "Registered as %(email)s (invited as %(invited_as)s).",
                "Nothing is needed: the invitation followed them to that address. Check that "
                "it is the person you meant.",
                {
                    "email": registered.detail.get("email", ""),
                    "invited_as": registered.detail["invited_as"],
                },
            )
        )
    idp = {"idp": settings.idp_name}
    if state is S.registered and now - journey.state_entered_at > settings.activation_ttl:
        findings.append(
            Finding(
                "activation_expired",
                "Registered on %(at)s but never activated; the activation link has expired.",
                # A log-in answers "not right" until the account is activated: the link's
                # own page and Forgot your password? are what mail a new activation link.
                "Ask them to open the activation link again: its page sends a new one in one "
                "click (so does 'Forgot your password?' at %(idp)s).",
                {**since, **idp},
            )
        )
    if state is S.activated:
        findings.append(
            Finding(
                "never_logged_in",
                "Activated their account on %(at)s but never logged in to the app.",
                "Remind them to click 'Log in with %(idp)s'; resend the invitation for a link.",
                {**since, **idp},
            )
        )
    if state is S.logged_in:
        findings.append(
            Finding(
                "not_accepted",
                "Logged in on %(at)s but has not accepted the invitation.",
                "Remind them to click Accept on the invitation page after logging in.",
                since,
            )
        )
    stopped = _last(events, Fact.reminders_stopped)
    if stopped is not None:
        findings.append(
            Finding(
                "reminders_stopped",
                "They stopped the reminder mails on %(at)s; no more are sent.",
                "Contact them yourself if they still need a reminder; the invitation is as it was.",
                {"at": stopped.at},
            )
        )
    if (
        state in LIVE
        and journey.expires_at is not None
        and journey.expires_at - now <= EXPIRY_WARNING
    ):
        findings.append(
            Finding(
                "expires_soon",
                "The invitation expires in %(left)s (%(at)s).",
                "Extend the expiry if they still need time.",
                {"left": max(timedelta(0), journey.expires_at - now), "at": journey.expires_at},
            )
        )
    return findings


def _ended(code: str, message: str, params: Mapping[str, Any]) -> Finding:
    return Finding(code, message, "Re-invite them if they should still join.", params)


def _undeliverable(invitations: list[OutboxMessage], events: list[JourneyEvent]) -> Finding | None:
    """The latest invitation mail could not be delivered (dead letter or bounce)."""
    if not invitations:
        return None
    latest = invitations[-1]
    bounce = next(
        (
            e
            for e in reversed(events)
            if e.trigger == Fact.mail_bounced and e.at >= latest.created_at
        ),
        None,
    )
    if latest.status not in UNDELIVERABLE and bounce is None:
        return None
    error = latest.last_error or (bounce.detail.get("error") if bounce else None)
    bounced = bounce is not None or latest.status == OutboxStatus.bounced
    if bounced:
        message = "The invitation mail to %(to)s bounced: %(error)s"
    else:
        message = "The invitation mail to %(to)s could not be sent: %(error)s"
    if not error:
        message = message.replace(": %(error)s", ".")
    return Finding(
        "mail_undeliverable",
        message,
        "Check the address with them; correct it (remove and add the person again) or resend.",
        {"to": latest.payload.get("to", ""), "error": error or ""},
    )


def _link_finding(
    invitations: list[OutboxMessage], events: list[JourneyEvent], email: str, idp_name: str
) -> Finding:
    """For an invited journey: was the invitation link opened, and by whom?"""
    sent = [m.sent_at for m in invitations if m.sent_at is not None]
    clicked = [e for e in events if e.trigger == Fact.link_opened]
    fetched = [e for e in events if e.trigger == Fact.link_fetched]
    if clicked:
        return Finding(
            "opened_not_registered",
            "Opened the invitation on %(at)s but has not created an account yet.",
            "Remind them to click 'Create account' (or 'Log in with %(idp)s' if they have one).",
            {"at": clicked[-1].at, "idp": idp_name},
        )
    if not sent and not fetched:
        return Finding(
            "mail_not_sent_yet",
            "The invitation mail is waiting to be sent.",
            "Wait a minute; if it stays like this, the mail workers are not running.",
        )
    by_person = [e for e in fetched if not _by_scanner(e, sent)]
    if by_person:
        return Finding(
            "opened_not_continued",
            "Looked at the invitation page on %(at)s but did not continue.",
            "Ask them to open the link again and click Continue; resend if the mail is gone.",
            {"at": by_person[-1].at},
        )
    if fetched:
        return Finding(
            "link_opened_by_scanner_only",
            "The link was only fetched by a mail scanner (within seconds of delivery, or "
            "without opening the page); the person has not clicked it.",
            "Ask them to open the mail and click its button themselves; resend if it is gone.",
        )
    return Finding(
        "link_never_opened",
        "The invitation was delivered to %(email)s on %(at)s but the link was never opened.",
        "Ask them to look in their spam folder, then resend the invitation.",
        {"email": email, "at": max(sent)},
    )


def _by_scanner(fetch: JourneyEvent, sent: list[datetime]) -> bool:
    if str(fetch.detail.get("method", "GET")).upper() == "HEAD":
        return True
    delivered = [at for at in sent if at <= fetch.at]
    return bool(delivered) and fetch.at - max(delivered) <= SCANNER_WINDOW


def _last(events: list[JourneyEvent], trigger: str) -> JourneyEvent | None:
    return next((e for e in reversed(events) if e.trigger == trigger), None)
