"""Connect's domain stands on its own: of the project it imports only its own package and the
shared infrastructure, never the app's people, journeys, dashboard or provider seam; and no web
framework or task queue."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import onboarding.identity

PACKAGE = Path(onboarding.identity.__file__).parent
# What Connect may use of the project, each with its submodules.
ALLOWED = (
    "onboarding.identity",
    "onboarding.invitation_proof",
    "onboarding.settings",
    "onboarding.db",
    "onboarding.clock",
    "onboarding.errors",
    "onboarding.i18n",
    "onboarding.languages",
    "onboarding.outbox",
    "onboarding.mail",
    "onboarding.email_address",
    "onboarding.typed_text",
    "onboarding.link_secrets",
    "onboarding.rate_limits",
    "onboarding.logs",
)
PROJECT = {"onboarding", "web", "workers", "tests"}
FRAMEWORKS = {"flask", "celery"}

PROBE = """
import importlib, pkgutil, sys
import onboarding.identity
for module in pkgutil.walk_packages(onboarding.identity.__path__, "onboarding.identity."):
    importlib.import_module(module.name)
print("\\n".join(sorted(sys.modules)))
"""


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, and for `from a import b` also `a.b` (b may be a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # A relative import stays inside Connect's package.
            module = node.module if node.level == 0 else "onboarding.identity"
            found.add(module or "onboarding.identity")
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def allowed(module: str) -> bool:
    """Whether Connect may import `module`: third-party, or an allowed part of the project."""
    top = module.split(".")[0]
    if top in FRAMEWORKS:
        return False
    if top not in PROJECT or module == "onboarding":
        return True
    return any(module == name or module.startswith(f"{name}.") for name in ALLOWED)


def test_connect_imports_only_itself_and_the_shared_infrastructure_of_the_project():
    offending = {
        (path.name, module)
        for path in PACKAGE.rglob("*.py")
        for module in imported_modules(path)
        if not allowed(module)
    }
    assert offending == set()


def test_what_connect_imports_imports_nothing_else_of_the_project_either():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = result.stdout.split()
    assert "onboarding.identity.accounts" in loaded
    assert [module for module in loaded if not allowed(module)] == []


def test_the_allowlist_refuses_the_app_and_the_frameworks():
    for module in (
        "onboarding.journeys",
        "onboarding.people.models",
        "onboarding.provider.account_events",
        "onboarding.dashboard",
        "web.connect",
        "workers.tasks",
        "flask",
        "celery.schedules",
    ):
        assert not allowed(module), module
    assert allowed("sqlalchemy.orm") and allowed("onboarding.outbox.models")
