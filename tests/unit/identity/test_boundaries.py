"""Connect's domain stands on its own: it imports nothing of the app's people or journeys."""

from __future__ import annotations

import ast
from pathlib import Path

import onboarding.identity

APP_MODULES = {
    "onboarding.models",
    "onboarding.people.directory",
    "onboarding.journeys",
    "onboarding.journeys.machine",
    "onboarding.journeys.refs",
    "onboarding.journeys.link_tokens",
    "onboarding.people.access",
    "onboarding.journeys.sweeps",
    "onboarding.provider.account_events",
}


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_connect_imports_nothing_of_the_app():
    package = Path(onboarding.identity.__file__).parent
    offending = {
        (path.name, module)
        for path in package.glob("*.py")
        for module in imported_modules(path)
        if module in APP_MODULES
    }
    assert offending == set()


def test_connect_domain_knows_no_web_framework():
    package = Path(onboarding.identity.__file__).parent
    for path in package.glob("*.py"):
        modules = imported_modules(path)
        assert not any(m.split(".")[0] in {"flask", "celery", "web", "workers"} for m in modules)
