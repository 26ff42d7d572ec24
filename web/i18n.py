"""Pages in the visitor's language (one of LANGUAGES), for the app and Connect alike, from the
catalogs shared with the mails (onboarding/translations/<lang>/LC_MESSAGES/*.po).

The language is the one chosen with ?lang=, else the one the application prefers for the
visitor (the invited person's, the logged-in account's), else the browser's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, g, request, session
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from onboarding.i18n import DEFAULT_LANGUAGE, LANGUAGES, translations

SESSION_KEY = "lang"


def page_language() -> str:
    language: str | None = g.get("page_language")
    if language is None:
        chosen = request.args.get("lang")
        if chosen in LANGUAGES and session.get(SESSION_KEY) != chosen:
            session[SESSION_KEY] = chosen  # else the cookie is sent again unchanged
        preferred = current_app.extensions["preferred_language"]()
        language = g.page_language = str(
            session.get(SESSION_KEY)
            or (preferred if preferred in LANGUAGES else None)
            or browser_language(request.headers.get("Accept-Language", ""))
            or DEFAULT_LANGUAGE
        )
    return language


@lru_cache(maxsize=256)
def browser_language(accepted: str) -> str | None:
    """The best of LANGUAGES for a browser's Accept-Language header: browsers send a handful
    of different ones, and matching one costs more than the rest of a page's language."""
    return parse_accept_header(accepted, LanguageAccept).best_match(list(LANGUAGES))


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
    # Jinja's own newstyle callables, without the two calls through the context that wrap
    # each of them (a page has a dozen messages).
    app.jinja_env.newstyle_gettext = True  # type: ignore[attr-defined]
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)
    app.jinja_env.globals["ngettext"] = _template_ngettext

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
    if not request.query_string and language in _LANGUAGE_ONLY:  # most pages: made once
        return _LANGUAGE_ONLY[language]
    query = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return "?" + urlencode([*query, ("lang", language)])


_LANGUAGE_ONLY = {language: "?" + urlencode([("lang", language)]) for language in LANGUAGES}


def _language_of(context: Context) -> str:
    """The page's language as the template's context holds it (see `language` in
    `init_i18n`): a dozen messages a page, each without a lookup through the request. A macro
    imported without the context asks the request."""
    # Where `Context.get` looks, without its two calls: the template's own variables, then
    # the render's.
    language: str | None = context.vars.get("lang") or context.parent.get("lang")
    return language or page_language()


@pass_context
def _template_gettext(context: Context, message: str, **params: Any) -> str:
    """`gettext` in a template: like Jinja's newstyle gettext, the translation is a format
    string and the values filling it are escaped (the messages are the catalog's, ours)."""
    text = translations(_language_of(context)).gettext(message)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704
    # Most messages fill nothing: formatting them would only turn their %% into %.
    return text % params if params or "%" in text else text


@pass_context
def _template_ngettext(
    context: Context, singular: str, plural: str, num: int, **params: Any
) -> str:
    text = translations(_language_of(context)).ngettext(singular, plural, num)
    markup = Markup(text) if context.eval_ctx.autoescape else text  # noqa: S704
    return markup % {"num": num, **params}


def tr(message: str, params: dict[str, Any] | None = None) -> str:
    """A message made at run time (a refusal, a policy rule), translated when the catalog has
    it; `params` fill its %(name)s fields after translation."""
    return gettext(message, **(params or {}))


def N_(message: str) -> str:
    """Marks `message` for the catalog where it is defined; it is translated where it is shown."""
    return message
