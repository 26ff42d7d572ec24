"""Connect's pages in the reader's language (see web.i18n) and how refusals are shown.

The language is the one chosen on Connect's pages (?lang=), else the invitation's (its signed
proof, or the client's `ui_locales`), else the logged-in account's, else the browser's; the
chosen and the invitation's are remembered for this browser."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, session

from onboarding.errors import ValidationError
from onboarding.i18n import LANGUAGES
from onboarding.identity.passwords import PolicyError
from web import i18n, words

INVITED_KEY = "invited_lang"


def _preferred_language() -> str | None:
    """The invitation's language, else the logged-in account's."""
    from web.connect.auth import current_account

    if invited := session.get(INVITED_KEY):
        return str(invited)
    account = current_account()
    return account.language if account else None


def init_i18n(app: Flask) -> None:
    i18n.init_i18n(app, _preferred_language)


def invited_language(language: str, *, replace: bool = True) -> None:
    """`language` (one of LANGUAGES), the invitation's, becomes this browser's language at
    Connect unless its reader chose one here: its pages, the registration form's language and
    so the account's mails. Without `replace`, a language the client asked for stays."""
    if not replace and INVITED_KEY in session:
        return
    session[INVITED_KEY] = language
    g.pop("page_language", None)


def choose_language(ui_locales: str) -> None:
    """The first of a client's `ui_locales` that Connect speaks (OpenID Connect Core 3.1.2.1)
    is the invitation's language."""
    for tag in ui_locales.split():
        language = tag.split("-")[0].lower()
        if language in LANGUAGES:
            invited_language(language)
            return


def refusal(error: ValidationError) -> dict[str, Any]:
    """Template values that show a refusal: a refused password rule by rule, else one line."""
    if isinstance(error, PolicyError):
        return {"problems": error.problems}
    return {"error": words.refusal(error)}
