"""Render a mail template into a multipart (text + HTML) message with deliverable headers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.lists import format_list
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

from onboarding.clock import utcnow
from onboarding.i18n import LANGUAGES, cldr_locale, supported, translations
from onboarding.mail.mime import text_header, two_part
from onboarding.mail.placeholders import render_parts
from onboarding.mail.signature import dkim_sign
from onboarding.mail.translated_templates import TranslatedAtCompile, install
from onboarding.mail.transport import BARE_ADDRESS
from onboarding.settings import Settings
from onboarding.template_globals import SharedGlobals

TEMPLATES_DIR = Path(__file__).parent / "templates"


# What composing the mail of a malformed outbox row raises (unknown template, missing value,
# bad address): that mail fails, the others go on.
COMPOSE_ERRORS = (ValueError, LookupError, TemplateError)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def message_id(outbox_id: int, settings: Settings) -> str:
    """The Message-ID of the mail of outbox row `outbox_id`: the same on every attempt."""
    return f"<outbox-{outbox_id}@{settings.dkim_domain}>"


def render(template: str, language: str, context: dict[str, Any], settings: Settings) -> Rendered:
    """Subject, text and HTML of `template` in `language`, with the common context added."""
    language = supported(language)
    full = {**_common_context(settings), **context}
    subject, text, html = render_parts(_environment(language), language, template, full)
    return Rendered(
        # One line, whatever the template or its values contain: a header cannot be injected.
        subject=" ".join(subject.split()),
        text=_tidy(text),
        html=html,
    )


def compose_bytes(
    template: str,
    language: str,
    context: dict[str, Any],
    settings: Settings,
    *,
    to: str | None = None,
    outbox_id: int | None = None,
    now: datetime | None = None,
) -> bytes:
    """The mail `template` in `language`, ready for SMTP: multipart text + HTML, with Date,
    Message-ID, From, Reply-To, the one-click unsubscribe headers when the context carries an
    `unsubscribe_url`, DKIM-signed when a key is configured.

    `to` must be a bare address (no display name, no line breaks); `outbox_id` gives a stable
    Message-ID, so that a retried mail is recognisably the same mail.
    """
    rendered = render(template, language, context, settings)
    headers = [("From", _address_header(settings.mail_from))]
    if to is not None:
        headers.append(("To", _recipient(to)))
    headers += [
        ("Reply-To", _address_header(settings.mail_reply_to)),
        ("Subject", text_header(rendered.subject)),
        ("Date", _date_header(int((now or utcnow()).timestamp()))),
        (
            "Message-ID",
            message_id(outbox_id, settings)
            if outbox_id is not None
            else make_msgid(domain=settings.dkim_domain),
        ),
        ("Content-Language", language),
        ("Auto-Submitted", "auto-generated"),
    ]
    if context.get("unsubscribe_url"):
        headers += one_click_unsubscribe(context["unsubscribe_url"])
    raw = two_part(headers, rendered.text, rendered.html)
    if settings.dkim_key_file is not None:
        raw = dkim_sign(raw, settings.dkim_key_file, settings.dkim_selector, settings.dkim_domain)
    return raw


def one_click_unsubscribe(url: str) -> list[tuple[str, str]]:
    """The RFC 8058 headers that let a mail client stop these mails with one POST to `url`."""
    if (
        not url.isascii()
        or not url.startswith(("https://", "http://"))
        or any(c in url for c in "<>\r\n ")
    ):
        raise ValueError(f"not an unsubscribe address: {url!r}")
    return [
        ("List-Unsubscribe", f"<{url}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    ]


def envelope_sender(settings: Settings) -> str:
    """The bare address of MAIL_FROM, used as SMTP envelope sender."""
    return parseaddr(settings.mail_from)[1]


def _tidy(text: str) -> str:
    """At most one blank line in a row: template tags leave empty lines behind."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _recipient(to: str) -> str:
    """`to` if it is one bare address: nothing in it can end the header or add a recipient.

    ASCII only: the SMTP envelope carries it as is (no SMTPUTF8).
    """
    if not (to.isascii() and BARE_ADDRESS.match(to)):
        raise ValueError(f"not a bare mail address: {to!r}")
    return to


# The mails of a second share their Date header (it has no smaller unit).
@lru_cache(maxsize=4)
def _date_header(seconds: int) -> str:
    return format_datetime(datetime.fromtimestamp(seconds, UTC))


@lru_cache(maxsize=8)
def _address_header(value: str) -> str:
    """'Name <address>' from settings, with a non-ASCII name RFC 2047-encoded."""
    name, address = parseaddr(value)
    if not address or any(c in value for c in "\r\n"):
        raise ValueError(f"not a mail address: {value!r}")
    return formataddr((name, address), charset="utf-8")


def _common_context(settings: Settings) -> dict[str, Any]:
    return {
        "app_name": settings.app_name,
        "idp_name": settings.idp_name,
        "support_email": settings.support_email,
        "app_base_url": settings.app_base_url,
        "connect_issuer": settings.connect_issuer,
    }


@lru_cache(maxsize=len(LANGUAGES))
def _environment(language: str) -> Environment:
    env = SharedGlobals(
        loader=FileSystemLoader(TEMPLATES_DIR),
        extensions=[TranslatedAtCompile],
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Templates change only with a deploy; not checking their files saves time per mail.
        auto_reload=False,
    )
    env.policies["ext.i18n.trimmed"] = True
    catalog = translations(language)
    install(env, catalog)
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    env.globals["language"] = language
    env.filters["long_date"] = lambda value: _long_date(_as_date(value), language)
    env.filters["join_list"] = lambda items: _join_list(tuple(items), language)
    return env


def _as_date(value: str | date | datetime) -> date:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


# Many mails of a run share their dates and role lists: Babel's formatting is cached.
@lru_cache(maxsize=1024)
def _long_date(value: date, language: str) -> str:
    """'Friday, 25 December 2026' / 'vrijdag 25 december 2026'."""
    return format_date(value, format="full", locale=cldr_locale(language))


@lru_cache(maxsize=1024)
def _join_list(items: tuple[str, ...], language: str) -> str:
    """'viewer and editor' / 'viewer en editor'."""
    return format_list(list(items), locale=cldr_locale(language))
