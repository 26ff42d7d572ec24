"""Jinja's i18n extension with the catalog applied when a template compiles.

Every language has an Environment of its own (see compose.py), so its catalog is known before
any template compiles. A `{% trans %}` block without a plural then compiles to the translated
text with its variables in place, and `_("literal")` to the translated literal, instead of a
gettext call through Jinja's runtime on every render (about two thirds of a mail's rendering
time). The output is the same as newstyle gettext's: the translation is trusted text, the
variables are escaped where autoescaping is on. Plural blocks keep their runtime ngettext.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from jinja2 import Environment, nodes
from jinja2.ext import InternationalizationExtension
from jinja2.lexer import (
    TOKEN_LPAREN,
    TOKEN_NAME,
    TOKEN_PIPE,
    TOKEN_RPAREN,
    TOKEN_STRING,
    Token,
    TokenStream,
)

# What newstyle gettext's `translation % variables` expands: a named value or a literal "%".
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


class TranslatedAtCompile(InternationalizationExtension):
    """Use with `Environment.extend(catalog=<gettext translations of the language>)`."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        """`_("literal")` becomes `"translation"|safe`: newstyle gettext marks it safe too."""
        window: list[Token] = []
        for token in stream:
            window.append(token)
            if len(window) < 4:
                continue
            name, lparen, literal, rparen = window
            if (
                name.test(f"{TOKEN_NAME}:_")
                and lparen.type == TOKEN_LPAREN
                and literal.type == TOKEN_STRING
                and rparen.type == TOKEN_RPAREN
            ):
                lineno = name.lineno
                yield Token(lineno, TOKEN_STRING, self._translate(literal.value).replace("%%", "%"))
                yield Token(lineno, TOKEN_PIPE, "|")
                yield Token(lineno, TOKEN_NAME, "safe")
                window.clear()
            else:
                yield window.pop(0)
        yield from window

    def _make_node(  # type: ignore[override]
        self,
        singular: str,
        plural: str | None,
        context: str | None,
        variables: dict[str, nodes.Expr],
        plural_expr: nodes.Expr | None,
        vars_referenced: bool,
        num_called_num: bool,
    ) -> nodes.Output:
        if plural_expr is not None or context is not None:
            return super()._make_node(
                singular, plural, context, variables, plural_expr, vars_referenced, num_called_num
            )
        parts: list[nodes.Expr] = []
        text = self._translate(singular)
        position = 0
        for match in _PLACEHOLDER.finditer(text):
            literal = text[position : match.start()]
            if match.group(1) is None:
                literal += "%"
            if literal:
                parts.append(nodes.TemplateData(literal))
            if match.group(1) is not None:
                # A KeyError here is a translation naming a variable its source text lacks.
                parts.append(copy.deepcopy(variables[match.group(1)]))
            position = match.end()
        if text[position:]:
            parts.append(nodes.TemplateData(text[position:]))
        return nodes.Output(parts)

    def _translate(self, message: str) -> str:
        catalog: Any = getattr(self.environment, "catalog")  # noqa: B009 (set by extend())
        return str(catalog.gettext(message))


def install(env: Environment, catalog: Any) -> None:
    """Give `env` (built with `TranslatedAtCompile`) the catalog of its language."""
    env.extend(catalog=catalog)
