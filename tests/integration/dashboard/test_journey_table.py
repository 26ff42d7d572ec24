"""The journey table: filters, sort, keyset pages, last mail and nudges."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.dashboard.filters import JourneyFilter
from onboarding.dashboard.journey_table import SORTS, TableQuery, page
from onboarding.errors import ValidationError
from onboarding.journeys import history
from onboarding.journeys.machine import JourneyState as S
from tests import helpers
from tests.helpers import organization

NOW = utcnow().replace(microsecond=0)


@pytest.fixture
def seven(session):
    """Seven invited journeys, invited 1..7 days ago; the oldest got two nudges."""
    org = organization(session, "Acme")
    made = []
    for days in range(1, 8):
        journey = helpers.journey(
            session, org, email=f"p{days}@example.com", now=NOW - timedelta(days=days)
        )
        journeys.invite(session, journey.id, actor="x", now=NOW - timedelta(days=days))
        made.append(journey)
    for _ in range(2):
        history.note(session, made[-1], "nudge", actor="nudges", now=NOW)
    session.flush()
    return made


def all_pages(session, query):
    rows, cursor = [], None
    while True:
        found = page(session, TableQuery(**{**query, "after": cursor}), NOW)
        rows += found.rows
        cursor = found.next_cursor
        if cursor is None:
            return rows


@pytest.mark.parametrize("sort", list(SORTS))
def test_keyset_pages_return_every_row_once_in_order(session, seven, sort):
    rows = all_pages(session, {"filters": JourneyFilter(), "sort": sort, "limit": 3})
    assert len(rows) == 7 and len({r.id for r in rows}) == 7
    one_page = page(session, TableQuery(JourneyFilter(), sort=sort, limit=7), NOW).rows
    assert [r.id for r in rows] == [r.id for r in one_page]


def test_longest_in_state_comes_first_with_mail_and_nudges(session, seven):
    first = page(session, TableQuery(JourneyFilter(), limit=1), NOW).rows[0]
    assert first.email == "p7@example.com"
    assert first.time_in_state(NOW) == timedelta(days=7)
    assert first.nudges == 2
    assert first.last_mail is not None and first.last_mail.status == "pending"
    assert first.roles == ["viewer"]


def test_stuck_more_than_n_days(session, seven):
    rows = all_pages(session, {"filters": JourneyFilter(), "stuck_days": 5})
    assert sorted(r.email for r in rows) == ["p6@example.com", "p7@example.com"]


def test_filter_by_state(session, seven):
    journeys.revoke(session, seven[0].id, actor="x", now=NOW)
    rows = page(session, TableQuery(JourneyFilter(), state=S.revoked), NOW).rows
    assert [r.email for r in rows] == ["p1@example.com"]


def test_a_forged_cursor_is_refused_clearly(session, seven):
    with pytest.raises(ValidationError, match="cursor"):
        page(session, TableQuery(JourneyFilter(), after="bm9wZQ"), NOW)
