"""Connect's pages in the visitor's language (English, Dutch), from the same catalogs as the
mails (onboarding/translations/<lang>/LC_MESSAGES/*.po).

The language is the one chosen with ?lang=, else the logged-in account's, else the browser's.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request, session

from onboarding.errors import ValidationError
from onboarding.i18n import translations
from onboarding.identity.passwords import PolicyError

LANGUAGES = ("en", "nl")
SESSION_KEY = "lang"


def page_language() -> str:
    if "page_language" not in g:
        chosen = request.args.get("lang")
        if chosen in LANGUAGES:
            session[SESSION_KEY] = chosen
        g.page_language = (
            session.get(SESSION_KEY)
            or _account_language()
            or request.accept_languages.best_match(LANGUAGES)
            or "en"
        )
    return g.page_language


def _account_language() -> str | None:
    from web.connect.auth import current_account

    account = current_account()
    return account.language if account and account.language in LANGUAGES else None


def gettext(message: str) -> str:
    return translations(page_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(page_language()).ngettext(singular, plural, count)


def tr(message: str, params: dict[str, Any] | None = None) -> str:
    """A message made at run time (a refusal, a policy rule), translated when the catalog has
    it; `params` fill its %(name)s fields after translation."""
    text = gettext(message)
    return text % params if params else text


def init_i18n(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    app.jinja_env.globals["tr"] = tr

    @app.context_processor
    def language() -> dict[str, Any]:
        return {"lang": page_language()}


def refusal(error: ValidationError) -> dict[str, Any]:
    """Template values that show a refusal: a refused password rule by rule, else one line."""
    if isinstance(error, PolicyError):
        return {"problems": error.problems}
    return {"error": str(error)}
