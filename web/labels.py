"""The names admins read for the system's codes: journey states, history rows, mails, sorts,
languages and the actors that are not people. Each is a catalog message, written in the page's
language; a code without a name here is shown as words, never as snake_case."""

from __future__ import annotations

from babel import Locale

from onboarding import i18n
from onboarding.i18n import cldr_locale
from web.i18n import N_, gettext, page_language

STATES = {
    "created": N_("Added"),
    "invited": N_("Invited"),
    "registered": N_("Registered"),
    "activated": N_("Activated"),
    "logged_in": N_("Logged in"),
    "accepted": N_("Accepted"),
    "expired": N_("Expired"),
    "revoked": N_("Revoked"),
}

# The triggers of the machine and the facts of onboarding.journeys.history.Fact.
EVENTS = {
    "create": N_("Added"),
    "invite": N_("Invited"),
    "resend": N_("Invitation sent again"),
    "register": N_("Created an account"),
    "activate": N_("Activated the account"),
    "log_in": N_("Logged in"),
    "accept": N_("Accepted"),
    "expire": N_("Invitation expired"),
    "revoke": N_("Invitation revoked"),
    "reinvite": N_("Invited again"),
    "link_opened": N_("Opened the invitation"),
    "link_fetched": N_("Invitation link fetched"),
    "mail_bounced": N_("Mail bounced"),
    "nudge": N_("Reminder sent"),
    "extend": N_("Expiry extended"),
    "switch_account": N_("Chose another account"),
    "account_linked": N_("Confirmed another account as theirs"),
    "directory_update": N_("Changed by the directory"),
    "roles_changed": N_("Roles changed"),
    "reminders_stopped": N_("Stopped the reminders"),
    "erased": N_("Erased"),
    "new_invitation_asked": N_("Asked for a new invitation"),
}

MAILS = {
    "invitation": N_("Invitation"),
    "nudge_invited": N_("Reminder: open the invitation"),
    "nudge_registered": N_("Reminder: activate the account"),
    "nudge_activation_expired": N_("Reminder: the activation link expired"),
    "nudge_activated": N_("Reminder: log in"),
    "nudge_logged_in": N_("Reminder: accept the invitation"),
    "nudge_expiring": N_("Reminder: the invitation expires soon"),
    "new_invitation_asked": N_("Request for a new invitation"),
}

# The kinds of reminder (onboarding.journeys.nudges), as the history names them.
NUDGES = {
    kind: MAILS[f"nudge_{kind}"]
    for kind in (
        "invited",
        "registered",
        "activation_expired",
        "activated",
        "logged_in",
        "expiring",
    )
}

MAIL_STATUSES = {
    "queued": N_("queued"),
    "pending": N_("waiting to be sent"),
    "sent": N_("sent"),
    "dead": N_("could not be sent"),
    "bounced": N_("bounced"),
}

SORTS = {
    "longest_in_state": N_("Longest in their step"),
    "newest_in_state": N_("Newest in their step"),
    "email": N_("Email address"),
    "newest": N_("Newest"),
}

# Actors that are not a person's address.
ACTORS = {
    "sweep": N_("the system (expiry)"),
    "nudges": N_("the system (reminders)"),
    "mail": N_("the mail server"),
    "link": N_("a browser or mail scanner"),
    "outbox": N_("the system (outbox)"),
    "mail worker": N_("the system (mail)"),
    "connect": N_("the identity provider"),
    "cli": N_("the command line"),
}


# The regions of onboarding.i18n.ZONE_REGIONS, as the time zone list groups them.
REGIONS = {
    "Africa": N_("Africa"),
    "America": N_("America"),
    "Antarctica": N_("Antarctica"),
    "Arctic": N_("Arctic"),
    "Asia": N_("Asia"),
    "Atlantic": N_("Atlantic Ocean"),
    "Australia": N_("Australia"),
    "Europe": N_("Europe"),
    "Indian": N_("Indian Ocean"),
    "Pacific": N_("Pacific Ocean"),
}


def label(names: dict[str, str], code: str) -> str:
    """The name of `code` in the page's language; unknown codes as words."""
    name = names.get(code)
    return gettext(name) if name else code.replace("_", " ")


def state(value: object) -> str:
    return label(STATES, str(getattr(value, "value", value)))


def event(trigger: str) -> str:
    return label(EVENTS, trigger)


def mail(template: str) -> str:
    return label(MAILS, template)


def actor(name: str) -> str:
    return gettext(ACTORS[name]) if name in ACTORS else name


def region(code: str) -> str:
    return label(REGIONS, code)


def language(code: str) -> str:
    """A language's name in the page's language ("Dutch", "Nederlands"), from CLDR; else its
    name in itself."""
    names = Locale(cldr_locale(page_language())).languages
    return names.get(code) or i18n.LANGUAGES.get(code, code)
