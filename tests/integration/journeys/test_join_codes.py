"""Every invitation link is issued with its own join code, stored only as its HMAC, which
leads to the same invitation as the link."""

from __future__ import annotations

from sqlalchemy import select

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.dashboard.bulk_invite import bulk_invite
from onboarding.db import unit_of_work
from onboarding.journeys import join_codes, link_tokens
from onboarding.journeys.link_tokens import TokenStatus
from onboarding.journeys.models import Journey, LinkToken
from onboarding.outbox.models import OutboxMessage
from tests.helpers import invitee, join_code, organization


def invitation_codes(session, journey_id):
    """The join codes of the journey's invitation mails, oldest first."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.journey_id == journey_id, OutboxMessage.kind == "mail")
        .order_by(OutboxMessage.id)
    )
    return [row.payload["context"]["join_code"] for row in rows]


def test_each_invitation_mail_carries_its_own_code_and_the_table_keeps_only_its_hmac(
    factory, settings
):
    with unit_of_work(factory) as session:
        journey = invitee(session, organization(session))
        journeys.resend(session, journey.id, actor="admin@example.com")
        codes = invitation_codes(session, journey.id)
        stored = session.scalars(select(LinkToken).where(LinkToken.journey_id == journey.id))
        rows = [(token.token_hash, token.code_hash) for token in stored]
    assert len(codes) == len(set(codes)) == len(rows) == 2
    plain = {code.replace("-", "") for code in codes}
    assert {code_hash for _, code_hash in rows} == {
        join_codes.digest(code, settings.secret_key) for code in plain
    }
    assert not any(code in value for code in plain for row in rows for value in row)


def test_a_resent_invitation_keeps_the_earlier_code_working(factory):
    with unit_of_work(factory) as session:
        journey = invitee(session, organization(session))
        first = join_code(session, journey)
        journeys.resend(session, journey.id, actor="admin@example.com")
        second = join_code(session, journey)
        for code in (first, second):
            check = link_tokens.check_code(session, code, utcnow())
            assert check.status is TokenStatus.valid and check.journey == journey


def test_bulk_invite_mails_every_journey_a_code_of_its_own_that_leads_to_it(factory):
    text = "first_name,last_name,email,language,roles\n" + "".join(
        f"P{n},Q,p{n}@example.com,en,viewer\n" for n in range(5)
    )
    with unit_of_work(factory) as session:
        org = organization(session)
        bulk_invite(session, org, text, dry_run=False, actor="boss@example.com")
    with unit_of_work(factory) as session:
        ids = session.scalars(select(Journey.id).where(Journey.organization_id == org.id)).all()
        codes = {journey_id: invitation_codes(session, journey_id) for journey_id in ids}
        assert all(len(mailed) == 1 for mailed in codes.values())
        for journey_id, (code,) in codes.items():
            check = link_tokens.check_code(session, code, utcnow())
            assert check.status is TokenStatus.valid and check.journey.id == journey_id


def test_a_code_already_taken_is_drawn_again(factory, monkeypatch):
    with unit_of_work(factory) as session:
        taken = join_code(session, invitee(session, organization(session))).replace("-", "")
        free = "ABCDEFGH" if taken != "ABCDEFGH" else "ABCDEFGJ"
        drawn = iter([taken, taken, free])
        monkeypatch.setattr(join_codes, "new", lambda: next(drawn))
        journey = invitee(session, organization(session, "Other"))
        assert join_code(session, journey) == join_codes.shown(free)
