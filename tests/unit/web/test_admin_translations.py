"""Every message of the admin pages (Settings > People, the dashboard), their labels and the
domain's findings shown there, and of the error pages, has a Dutch entry in the catalogs (the
domain's refusals: tests/unit/test_refusals_translated.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from jinja2.ext import babel_extract

from onboarding.dashboard.actions import ACTIONS
from onboarding.journeys.history import Fact
from onboarding.journeys.machine import TRIGGERS
from tests.helpers import translated_ids
from web.labels import EVENTS

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ["people", "dashboard"]
MODULES = [
    "web/labels.py",
    "web/history_details.py",
    "web/words.py",
    "web/people.py",
    "web/dashboard/views.py",
    "web/dashboard/bulk.py",
    "web/dashboard/api_tokens.py",
    "web/errors.py",
]
# Domain modules whose findings the admin pages show, and the calls that make them (with the
# position of their messages).
DOMAIN = {
    "onboarding/dashboard/diagnosis.py": {"Finding": slice(1, 3), "_ended": slice(1, 2)},
}
OPTIONS = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}


def template_messages() -> list[str]:
    folder = ROOT / "web" / "templates"
    templates = [path for name in TEMPLATES for path in sorted((folder / name).glob("*.html"))]
    found = []
    for template in [*templates, folder / "error.html"]:
        with template.open("rb") as handle:
            for _line, _func, message, _comments in babel_extract(
                handle, ["_", "gettext", "ngettext"], [], OPTIONS
            ):
                messages = message if isinstance(message, tuple) else [message]
                found += [m for m in messages if m]
    return found


def code_messages() -> list[str]:
    found = []
    for module in MODULES:
        for _line, message, _comments, _context in extract_from_file(
            "python", ROOT / module, keywords={"N_": None, "gettext": None, "ngettext": (1, 2)}
        ):
            found += list(message) if isinstance(message, tuple) else [message]
    for module, calls in DOMAIN.items():
        for node in ast.walk(ast.parse((ROOT / module).read_text())):
            name = getattr(getattr(node, "func", None), "id", None)
            if isinstance(node, ast.Call) and name in calls:
                found += [
                    arg.value
                    for arg in node.args[calls[name]]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                ]
    for action in ACTIONS.values():
        found += [action.label, action.message]
        found += [action.confirmation] if action.confirmation else []
    return [message for message in found if message]


DUTCH = translated_ids("nl")


@pytest.mark.parametrize("message", sorted(set(template_messages() + code_messages())))
def test_the_admin_message_has_a_dutch_translation(message):
    assert message in DUTCH


def test_every_history_fact_has_a_label():
    assert {fact.value for fact in Fact} | set(TRIGGERS) <= set(EVENTS)
