"""Bulk invitation from CSV: per-row report, nothing written for refused rows or dry runs."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from onboarding.dashboard.bulk_invite import MAX_FILE_BYTES, bulk_invite
from onboarding.db import unit_of_work
from onboarding.errors import ValidationError
from onboarding.journeys import link_tokens
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent, LinkToken
from onboarding.outbox.models import OutboxMessage
from onboarding.people.models import Person
from tests import helpers
from tests.helpers import organization
from tests.integration.dashboard.test_api import bearer
from tests.integration.dashboard.test_pages import csrf_of, person, two_organizations

HEADER = "first_name,last_name,email,language,roles\n"
MIXED = (
    HEADER
    + "Ann,Able,ann@example.com,en,viewer\n"  # row 2: fine
    + "Bob,Bad,not-an-address,en,viewer\n"  # row 3: bad email
    + "Cy,Cee,cy@example.com,en,pilot\n"  # row 4: unknown role
    + "Di,Dup,ANN@example.com,nl,editor\n"  # row 5: duplicate of row 2 in the file
    + "Ed,Exists,ed@example.com,en,viewer\n"  # row 6: already has a journey in Acme
    + "Flo,None,flo@example.com,en,\n"  # row 7: no role
    + "Gil,Good,gil@example.com,nl,viewer;editor\n"  # row 8: fine, two roles
)


def counts(factory):
    with factory() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Person, Journey, JourneyEvent, LinkToken, OutboxMessage)
        )


@pytest.fixture
def acme(factory):
    with unit_of_work(factory) as session:
        org = organization(session, "Acme")
        helpers.journey(session, org, email="ed@example.com")
        return org.id


def run(factory, organization_id, text, dry_run):
    with unit_of_work(factory) as session:
        from onboarding.people.models import Organization

        org = session.get(Organization, organization_id)
        return bulk_invite(session, org, text, dry_run=dry_run, actor="boss@acme.example")


def test_each_bad_row_is_reported_with_its_row_number(factory, acme):
    report = run(factory, acme, MIXED, dry_run=True)
    refused = {row.row: row.refused for row in report.refused}
    assert sorted(refused) == [3, 4, 5, 6, 7]
    assert refused[3].startswith("bad email")
    assert refused[4].startswith("unknown role 'pilot'")
    assert refused[5] == "duplicate: ann@example.com is already on row 2"
    assert refused[6].startswith("duplicate: ed@example.com is already in Acme")
    assert refused[7].startswith("no role")
    assert [row.row for row in report.accepted] == [2, 8]


def test_a_dry_run_writes_nothing_at_all(factory, acme):
    before = counts(factory)
    run(factory, acme, MIXED, dry_run=True)
    assert counts(factory) == before


def test_the_real_run_invites_the_good_rows_and_nothing_for_the_bad(factory, acme):
    report = run(factory, acme, MIXED, dry_run=False)
    assert len(report.accepted) == 2
    with factory() as session:
        emails = set(session.scalars(select(Person.email)))
        assert {"ann@example.com", "gil@example.com"} <= emails
        assert not {"not-an-address", "cy@example.com", "flo@example.com"} & emails
        gil = session.scalar(
            select(Journey)
            .join(Person, Person.id == Journey.person_id)
            .where(Person.email == "gil@example.com")
        )
        assert gil.state is JourneyState.invited
        assert [r.name for r in gil.roles] == ["editor", "viewer"]
        assert [(e.trigger, e.to_state) for e in gil.events] == [
            ("create", JourneyState.created),
            ("invite", JourneyState.invited),
        ]
        mail = session.scalar(select(OutboxMessage).where(OutboxMessage.journey_id == gil.id))
        assert (mail.status, mail.payload["to"], mail.payload["language"]) == (
            "pending",
            "gil@example.com",
            "nl",
        )
        raw = mail.payload["context"]["accept_url"].rsplit("/", 1)[1]
        assert (
            link_tokens.check(session, raw, link_tokens.INVITATION, gil.invited_at).status
            is link_tokens.TokenStatus.valid
        )
        # Ed's existing journey is untouched.
        ed = session.scalar(
            select(Journey)
            .join(Person, Person.id == Journey.person_id)
            .where(Person.email == "ed@example.com")
        )
        assert ed.state is JourneyState.created


def test_running_the_same_file_twice_refuses_every_row_the_second_time(factory, acme):
    run(factory, acme, MIXED, dry_run=False)
    before = counts(factory)
    again = run(factory, acme, MIXED, dry_run=False)
    assert again.accepted == []
    assert counts(factory) == before


def test_a_file_without_the_columns_is_refused_as_a_whole(factory, acme):
    with pytest.raises(ValidationError, match="missing: language, roles"):
        run(factory, acme, "first_name,last_name,email\nA,B,a@example.com\n", dry_run=True)


def test_csv_page_dry_run_then_invite(client, factory, log_in):
    ids = two_organizations(factory)
    log_in(client, person(factory, ids["acme_admin"]))
    token = csrf_of(client.get("/admin/onboarding/invite").get_data(as_text=True))
    text = HEADER + "Ann,Able,ann@example.com,en,viewer\nBob,Bad,bob@,en,viewer\n"
    from io import BytesIO

    dry = client.post(
        "/admin/onboarding/invite",
        data={
            "csrf_token": token,
            "organization": ids["acme"],
            "run": "dry_run",
            "file": (BytesIO(text.encode()), "people.csv"),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "will be invited" in dry and "refused: bad email" in dry
    with factory() as session:
        assert session.scalar(select(Person).where(Person.email == "ann@example.com")) is None
    done = client.post(
        "/admin/onboarding/invite",
        data={"csrf_token": token, "organization": ids["acme"], "run": "invite", "csv_text": text},
    ).get_data(as_text=True)
    assert "1 person invited to Acme; 1 rows refused" in re.sub(r"\s+", " ", done)


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        (HEADER.encode() + b"x" * MAX_FILE_BYTES, "The file is larger than 5 MB; split it."),
        (HEADER.encode() + "Zoë,Z,z@example.com,nl,viewer\n".encode("latin-1"), "UTF-8"),
    ],
    ids=["too large", "not UTF-8"],
)
def test_a_file_too_large_or_not_utf8_is_refused_alike_on_the_page_and_by_the_api(
    client, factory, log_in, body, refusal
):
    ids = two_organizations(factory)
    before = counts(factory)
    log_in(client, person(factory, ids["acme_admin"]))
    token = csrf_of(client.get("/admin/onboarding/invite").get_data(as_text=True))
    # The form's body written out: the test client would spool a large upload to a file of its
    # own that nothing closes.
    fields = {"csrf_token": token, "organization": str(ids["acme"]), "run": "invite"}
    form = b"".join(
        f'--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    form += b'--b\r\nContent-Disposition: form-data; name="file"; filename="people.csv"\r\n'
    form += b"Content-Type: text/csv\r\n\r\n" + body + b"\r\n--b--\r\n"
    page = client.post(
        "/admin/onboarding/invite", data=form, content_type="multipart/form-data; boundary=b"
    )
    api = client.post(
        "/api/invitations",
        data=body,
        headers={**bearer(ids["acme_token"]), "Content-Type": "text/csv"},
    )
    assert page.status_code == api.status_code == 422
    assert refusal in page.get_data(as_text=True)
    assert refusal in api.json["error"]["message"]
    assert counts(factory) == before


def test_an_admin_of_acme_cannot_invite_into_globex_nor_see_its_people(client, factory, log_in):
    ids = two_organizations(factory)
    log_in(client, person(factory, ids["acme_admin"]))
    token = csrf_of(client.get("/admin/onboarding/invite").get_data(as_text=True))
    text = HEADER + "Gus,G,gus@globex.example,en,viewer\n"
    into_globex = client.post(
        "/admin/onboarding/invite",
        data={
            "csrf_token": token,
            "organization": ids["globex"],
            "run": "dry_run",
            "csv_text": text,
        },
    )
    assert into_globex.status_code == 403
    # In Acme's own report, Globex's member is a new person: nothing about Globex leaks.
    into_acme = client.post(
        "/admin/onboarding/invite",
        data={"csrf_token": token, "organization": ids["acme"], "run": "dry_run", "csv_text": text},
    ).get_data(as_text=True)
    assert "will be invited" in into_acme and "Globex" not in into_acme
