"""Connect's pages in the account's language (see web.i18n) and how refusals are shown."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, session

from onboarding.errors import ValidationError
from onboarding.i18n import LANGUAGES
from onboarding.identity.passwords import PolicyError
from web import i18n


def _account_language() -> str | None:
    """The logged-in account's language, else that of the invitee registering."""
    from web.connect.auth import current_account

    account = current_account()
    return account.language if account else g.get("invitee_language")


def init_i18n(app: Flask) -> None:
    i18n.init_i18n(app, _account_language)


def choose_language(ui_locales: str) -> None:
    """The first of a client's `ui_locales` that Connect speaks (OpenID Connect Core 3.1.2.1)
    becomes this browser's language at Connect, as if chosen with ?lang=: its pages, the
    registration form's language and so the account's mails."""
    for tag in ui_locales.split():
        language = tag.split("-")[0].lower()
        if language in LANGUAGES:
            session[i18n.SESSION_KEY] = language
            g.pop("page_language", None)
            return


def refusal(error: ValidationError) -> dict[str, Any]:
    """Template values that show a refusal: a refused password rule by rule, else one line."""
    if isinstance(error, PolicyError):
        return {"problems": error.problems}
    return {"error": str(error)}
