"""Every message of the invitee's pages, of a reader's own settings and of the development
inbox has a Dutch translation in app.po."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from jinja2.ext import babel_extract

from onboarding.i18n import translations
from onboarding.journeys import invitations
from onboarding.journeys.link_tokens import TokenCheck, TokenStatus

ROOT = Path(__file__).resolve().parents[3]
TRANSLATED = ["app", "login", "invitations", "measurements", "join", "account", "dev_mail"]
OPTIONS = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}


def messages() -> list[str]:
    found = []
    for folder in TRANSLATED:
        for template in sorted((ROOT / "web" / "templates" / folder).glob("*.html")):
            with template.open("rb") as handle:
                for _line, _func, message, _comments in babel_extract(
                    handle, ["_", "gettext"], [], OPTIONS
                ):
                    found.append(message[0] if isinstance(message, tuple) else message)
    for module in ("login", "measurements", "invitations", "join", "account"):
        for _line, message, _comments, _context in extract_from_file(
            "python", ROOT / "web" / f"{module}.py", keywords={"gettext": None}
        ):
            found.append(message)
    found += [invitations.explanation(TokenCheck(status))[0] for status in TokenStatus]
    return sorted(set(found))


@pytest.mark.parametrize("message", messages())
def test_the_message_has_a_dutch_translation(message):
    assert translations("nl").gettext(message) != message
