"""What is going on with a journey, in plain language, with what an admin can do about it.

Derived from the journey's history and its mails in the outbox: the troubleshooting notes of
the old help-desk article, turned into rules. `diagnose` returns every finding that applies,
the most pressing first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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
    message: str
    action: str


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
    if state is S.accepted:
        return [Finding("accepted", f"Accepted on {_day(journey.state_entered_at)}.", "None.")]
    if state is S.revoked:
        return [
            _ended("revoked", f"The invitation was revoked on {_day(journey.state_entered_at)}.")
        ]
    if state is S.expired:
        asked = _last(events, Fact.new_invitation_asked)
        if asked is not None and asked.at >= journey.state_entered_at:
            return [
                Finding(
                    "new_invitation_asked",
                    f"The invitation expired on {_day(journey.state_entered_at)}; they asked "
                    f"for a new one on {_day(asked.at)}.",
                    "Re-invite them.",
                )
            ]
        return [_ended("expired", f"The invitation expired on {_day(journey.state_entered_at)}.")]
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
                f"Registered as {registered.detail.get('email')} "
                f"(invited as {registered.detail['invited_as']}).",
                "Nothing is needed: the invitation followed them to that address. Check that "
                "it is the person you meant.",
            )
        )
    if state is S.registered and now - journey.state_entered_at > settings.activation_ttl:
        findings.append(
            Finding(
                "activation_expired",
                f"Registered on {_day(journey.state_entered_at)} but never activated; the "
                "activation link has expired.",
                # A log-in answers "not right" until the account is activated: the link's
                # own page and Forgot your password? are what mail a new activation link.
                "Ask them to open the activation link again: its page sends a new one in one "
                f"click (so does 'Forgot your password?' at {settings.idp_name}).",
            )
        )
    if state is S.activated:
        findings.append(
            Finding(
                "never_logged_in",
                f"Activated their account on {_day(journey.state_entered_at)} but never logged "
                "in to the app.",
                f"Remind them to click 'Log in with {settings.idp_name}'; resend the "
                "invitation for a link.",
            )
        )
    if state is S.logged_in:
        findings.append(
            Finding(
                "not_accepted",
                f"Logged in on {_day(journey.state_entered_at)} but has not accepted the "
                "invitation.",
                "Remind them to click Accept on the invitation page after logging in.",
            )
        )
    stopped = _last(events, Fact.reminders_stopped)
    if stopped is not None:
        findings.append(
            Finding(
                "reminders_stopped",
                f"They stopped the reminder mails on {_day(stopped.at)}; no more are sent.",
                "Contact them yourself if they still need a reminder; the invitation is as it was.",
            )
        )
    if (
        state in LIVE
        and journey.expires_at is not None
        and journey.expires_at - now <= EXPIRY_WARNING
    ):
        days = max(0, (journey.expires_at - now).days)
        findings.append(
            Finding(
                "expires_soon",
                f"The invitation expires in {days} day{'s' if days != 1 else ''} "
                f"({_day(journey.expires_at)}).",
                "Extend the expiry if they still need time.",
            )
        )
    return findings


def _ended(code: str, message: str) -> Finding:
    return Finding(code, message, "Re-invite them if they should still join.")


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
    error = (
        latest.last_error or (bounce.detail.get("error") if bounce else None) or "no reason given"
    )
    to = latest.payload.get("to", "")
    bounced = bounce is not None or latest.status == OutboxStatus.bounced
    how = "bounced" if bounced else "could not be sent"
    return Finding(
        "mail_undeliverable",
        f"The invitation mail to {to} {how}: {error}",
        "Check the address with them; correct it (remove and add the person again) or resend.",
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
            f"Opened the invitation on {_day(clicked[-1].at)} but has not created an account yet.",
            f"Remind them to click 'Create account' (or 'Log in with {idp_name}' "
            "if they have one).",
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
            f"Looked at the invitation page on {_day(by_person[-1].at)} but did not continue.",
            "Ask them to open the link again and click Continue; resend if the mail is gone.",
        )
    if fetched:
        return Finding(
            "link_opened_by_scanner_only",
            "The link was only fetched by a mail scanner (within seconds of delivery, or "
            "without opening the page); the person has not clicked it.",
            "Ask them to open the mail and click 'Accept invitation' themselves; resend if "
            "it is gone.",
        )
    return Finding(
        "link_never_opened",
        f"The invitation was delivered to {email} on {_day(max(sent))} but the link was "
        "never opened.",
        "Ask them to look in their spam folder, then resend the invitation.",
    )


def _by_scanner(fetch: JourneyEvent, sent: list[datetime]) -> bool:
    if str(fetch.detail.get("method", "GET")).upper() == "HEAD":
        return True
    delivered = [at for at in sent if at <= fetch.at]
    return bool(delivered) and fetch.at - max(delivered) <= SCANNER_WINDOW


def _last(events: list[JourneyEvent], trigger: str) -> JourneyEvent | None:
    return next((e for e in reversed(events) if e.trigger == trigger), None)


def _day(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"
