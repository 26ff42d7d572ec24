"""A history row's details as sentences, one per fact: "Roles: viewer and editor", "Expiry
moved from 16 December 2026 to 30 December 2026"; never a Python value or an ISO timestamp."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from web import labels
from web.dates import day
from web.i18n import N_, gettext
from web.words import say

# detail key -> the sentence that shows its value as %(value)s
SENTENCES = {
    "roles": N_("Roles: %(value)s"),
    "email": N_("Address: %(value)s"),
    "invited_as": N_("Invited as %(value)s"),
    "signed_in_as": N_("Logged in as %(value)s"),
    "connect_email": N_("Account address: %(value)s"),
    "subject": N_("Account: %(value)s"),
    "first_name": N_("First name: %(value)s"),
    "last_name": N_("Last name: %(value)s"),
    "to": N_("To: %(value)s"),
    "error": N_("Error: %(value)s"),
    "attempts": N_("Attempts: %(value)s"),
    "method": N_("Request: %(value)s"),
    "user_agent": N_("Browser: %(value)s"),
    "template": N_("Mail: %(value)s"),
    "kind": N_("Reminder: %(value)s"),
    "days": N_("Days: %(value)s"),
    "expires_at": N_("Expires: %(value)s"),
}
# Fixed values recorded by the system, and how they read.
VALUES = {
    ("reason", "invitation expired"): N_("The invitation's time ran out."),
    ("recorded_at", "log-in"): N_("Recorded when they logged in."),
    ("bulk", True): N_("Invited from a CSV file."),
    ("address_verified_by", "invitation link"): N_("Address verified by the invitation link."),
    ("with", "passkey"): N_("With a passkey."),
}
# Bookkeeping that means nothing to a reader.
HIDDEN = {"outbox_id"}


def details(detail: Mapping[str, Any]) -> list[str]:
    """Every fact of `detail`, each as a sentence in the page's language."""
    facts = dict(detail)
    sentences = []
    if "was" in facts and "expires_at" in facts:
        sentences.append(
            say(
                N_("Expiry moved from %(before)s to %(after)s"),
                {"before": _day(facts.pop("was")), "after": _day(facts.pop("expires_at"))},
            )
        )
    if "before" in facts and "roles" in facts:
        sentences.append(
            say(
                N_("Roles changed from %(before)s to %(after)s"),
                {"before": facts.pop("before") or "—", "after": facts.pop("roles") or "—"},
            )
        )
    for key, value in facts.items():
        if key in HIDDEN or value is None or value == "":
            continue
        fixed = VALUES.get((key, value)) if isinstance(value, str | bool) else None
        if fixed:
            sentences.append(gettext(fixed))
        else:
            sentence = SENTENCES.get(key, key.replace("_", " ").capitalize() + ": %(value)s")
            sentences.append(say(sentence, {"value": _value(key, value)}))
    return sentences


def _value(key: str, value: Any) -> Any:
    if key == "template":
        return labels.mail(str(value))
    if key == "kind":
        return labels.label(labels.NUDGES, str(value))
    if isinstance(value, str) and _looks_like_time(value):
        return datetime.fromisoformat(value)
    return value


def _day(value: Any) -> Any:
    """An expiry is read as a day, in the reader's time zone."""
    if isinstance(value, str) and _looks_like_time(value):
        return day(datetime.fromisoformat(value))
    return value


def _looks_like_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return len(value) >= 10 and value[4] == "-"
