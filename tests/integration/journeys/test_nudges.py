"""Nudges: each stuck state gets its reminder after its delay, within the caps, once."""

import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.errors import NotFound
from onboarding.journeys import link_tokens, refs, reminders
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.journeys.nudges import send_nudges
from onboarding.mail import compose_bytes
from onboarding.outbox import delivery
from onboarding.outbox.models import OutboxMessage
from tests import helpers
from tests.helpers import link_token
from tests.mailbox import Mailbox, parsed
from workers import tasks

S = JourneyState
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def nudge_mails(factory):
    with unit_of_work(factory) as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like("nudge:%"))
            .order_by(OutboxMessage.id)
        )
        return [(row.journey_id, row.payload["template"], row.payload) for row in rows]


def run(factory, at):
    with unit_of_work(factory) as session:
        return send_nudges(session, at)


def in_state(factory, state, start, language="en"):
    with unit_of_work(factory) as session:
        journey = helpers.journey(session, language=language, now=start)
        for trigger in helpers.PATHS[state]:
            helpers.fire(session, journey.id, trigger, start)
        return journey.id


@pytest.mark.parametrize(
    ("state", "kind", "delay", "path"),
    [
        (S.invited, "invited", 3 * DAY, "http://app.test/invitations/"),
        (S.registered, "registered", 12 * HOUR, "http://connect.test/register?"),
        (S.activated, "activated", DAY, "http://app.test/login"),
        (S.logged_in, "logged_in", DAY, "http://app.test/measurements"),
    ],
)
def test_a_stuck_journey_gets_its_nudge_after_its_delay_and_only_once(
    factory, settings, state, kind, delay, path
):
    start = utcnow()
    journey_id = in_state(factory, state, start, language="nl")
    assert run(factory, start + delay - HOUR) == 0
    assert run(factory, start + delay + HOUR) == 1
    for later in (start + delay + 2 * HOUR, start + delay + 20 * HOUR):
        assert run(factory, later) == 0
    ((nudged, template, payload),) = nudge_mails(factory)
    assert (nudged, template) == (journey_id, f"nudge_{kind}")
    assert payload["context"]["url"].startswith(path)
    message = parsed(
        compose_bytes(template, payload["language"], payload["context"], settings, to=payload["to"])
    )
    assert payload["context"]["url"] in message.get_body(("plain",)).get_content()
    assert message["Content-Language"] == "nl"
    with unit_of_work(factory) as session:
        journey = session.get(Journey, journey_id)
        event = journey.events[-1]
        assert (event.trigger, event.from_state, event.to_state, event.actor) == (
            "nudge",
            state,
            state,
            "nudges",
        )
        assert event.detail == {"kind": kind}
        assert journey.state is state


def test_an_opened_invitation_gets_no_never_opened_nudge(factory):
    start = utcnow()
    journey_id = in_state(factory, S.invited, start)
    with unit_of_work(factory) as session:
        journey = session.get(Journey, journey_id)
        session.add(
            JourneyEvent(
                journey=journey,
                at=start + HOUR,
                actor=journey.person.email,
                trigger="link_opened",
                from_state=S.invited,
                to_state=S.invited,
            )
        )
    assert run(factory, start + 4 * DAY) == 0


def test_the_registered_nudge_turns_into_the_activation_expired_one(factory, settings):
    start = utcnow()
    journey_id = in_state(factory, S.registered, start)
    assert run(factory, start + 13 * HOUR) == 1
    assert run(factory, start + 26 * HOUR) == 0  # at most one per person per day
    assert run(factory, start + 38 * HOUR) == 1
    templates = [template for _, template, _ in nudge_mails(factory)]
    assert templates == ["nudge_registered", "nudge_activation_expired"]
    _, _, payload = nudge_mails(factory)[-1]
    query = parse_qs(urlsplit(payload["context"]["url"]).query)
    assert query["email"] == [payload["to"]]
    assert refs.read_ref(query["ref"][0], settings) == journey_id
    assert query["return_to"] == ["http://app.test/login"]


def test_an_expiring_invitation_is_nudged_with_its_expiry_date(factory, settings):
    start = utcnow()
    in_state(factory, S.activated, start)
    use_settings_schedule(factory, settings, activated=None)
    assert run(factory, start + 26 * DAY) == 0
    assert run(factory, start + 27 * DAY + HOUR) == 1
    ((_, template, payload),) = nudge_mails(factory)
    assert template == "nudge_expiring"
    assert payload["context"]["url"] == "http://app.test/login"
    assert run(factory, start + 29 * DAY) == 0
    subject = parsed(compose_bytes(template, "en", payload["context"], settings))["Subject"]
    assert subject.startswith("Your invitation to Measurements expires on ")


def test_a_short_invitation_is_not_reminded_before_half_its_lifetime(factory, settings):
    factory.configure(info={"settings": settings.with_overrides(invitation_ttl=3 * DAY)})
    start = utcnow()
    in_state(factory, S.invited, start)
    use_settings_schedule(factory, settings, invited=None)  # the expiry warning (3 d) alone
    assert run(factory, start + 15 * timedelta(seconds=1)) == 0
    assert run(factory, start + 36 * HOUR - HOUR) == 0
    assert run(factory, start + 36 * HOUR) == 1
    ((_, template, _),) = nudge_mails(factory)
    assert template == "nudge_expiring"


def use_settings_schedule(factory, settings, **changes):
    schedule = dict(settings.nudge_schedule)
    for kind, delay in changes.items():
        if delay is None:
            schedule.pop(kind)
        else:
            schedule[kind] = delay
    factory.configure(info={"settings": settings.with_overrides(nudge_schedule=schedule)})


def test_the_cap_per_journey_holds_across_many_runs(factory, settings):
    factory.configure(info={"settings": settings.with_overrides(nudge_cap=1)})
    start = utcnow()
    journey_id = in_state(factory, S.invited, start)
    sent = sum(run(factory, start + n * 12 * HOUR) for n in range(0, 70))
    assert sent == 1
    with unit_of_work(factory) as session:
        events = session.scalars(
            select(JourneyEvent).where(
                JourneyEvent.journey_id == journey_id, JourneyEvent.trigger == "nudge"
            )
        ).all()
    assert len(events) == 1


def test_without_a_cap_a_journey_gets_each_kind_once_and_never_two_in_a_day(factory):
    start = utcnow()
    in_state(factory, S.invited, start)
    runs = [start + n * 6 * HOUR for n in range(0, 130)]  # every 6 hours for 32 days
    sent_at = [at for at in runs if run(factory, at)]
    assert [t for _, t, _ in nudge_mails(factory)] == ["nudge_invited", "nudge_expiring"]
    assert sent_at[1] - sent_at[0] >= DAY


def test_one_person_invited_twice_gets_at_most_one_nudge_a_day(factory):
    start = utcnow()
    with unit_of_work(factory) as session:
        first = helpers.journey(session, email="twice@example.com", now=start)
        second = helpers.journey(session, email="twice@example.com", now=start)
        for journey in (first, second):
            helpers.fire(session, journey.id, "invite", start)
    assert run(factory, start + 3 * DAY + HOUR) == 1
    assert run(factory, start + 3 * DAY + 2 * HOUR) == 0
    assert run(factory, start + 4 * DAY + 2 * HOUR) == 1
    assert {j for j, _, _ in nudge_mails(factory)} == {first.id, second.id}


def test_an_invitation_nudge_brings_a_fresh_link_and_code_and_the_first_ones_keep_working(
    factory,
):
    start = utcnow()
    journey_id = in_state(factory, S.invited, start)
    run(factory, start + 3 * DAY + HOUR)
    with unit_of_work(factory) as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.journey_id == journey_id)
            .order_by(OutboxMessage.id)
        ).all()
        links = [
            row.payload["context"].get("accept_url") or row.payload["context"]["url"]
            for row in rows
        ]
        assert len(set(links)) == 2
        for link in links:
            raw = link.rsplit("/", 1)[1]
            check = link_tokens.check(
                session, raw, link_tokens.INVITATION, start + 3 * DAY + 2 * HOUR
            )
            assert check.status is link_tokens.TokenStatus.valid
        codes = [row.payload["context"]["join_code"] for row in rows]
        assert len(set(codes)) == 2
        for code in codes:
            check = link_tokens.check_code(session, code, start + 3 * DAY + 2 * HOUR)
            assert check.status is link_tokens.TokenStatus.valid and check.journey.id == journey_id


def test_nudges_are_delivered_like_any_mail(factory, settings):
    box = Mailbox().start()
    try:
        factory.configure(info={"settings": settings.with_overrides(smtp_url=box.url)})
        start = utcnow()
        in_state(factory, S.logged_in, start, language="nl")
        run(factory, start + DAY + HOUR)
        delivery.deliver_due(factory)
        invitation, nudge = box.messages  # the invitation mail is in the outbox too
        assert nudge["Subject"].startswith("Accepteer je uitnodiging voor Org ")
        assert "http://app.test/measurements" in nudge.get_body(("html",)).get_content()
    finally:
        box.stop()


def test_two_nudge_runs_at_once_queue_each_nudge_once(factory, monkeypatch):
    start = utcnow()
    for state in (S.invited, S.activated, S.logged_in):
        in_state(factory, state, start)
    monkeypatch.setattr(tasks, "utcnow", lambda: start + 3 * DAY + HOUR)
    monkeypatch.setattr(tasks.deliver_outbox, "delay", lambda: None)
    results = []
    with unit_of_work(factory) as session:
        first = send_nudges(session, start + 3 * DAY + HOUR)
        # The second run starts while the first has not committed: it waits for the first's
        # lock (SQLite) or its unique outbox keys (PostgreSQL), then queues nothing.
        second = threading.Thread(target=lambda: results.append(tasks.send_nudges()))
        second.start()
        time.sleep(0.3)
    second.join(30)
    assert (first, results) == (3, [0])
    assert len(nudge_mails(factory)) == 3


def test_a_nudge_carries_one_click_unsubscribe_headers_through_a_real_smtp_server(
    factory, settings
):
    box = Mailbox().start()
    try:
        factory.configure(info={"settings": settings.with_overrides(smtp_url=box.url)})
        start = utcnow()
        journey_id = in_state(factory, S.activated, start)
        run(factory, start + DAY + HOUR)
        delivery.deliver_due(factory)
        invitation, nudge = box.messages
        url = nudge["List-Unsubscribe"].removeprefix("<").removesuffix(">")
        assert url.startswith("http://app.test/reminders/stop/")
        assert nudge["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert url in nudge.get_body(("plain",)).get_content()
        assert f'href="{url}"' in nudge.get_body(("html",)).get_content()
        assert invitation["List-Unsubscribe"] is None
        with unit_of_work(factory) as session:
            assert reminders.journey_of(session, link_token(url)).id == journey_id
    finally:
        box.stop()


def test_stopped_reminders_end_every_later_nudge_and_leave_the_invitation_as_it_was(factory):
    start = utcnow()
    journey_id = in_state(factory, S.invited, start)
    run(factory, start + 3 * DAY + HOUR)
    [(_, _, payload)] = nudge_mails(factory)
    with unit_of_work(factory) as session:
        for _ in range(2):  # a second click, or the provider repeating its POST
            reminders.stop_reminders(session, link_token(payload["context"]["unsubscribe_url"]))
    # The next one due (expiring) is not sent.
    with unit_of_work(factory) as session:
        expires_at = session.get_one(Journey, journey_id).expires_at
    assert run(factory, expires_at - DAY) == 0
    with unit_of_work(factory) as session:
        journey = session.get_one(Journey, journey_id)
        assert (journey.state, journey.expires_at) == (S.invited, expires_at)
        facts = [e.trigger for e in journey.events]
        assert facts.count("reminders_stopped") == 1
    assert len(nudge_mails(factory)) == 1


def test_a_forged_or_foreign_stop_link_is_not_found(factory, settings):
    with unit_of_work(factory) as session:
        journey = helpers.journey(session)
        forged = reminders.stop_url(journey.id, settings.with_overrides(secret_key="x" * 32))
        for token in (link_token(forged), "garbage", "A" * 300):
            with pytest.raises(NotFound):
                reminders.stop_reminders(session, token)
