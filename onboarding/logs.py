"""Structured logs: one JSON object a line, each carrying the request id it was written under.

A request id names one piece of work across processes: the web request that caused it
(`X-Request-ID`, taken from the client or the proxy in front, or made here), the outbox rows it
wrote, the worker's task that its commit kicked, and the SMTP transaction of each mail. Any log
line written while an id is bound carries it, as does any outbox row written meanwhile.

Log lines name rows by id and routes by their rule (`/invitations/<token>`), never by a path
or a value a person typed: no token, password or link secret is ever written to a log.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
_TASK_ID: ContextVar[str | None] = ContextVar("task_id", default=None)
# What a request id given by a client may look like: short, and nothing that could forge a line.
_GIVEN_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# The attributes every LogRecord has; any other attribute was passed in `extra`.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "task_id",
}
_HANDLER_NAME = "onboarding"
# One encoder for every line: `json.dumps` with options makes a new one at each call.
_JSON = json.JSONEncoder(default=str, ensure_ascii=False)


def request_id_from(given: str | None) -> str:
    """`given` when it is a usable request id, else a new one."""
    if given and _GIVEN_ID.fullmatch(given):
        return given
    return secrets.token_hex(16)


def current_request_id() -> str | None:
    """The request id bound in this context (a request, or a task one kicked), if any."""
    return _REQUEST_ID.get()


def bind(request_id: str | None, task_id: str | None = None) -> Callable[[], None]:
    """Bind `request_id` (and `task_id`) to what runs from now on, its log lines and outbox
    rows, until the function returned is called: it restores the ids bound before."""
    request_token, task_token = _REQUEST_ID.set(request_id), _TASK_ID.set(task_id)

    def unbind() -> None:
        _REQUEST_ID.reset(request_token)
        _TASK_ID.reset(task_token)

    return unbind


@contextmanager
def bound(request_id: str | None, task_id: str | None = None) -> Iterator[None]:
    """Bind `request_id` (and `task_id`) to what runs inside, its log lines and outbox rows."""
    unbind = bind(request_id, task_id)
    try:
        yield
    finally:
        unbind()


class ContextFilter(logging.Filter):
    """Puts the bound request and task ids on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # A record that names its own request (a mail sent for a row) keeps it.
        if not hasattr(record, "request_id"):
            record.request_id = _REQUEST_ID.get()
        if not hasattr(record, "task_id"):
            record.task_id = _TASK_ID.get()
        return True


class JSONFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message, ids, then its extra fields."""

    def __init__(self) -> None:
        super().__init__()
        # The time to the second, written once a second rather than at every line.
        self._second: tuple[int, str] = (-1, "")

    def _time(self, created: float) -> str:
        """`created` in ISO 8601 to the millisecond, in UTC: what `datetime` writes."""
        second = int(created)
        micro = round((created - second) * 1_000_000)  # rounded as `datetime` does
        if micro == 1_000_000:
            second, micro = second + 1, 0
        written, up_to_the_second = self._second  # one read: other threads may write it
        if written != second:
            up_to_the_second = datetime.fromtimestamp(second, UTC).isoformat()[: -len("+00:00")]
            self._second = (second, up_to_the_second)
        return f"{up_to_the_second}.{micro // 1000:03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("request_id", "task_id"):
            if getattr(record, name, None):
                line[name] = getattr(record, name)
        line |= {k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _JSON.encode(line)


class TextFormatter(logging.Formatter):
    """A record as one readable line, its ids and extra fields as key=value after the message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        fields = {name: getattr(record, name, None) for name in ("request_id", "task_id")}
        fields |= {k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS}
        pairs = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
        return f"{super().format(record)} {pairs}".rstrip()


def configure_logging(log_format: str = "json", level: str | int = "INFO") -> None:
    """Send every log record to stderr as `log_format` ("json" or "text"), from `level` up.

    Replaces the handler an earlier call installed, so that calling it again is harmless.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JSONFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
