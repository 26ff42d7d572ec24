"""Fetches of the mailed link, through the app: a scanner's prefetch is told from a person."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.dashboard.diagnosis import load_and_diagnose
from onboarding.dashboard.link_hits import MAX_RECORDED
from onboarding.db import unit_of_work
from onboarding.journeys.history import Fact
from onboarding.journeys.models import Journey
from onboarding.outbox.models import OutboxMessage
from tests import helpers
from tests.helpers import organization


@pytest.fixture
def link(factory):
    """An invited journey whose mail was delivered `ago` before now; returns (id, path)."""

    def make(ago: timedelta) -> tuple[int, str]:
        with unit_of_work(factory) as session:
            journey = helpers.journey(
                session, organization(session, "Acme"), email="ivy@example.com"
            )
            journeys.invite(session, journey.id, actor="admin")
            mail = session.scalar(
                select(OutboxMessage).where(OutboxMessage.journey_id == journey.id)
            )
            mail.status, mail.sent_at = "sent", utcnow() - ago
            path = "/" + mail.payload["context"]["accept_url"].split("/", 3)[3]
            return journey.id, path

    return make


def diagnosis(factory, journey_id):
    with factory() as session:
        return [
            f.code for f in load_and_diagnose(session, session.get(Journey, journey_id), utcnow())
        ]


def test_a_get_within_seconds_of_delivery_is_a_scanner(client, factory, link):
    journey_id, path = link(timedelta(seconds=1))
    client.get(path, headers={"User-Agent": "SafeLinks/1.0"})
    assert diagnosis(factory, journey_id) == ["link_opened_by_scanner_only"]


def test_a_head_request_is_a_scanner_whenever_it_comes(client, factory, link):
    journey_id, path = link(timedelta(hours=3))
    client.head(path)
    assert diagnosis(factory, journey_id) == ["link_opened_by_scanner_only"]


def test_a_later_get_is_a_person_who_did_not_continue(client, factory, link):
    journey_id, path = link(timedelta(hours=3))
    client.head(path)
    client.get(path, headers={"User-Agent": "Mozilla/5.0"})
    assert diagnosis(factory, journey_id) == ["opened_not_continued"]
    with factory() as session:
        events = session.get(Journey, journey_id).events
        fetches = [e.detail for e in events if e.trigger == Fact.link_fetched]
        assert [f["method"] for f in fetches] == ["HEAD", "GET"]
        assert fetches[1]["user_agent"] == "Mozilla/5.0"
        assert {e.to_state for e in events if e.trigger == Fact.link_fetched} == {
            events[-1].from_state
        }


def test_fetches_of_unknown_links_and_many_repeats_are_not_recorded(client, factory, link):
    journey_id, path = link(timedelta(hours=3))
    client.get("/invitations/" + "x" * 43)
    for _ in range(MAX_RECORDED + 5):
        client.head(path)
    with factory() as session:
        events = session.get(Journey, journey_id).events
        assert sum(e.trigger == Fact.link_fetched for e in events) == MAX_RECORDED
