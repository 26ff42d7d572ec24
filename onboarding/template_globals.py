"""Jinja environments whose templates read the environment's globals as they are."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from jinja2 import Environment


class SharedGlobals(Environment):
    """A Jinja environment whose templates read its globals themselves.

    Jinja gives each template a ChainMap of its own globals over the environment's, which every
    render copies key by key (and every `{% import %}` compares with the importer's); templates
    here have none of their own, and the copy is then a dict's.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return self.globals if not d else super().make_globals(d)
