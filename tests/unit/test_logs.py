"""Request ids a client may give, and the JSON line a record becomes."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from onboarding.logs import ContextFilter, JSONFormatter, bound, request_id_from


def test_a_usable_request_id_is_kept_and_anything_else_replaced_by_a_new_one():
    assert request_id_from("edge-7f3a.1:2_b") == "edge-7f3a.1:2_b"
    for given in (None, "", "a" * 65, 'x"}\n{"level": "INFO"', "spaces are not ids"):
        made = request_id_from(given)
        assert made != given and len(made) == 32 and made.isalnum()
    assert request_id_from(None) != request_id_from(None)


def test_a_record_is_one_json_line_with_the_bound_ids_and_its_extra_fields():
    record = logging.LogRecord("web", logging.INFO, __file__, 1, "mail %s", ("accepted",), None)
    record.outbox_id = 7
    with bound("req-1", "task-1"):
        ContextFilter().filter(record)
    line = JSONFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line) | {"time": None} == {
        "time": None,
        "level": "INFO",
        "logger": "web",
        "message": "mail accepted",
        "request_id": "req-1",
        "task_id": "task-1",
        "outbox_id": 7,
    }


def test_a_record_that_names_its_own_request_keeps_it():
    record = logging.LogRecord("outbox", logging.INFO, __file__, 1, "mail accepted", (), None)
    record.request_id = None  # a row written outside any request
    with bound("req-of-the-task"):
        ContextFilter().filter(record)
    assert "request_id" not in json.loads(JSONFormatter().format(record))


def test_the_time_is_the_moment_of_the_record_to_the_millisecond_in_utc():
    formatter = JSONFormatter()
    for created in (0.0, 1767225599.9995, 1767225599.9999996, 1767225600.123, 1767225600.5):
        record = logging.LogRecord("web", logging.INFO, __file__, 1, "request", (), None)
        record.created = created
        written = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
        assert json.loads(formatter.format(record))["time"] == written
