"""Every refusal that onboarding/ and web/ make is a catalog message, its values kept apart in
`params`, with a Dutch translation: a page writes the values for its reader and never shows a
Dutch reader an English refusal."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from onboarding.dashboard.bulk_invite import Refusal
from onboarding.errors import DomainError
from onboarding.journeys.invitations import LinkNotUsable
from onboarding.journeys.link_tokens import TokenCheck, TokenStatus
from onboarding.journeys.machine import TRIGGERS, InvalidTransition, JourneyState, allowed_triggers
from onboarding.typed_text import plain_text
from tests.helpers import translated_ids
from web.oidc import LoginFailed

PACKAGES = ("onboarding", "web")
# What refuses besides DomainError and its kinds, and which of its arguments are messages.
OTHER_REFUSALS: list[tuple[Callable[..., Any], tuple[str, ...]]] = [
    (LoginFailed, ("message",)),  # a log-in with the provider that did not complete
    (Refusal, ("message",)),  # a row of a CSV import
    (plain_text, ("not_allowed", "too_long")),  # the refusals of a typed one-line value
]


class NotACatalogMessage(Exception):
    """A message made at run time (an f-string, a concatenation, % or .format)."""


def modules() -> Iterator[ModuleType]:
    for package in PACKAGES:
        path = importlib.import_module(package).__path__
        for info in pkgutil.walk_packages(path, f"{package}."):
            if ".migrations" not in info.name:
                yield importlib.import_module(info.name)


def message_parameters(callee: object) -> tuple[str, ...]:
    """The names of `callee`'s message arguments; none when it is no refusal, or one that
    chooses its message itself (checked below) or is worded rule by rule (PolicyError)."""
    for other, names in OTHER_REFUSALS:
        if callee is other:
            return names
    if isinstance(callee, type) and issubclass(callee, DomainError):
        return ("message",) if "message" in inspect.signature(callee).parameters else ()
    return ()


def named(module: ModuleType, node: ast.expr) -> object:
    """What a call's `node` (a name, or a module's or class's attribute) is in `module`."""
    if isinstance(node, ast.Name):
        return vars(module).get(node.id)
    if isinstance(node, ast.Attribute):
        owner = named(module, node.value)
        return getattr(owner, node.attr, None) if isinstance(owner, ModuleType | type) else None
    return None


def argument(call: ast.Call, callee: Any, name: str) -> ast.expr | None:
    given = next((keyword.value for keyword in call.keywords if keyword.arg == name), None)
    if given is not None:
        return given
    positions = list(inspect.signature(callee).parameters)
    position = positions.index(name) if name in positions else len(call.args)
    return call.args[position] if position < len(call.args) else None


class Messages:
    """The messages one module gives its refusals."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.tree = ast.parse(Path(str(module.__file__)).read_text())
        self.parents = {
            child: parent
            for parent in ast.walk(self.tree)
            for child in ast.iter_child_nodes(parent)
        }

    def __iter__(self) -> Iterator[tuple[int, ast.expr | None]]:
        """(line, message argument) of each refusal made here."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                callee = named(self.module, node.func)
                for name in message_parameters(callee):
                    yield node.lineno, argument(node, callee, name)

    def texts(self, node: ast.expr | None) -> list[str]:
        """The messages `node` may be: a string, a constant of the module, an entry of its
        table of messages, a row of the literal table a loop goes through, or a message the
        callers of a refusal helper pass (checked where they call it)."""
        if node is None:
            raise NotACatalogMessage("no message")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
            return [node.value]
        if isinstance(node, ast.IfExp):
            return self.texts(node.body) + self.texts(node.orelse)
        if isinstance(node, ast.Name):
            if (loop := self._loop_binding(node)) is not None:
                return loop
            if self._passed_by_callers(node):
                return []
            value = vars(self.module).get(node.id)
            if isinstance(value, str) and value:
                return [value]
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            table = vars(self.module).get(node.value.id)
            if isinstance(table, dict) and all(isinstance(text, str) for text in table.values()):
                # An empty entry stands for a state that is no refusal.
                return [text for text in table.values() if text]
        raise NotACatalogMessage(ast.unparse(node))

    def _enclosing(self, node: ast.AST) -> Iterator[ast.AST]:
        while node in self.parents:
            node = self.parents[node]
            yield node

    def _loop_binding(self, name: ast.Name) -> list[str] | None:
        for loop in self._enclosing(name):
            if not isinstance(loop, ast.For) or not isinstance(loop.target, ast.Tuple):
                continue
            targets = [t.id if isinstance(t, ast.Name) else None for t in loop.target.elts]
            if name.id not in targets:
                continue
            column = targets.index(name.id)
            if isinstance(loop.iter, ast.Tuple | ast.List):
                rows = [row for row in loop.iter.elts if isinstance(row, ast.Tuple)]
                return [text for row in rows for text in self.texts(row.elts[column])]
            table = vars(self.module).get(loop.iter.id) if isinstance(loop.iter, ast.Name) else None
            if isinstance(table, list | tuple):
                return [self._text(row[column]) for row in table]
        return None

    def _passed_by_callers(self, name: ast.Name) -> bool:
        function = next(
            (node for node in self._enclosing(name) if isinstance(node, ast.FunctionDef)), None
        )
        if function is None:
            return False
        parameters = [*function.args.args, *function.args.kwonlyargs]
        return name.id in {parameter.arg for parameter in parameters} and bool(
            message_parameters(vars(self.module).get(function.name))
        )

    @staticmethod
    def _text(value: object) -> str:
        if not isinstance(value, str) or not value:
            raise NotACatalogMessage(repr(value))
        return value


def test_every_refusal_is_a_catalog_message_with_a_dutch_translation():
    dutch = translated_ids("nl")
    made_at_run_time, untranslated = [], []
    for module in modules():
        messages = Messages(module)
        where = Path(str(module.__file__)).relative_to(Path(__file__).parents[2])
        for line, node in messages:
            try:
                texts = messages.texts(node)
            except NotACatalogMessage as made:
                made_at_run_time.append(f"{where}:{line}: {made}")
                continue
            untranslated += [f"{where}:{line}: {text}" for text in texts if text not in dutch]
    assert made_at_run_time == []
    assert untranslated == []


def test_a_refusal_that_chooses_its_own_message_chooses_a_catalog_message():
    refusals: list[DomainError] = [
        InvalidTransition(trigger, state)
        for state in JourneyState
        for trigger in TRIGGERS
        if trigger not in allowed_triggers(state)
    ]
    refusals += [
        LinkNotUsable(TokenCheck(status))
        for status in TokenStatus
        if status is not TokenStatus.valid
    ]
    assert {error.message for error in refusals} - translated_ids("nl") == set()
