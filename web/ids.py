"""Ids of rows in URLs and forms: whole numbers that fit the database's id columns.

A larger number names no row, so it is "not found" (in a path) or a bad request (in a form),
never a database error.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1  # INTEGER primary keys (PostgreSQL int4)


class IdConverter(IntegerConverter):
    """`<int:...>` in the app's routes: at most MAX_ID, so that larger ids do not match."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_ids(app: Flask) -> None:
    """Call before any route is added: rules take their converters when added."""
    app.url_map.converters["int"] = IdConverter


def parse_id(raw: str | None) -> int | None:
    """The id written in `raw` (ASCII digits, 1 to MAX_ID), else None."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_ID)):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None
