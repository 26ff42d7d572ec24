"""Pages in the visitor's language (one of LANGUAGES), for the app and Connect alike, from the
catalogs shared with the mails (onboarding/translations/<lang>/LC_MESSAGES/*.po).

The language is the one chosen with ?lang=, else the one the application prefers for the
visitor (the invited person's, the logged-in account's), else the browser's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, g, request, session

from onboarding.i18n import DEFAULT_LANGUAGE, LANGUAGES, translations

SESSION_KEY = "lang"


def page_language() -> str:
    if "page_language" not in g:
        chosen = request.args.get("lang")
        if chosen in LANGUAGES:
            session[SESSION_KEY] = chosen
        preferred = current_app.extensions["preferred_language"]()
        g.page_language = (
            session.get(SESSION_KEY)
            or (preferred if preferred in LANGUAGES else None)
            or request.accept_languages.best_match(list(LANGUAGES))
            or DEFAULT_LANGUAGE
        )
    return str(g.page_language)


def gettext(message: str, **params: Any) -> str:
    """`message` in the page's language, its %(name)s fields filled from `params`."""
    text = translations(page_language()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, count: int, **params: Any) -> str:
    text = translations(page_language()).ngettext(singular, plural, count)
    return text % {"num": count, **params}


def init_i18n(app: Flask, preferred: Callable[[], str | None]) -> None:
    """Translate `app`'s templates; `preferred` names the visitor's language when known."""
    app.extensions["preferred_language"] = preferred
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: translations(page_language()).gettext(message),
        lambda singular, plural, n: translations(page_language()).ngettext(singular, plural, n),
        newstyle=True,
    )

    # Only the templates that are translated set <html lang> from it (see app/layout.html).
    app.jinja_env.globals["page_language"] = page_language
    app.jinja_env.globals["languages"] = LANGUAGES
    app.jinja_env.globals["tr"] = tr
    app.jinja_env.globals["language_url"] = language_url

    @app.context_processor
    def language() -> dict[str, Any]:
        return {"lang": page_language()}


def language_url(language: str) -> str:
    """This page in `language`: the same request (path and query) with ?lang= set, as a
    query-only reference, so it cannot lead to another path or origin."""
    query = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return "?" + urlencode([*query, ("lang", language)])


def tr(message: str, params: dict[str, Any] | None = None) -> str:
    """A message made at run time (a refusal, a policy rule), translated when the catalog has
    it; `params` fill its %(name)s fields after translation."""
    return gettext(message, **(params or {}))


def N_(message: str) -> str:
    """Marks `message` for the catalog where it is defined; it is translated where it is shown."""
    return message
