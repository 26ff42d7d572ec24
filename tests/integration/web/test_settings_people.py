"""Settings > People: administrators manage the people of their own organizations only."""

import pytest
from sqlalchemy import func, select

from onboarding.db import unit_of_work
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.outbox.models import OutboxMessage
from onboarding.people.models import Person
from tests.helpers import admin_of, invitee, log_in_to_app, member, organization


@pytest.fixture
def two_orgs(factory):
    """Organizations A and B, each with an administrator and one invitee."""
    with unit_of_work(factory) as session:
        a, b = organization(session, "Alpha"), organization(session, "Beta")
        admin_a, admin_b = admin_of(session, a), admin_of(session, b)
        ann, bob = (
            invitee(session, a, email="ann@a.example"),
            invitee(session, b, email="bob@b.example"),
        )
        session.expunge_all()
        return {"a": a, "b": b, "admin_a": admin_a, "admin_b": admin_b, "ann": ann, "bob": bob}


def state_of(factory, journey_id):
    with unit_of_work(factory) as session:
        return session.get(Journey, journey_id).state


def test_people_pages_need_a_log_in(client, two_orgs):
    response = client.get("/settings/people")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/settings/people")


def test_a_person_who_administers_nothing_gets_403(client, factory, two_orgs):
    with unit_of_work(factory) as session:
        viewer = member(session, two_orgs["a"], roles=("viewer",)).person
        session.expunge(viewer)
    log_in_to_app(client, viewer)
    assert client.get("/settings/people").status_code == 403
    assert client.get(f"/settings/people/{two_orgs['a'].id}").status_code == 403
    assert 'href="/settings/people"' not in client.get("/measurements").get_data(as_text=True)


def test_an_admin_sees_their_organization_with_each_journey_state(client, two_orgs):
    log_in_to_app(client, two_orgs["admin_a"])
    response = client.get("/settings/people", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Alpha" in page and "ann@a.example" in page and "invited" in page
    assert "Beta" not in page and "bob@b.example" not in page


def test_an_admin_of_a_can_never_see_or_change_b(client, factory, two_orgs):
    b, bob = two_orgs["b"], two_orgs["bob"]
    log_in_to_app(client, two_orgs["admin_a"])
    assert client.get(f"/settings/people/{b.id}").status_code == 403
    form = {"first_name": "Eve", "email": "eve@example.com", "roles": "viewer", "then": "invite"}
    assert client.post(f"/settings/people/{b.id}", data=form).status_code == 403
    assert client.post(f"/settings/people/{b.id}/journeys/{bob.id}/revoke").status_code == 403
    # B's journey through A's address is not there at all.
    a = two_orgs["a"]
    assert client.post(f"/settings/people/{a.id}/journeys/{bob.id}/revoke").status_code == 404
    assert state_of(factory, bob.id) is JourneyState.invited
    with unit_of_work(factory) as session:
        assert session.scalar(select(Person).where(Person.email == "eve@example.com")) is None


def test_a_superadmin_sees_every_organization(client, factory, two_orgs):
    with unit_of_work(factory) as session:
        root = Person(email="root@example.com", first_name="Root", last_name="", is_superadmin=True)
        session.add(root)
        session.flush()
        session.expunge(root)
    log_in_to_app(client, root)
    page = client.get("/settings/people").get_data(as_text=True)
    assert "Alpha" in page and "Beta" in page
    bob_page = client.get(f"/settings/people/{two_orgs['b'].id}").get_data(as_text=True)
    assert "bob@b.example" in bob_page
    assert client.get("/settings/people/999999").status_code == 404


def test_creating_and_inviting_a_person_confirms_and_mails_the_invitation(
    client, factory, two_orgs
):
    a = two_orgs["a"]
    log_in_to_app(client, two_orgs["admin_a"])
    form = {
        "first_name": "Carl",
        "last_name": "Sagan",
        "email": "Carl@Example.com",
        "language": "nl",
        "roles": ["editor", "viewer"],
        "then": "invite",
    }
    page = client.post(f"/settings/people/{a.id}", data=form, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Carl Sagan (carl@example.com) was added to Alpha with the roles editor, viewer" in text
    assert "and invited; the invitation is valid until" in text
    with unit_of_work(factory) as session:
        journey = session.scalars(
            select(Journey).join(Journey.person).where(Person.email == "carl@example.com")
        ).one()
        assert journey.state is JourneyState.invited
        assert journey.invited_by_id == two_orgs["admin_a"].id
        assert journey.person.language == "nl"
        mail = session.scalars(
            select(OutboxMessage).where(OutboxMessage.journey_id == journey.id)
        ).one()
        assert mail.payload["to"] == "carl@example.com" and mail.payload["language"] == "nl"


def test_zero_roles_is_refused_with_the_clear_message_and_nothing_is_written(
    client, factory, two_orgs
):
    a = two_orgs["a"]
    log_in_to_app(client, two_orgs["admin_a"])
    form = {"first_name": "Dora", "email": "dora@example.com", "then": "invite"}
    response = client.post(f"/settings/people/{a.id}", data=form)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose at least one role: a person without a role cannot use Alpha" in text
    assert 'value="dora@example.com"' in text  # the form keeps what was typed
    with unit_of_work(factory) as session:
        assert session.scalar(select(Person).where(Person.email == "dora@example.com")) is None


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        (
            {"first_name": "X", "email": "not-an-address", "roles": "viewer"},
            422,
            "not a valid email",
        ),
        (
            {"first_name": "", "email": "x@example.com", "roles": "viewer"},
            422,
            "First name is required",
        ),
        ({"first_name": "X", "email": "x@example.com", "roles": "pilot"}, 422, "has no role"),
        (
            {"first_name": "X", "email": "ann@a.example", "roles": "viewer"},
            409,
            "already has an open",
        ),
    ],
)
def test_bad_input_gets_a_clear_message(client, two_orgs, form, status, message):
    log_in_to_app(client, two_orgs["admin_a"])
    response = client.post(f"/settings/people/{two_orgs['a'].id}", data=form)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_create_without_inviting_then_invite(client, factory, two_orgs):
    a = two_orgs["a"]
    log_in_to_app(client, two_orgs["admin_a"])
    form = {"first_name": "Eve", "email": "eve@example.com", "roles": "viewer", "then": ""}
    text = client.post(f"/settings/people/{a.id}", data=form, follow_redirects=True).get_data(
        as_text=True
    )
    assert "Click Invite to send the invitation" in text
    with unit_of_work(factory) as session:
        journey = session.scalars(
            select(Journey).join(Journey.person).where(Person.email == "eve@example.com")
        ).one()
    assert journey.state is JourneyState.created
    text = client.post(
        f"/settings/people/{a.id}/journeys/{journey.id}/invite", follow_redirects=True
    ).get_data(as_text=True)
    assert "Invitation sent to eve@example.com; it is valid until" in text
    assert state_of(factory, journey.id) is JourneyState.invited


def test_resend_revoke_and_reinvite_each_confirm_what_they_did(client, factory, two_orgs):
    a, ann = two_orgs["a"], two_orgs["ann"]
    log_in_to_app(client, two_orgs["admin_a"])
    base = f"/settings/people/{a.id}/journeys/{ann.id}"
    steps = [
        (
            "resend",
            "Invitation mailed again to ann@a.example; links in earlier mails keep working",
            JourneyState.invited,
        ),
        (
            "revoke",
            "Invitation of ann@a.example revoked; every link mailed to them stopped working",
            JourneyState.revoked,
        ),
        ("reinvite", "ann@a.example was invited again, valid until", JourneyState.invited),
    ]
    for action, message, state in steps:
        text = client.post(
            f"{base}/{action}", data={"confirmed": "yes"}, follow_redirects=True
        ).get_data(as_text=True)
        assert message in text
        assert state_of(factory, ann.id) is state
    with unit_of_work(factory) as session:
        triggers = session.scalars(
            select(JourneyEvent.trigger)
            .where(JourneyEvent.journey_id == ann.id)
            .order_by(JourneyEvent.id)
        ).all()
        actors = set(
            session.scalars(
                select(JourneyEvent.actor).where(
                    JourneyEvent.journey_id == ann.id,
                    JourneyEvent.trigger.in_(["resend", "revoke", "reinvite"]),
                )
            )
        )
        mails = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.journey_id == ann.id)
        )
    assert triggers[-3:] == ["resend", "revoke", "reinvite"]
    assert actors == {two_orgs["admin_a"].email}
    assert mails == 3  # invite, resend, reinvite


def test_an_action_the_state_does_not_allow_is_refused_clearly(client, factory, two_orgs):
    log_in_to_app(client, two_orgs["admin_a"])
    response = client.post(
        f"/settings/people/{two_orgs['a'].id}/journeys/{two_orgs['ann'].id}/reinvite"
    )
    assert response.status_code == 422
    assert "That is not possible at the step Invited." in response.get_data(as_text=True)
    assert (
        client.post(
            f"/settings/people/{two_orgs['a'].id}/journeys/{two_orgs['ann'].id}/delete"
        ).status_code
        == 404
    )


def test_each_row_offers_only_the_actions_its_state_allows(client, two_orgs):
    log_in_to_app(client, two_orgs["admin_a"])
    page = client.get(f"/settings/people/{two_orgs['a'].id}").get_data(as_text=True)
    ann_row = page.split("ann@a.example</td>")[1].split("</tr>")[0]
    assert "Resend" in ann_row and "Revoke" in ann_row and "Re-invite" not in ann_row


def test_a_persons_page_shows_the_full_history_within_the_organization_only(client, two_orgs):
    a, b, ann, bob = two_orgs["a"], two_orgs["b"], two_orgs["ann"], two_orgs["bob"]
    log_in_to_app(client, two_orgs["admin_a"])
    client.post(f"/settings/people/{a.id}/journeys/{ann.id}/resend")
    page = client.get(f"/settings/people/{a.id}/journeys/{ann.id}").get_data(as_text=True)
    for what in ("Added", "Invitation sent again", "Added → Invited", two_orgs["admin_a"].email):
        assert what in page
    assert client.get(f"/settings/people/{a.id}/journeys/{bob.id}").status_code == 404
    assert client.get(f"/settings/people/{b.id}/journeys/{bob.id}").status_code == 403


def test_an_admin_erases_a_person_only_once_the_box_is_ticked(client, factory, two_orgs):
    a, ann = two_orgs["a"], two_orgs["ann"]
    log_in_to_app(client, two_orgs["admin_a"])
    page = f"/settings/people/{a.id}/journeys/{ann.id}"
    assert "Erase ann@a.example for good" in client.get(page).get_data(as_text=True)
    unconfirmed = client.post(f"{page}/erase", data={})
    assert unconfirmed.status_code == 422
    assert "Tick the box" in unconfirmed.get_data(as_text=True)
    with unit_of_work(factory) as session:
        assert session.get_one(Person, ann.person_id).email == "ann@a.example"
    done = client.post(f"{page}/erase", data={"confirm": "erase"}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert done.status_code == 200
    assert f"they now appear as erased-{ann.person_id}@erased.invalid" in text
    assert "ann@a.example" not in text
    assert "Erase this person" not in client.get(page).get_data(as_text=True)


def test_an_admin_of_a_cannot_erase_or_export_a_person_of_b(client, factory, two_orgs):
    a, b, bob = two_orgs["a"], two_orgs["b"], two_orgs["bob"]
    log_in_to_app(client, two_orgs["admin_a"])
    data = {"confirm": "erase"}
    assert (
        client.post(f"/settings/people/{b.id}/journeys/{bob.id}/erase", data=data).status_code
        == 403
    )
    assert (
        client.post(f"/settings/people/{a.id}/journeys/{bob.id}/erase", data=data).status_code
        == 404
    )
    assert client.get(f"/settings/people/{b.id}/journeys/{bob.id}/export.json").status_code == 403
    with unit_of_work(factory) as session:
        assert session.get_one(Person, bob.person_id).email == "bob@b.example"


def test_a_person_in_two_organizations_is_erased_only_by_an_admin_of_both(
    client, factory, two_orgs
):
    a, b = two_orgs["a"], two_orgs["b"]
    with unit_of_work(factory) as session:
        in_b = invitee(session, b, email="ann@a.example")
    log_in_to_app(client, two_orgs["admin_a"])
    refused = client.post(
        f"/settings/people/{a.id}/journeys/{two_orgs['ann'].id}/erase", data={"confirm": "erase"}
    )
    assert refused.status_code == 403
    assert "organizations you do not administer" in refused.get_data(as_text=True)
    with unit_of_work(factory) as session:
        assert session.get_one(Person, in_b.person_id).email == "ann@a.example"


def test_an_admin_downloads_what_is_kept_of_a_person_as_json(client, two_orgs):
    a, ann = two_orgs["a"], two_orgs["ann"]
    log_in_to_app(client, two_orgs["admin_a"])
    response = client.get(f"/settings/people/{a.id}/journeys/{ann.id}/export.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = response.json
    assert data["person"]["email"] == "ann@a.example"
    [journey] = data["journeys"]
    assert journey["organization"] == "Alpha" and journey["state"] == "invited"
    assert [event["what"] for event in journey["history"]] == ["create", "invite"]
    assert [mail["template"] for mail in journey["mails"]] == ["invitation"]
