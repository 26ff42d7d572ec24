"""Render a mail template into a multipart (text + HTML) message with deliverable headers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.lists import format_list
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from onboarding.clock import utcnow
from onboarding.i18n import DEFAULT_LANGUAGE, translations
from onboarding.mail.signature import dkim_sign
from onboarding.settings import get_settings

TEMPLATES_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("en", "nl")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def message_id(outbox_id: int) -> str:
    """The Message-ID of the mail of outbox row `outbox_id`: the same on every attempt."""
    return f"<outbox-{outbox_id}@{get_settings().dkim_domain}>"


def render(template: str, language: str, context: dict[str, Any]) -> Rendered:
    """Subject, text and HTML of `template` in `language`, with the common context added."""
    env = _environment(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    full = {**_common_context(), **context}
    subject = env.get_template(f"{template}/subject.txt").render(full)
    return Rendered(
        # One line, whatever the template or its values contain: a header cannot be injected.
        subject=" ".join(subject.split()),
        text=_tidy(env.get_template(f"{template}/body.txt").render(full)),
        html=env.get_template(f"{template}/body.html").render(full),
    )


def compose(
    template: str,
    language: str,
    context: dict[str, Any],
    *,
    to: str | None = None,
    outbox_id: int | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """The mail `template` in `language`, multipart text + HTML, DKIM-signed when configured.

    `to` must be a bare address (no display name, no line breaks); `outbox_id` gives a stable
    Message-ID, so that a retried mail is recognisably the same mail.
    """
    settings = get_settings()
    rendered = render(template, language, context)
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = settings.mail_from
    if to is not None:
        message["To"] = _recipient(to)
    message["Reply-To"] = settings.mail_reply_to
    message["Date"] = format_datetime(now or utcnow())
    message["Message-ID"] = (
        message_id(outbox_id) if outbox_id is not None else make_msgid(domain=settings.dkim_domain)
    )
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    # After add_alternative, which moves every Content-* header into the first part.
    message["Content-Language"] = language
    if settings.dkim_key_file is not None:
        dkim_sign(message, settings.dkim_key_file, settings.dkim_selector, settings.dkim_domain)
    return message


def envelope_sender() -> str:
    """The bare address of MAIL_FROM, used as SMTP envelope sender."""
    return parseaddr(get_settings().mail_from)[1]


def _tidy(text: str) -> str:
    """At most one blank line in a row: template tags leave empty lines behind."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _recipient(to: str) -> Address:
    if "\r" in to or "\n" in to or "<" in to:
        raise ValueError(f"not a bare mail address: {to!r}")
    return Address(addr_spec=to)


def _common_context() -> dict[str, Any]:
    settings = get_settings()
    return {
        "app_name": settings.app_name,
        "idp_name": settings.idp_name,
        "support_email": settings.support_email,
        "app_base_url": settings.app_base_url,
        "connect_issuer": settings.connect_issuer,
    }


@lru_cache(maxsize=len(LANGUAGES))
def _environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        extensions=["jinja2.ext.i18n"],
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["language"] = language
    env.filters["long_date"] = lambda value: _long_date(value, language)
    env.filters["join_list"] = lambda items: format_list(list(items), locale=language)
    return env


def _long_date(value: str | date | datetime, language: str) -> str:
    """'Friday, 25 December 2026' / 'vrijdag 25 december 2026'."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_date(value, format="full", locale=language)
