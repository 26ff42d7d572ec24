"""Log in with an OpenID Connect provider found by discovery (a strict one on loopback):
PKCE S256, state and nonce, and the ID token's signature, issuer and audience all checked.
The stand-in sends no account events, as a foreign provider would not."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from onboarding import invitation_proof
from onboarding.db import unit_of_work
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.people.models import Person
from onboarding.settings import use_settings
from tests.helpers import csrf_token, invitation_path, invitee, organization
from tests.oidc_provider import Provider, serve_provider
from web import create_app

ANN = {"sub": "connect-ann", "email": "ann@example.com", "email_verified": True}


@pytest.fixture
def provider(settings):
    provider = Provider(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        redirect_uri=f"{settings.app_base_url}/auth/callback",
        user=dict(ANN),
    )
    with serve_provider(provider):
        use_settings(settings.with_overrides(oidc_issuer=provider.issuer))
        yield provider


@pytest.fixture
def client(factory, provider):
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()


@pytest.fixture
def ann(factory):
    with unit_of_work(factory) as session:
        journey = invitee(session, organization(session, "Acme"), email="ann@example.com")
        return journey.id, invitation_path(session, journey)


def log_in_with_provider(client):
    start = client.get("/login/connect")
    assert start.status_code == 302, start.get_data(as_text=True)
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302
    callback = urlsplit(at_provider.headers["Location"])
    assert callback.path == "/auth/callback"
    return client.get(f"/auth/callback?{callback.query}")


def state_of(factory, journey_id):
    with unit_of_work(factory) as session:
        return session.get(Journey, journey_id).state


def test_logging_in_links_the_subject_records_log_in_and_lands_on_measurements(
    client, factory, provider, ann
):
    journey_id, _path = ann
    response = log_in_with_provider(client)
    assert response.status_code == 302 and response.headers["Location"] == "/measurements"
    page = client.get("/measurements").get_data(as_text=True)
    assert "Invitation to Acme" in page and "Signed in as ann@example.com" in page
    assert state_of(factory, journey_id) is JourneyState.logged_in
    with unit_of_work(factory) as session:
        person = session.scalar(select(Person).where(Person.email == "ann@example.com"))
        assert person.connect_subject == "connect-ann"


def test_the_authorization_request_uses_pkce_s256_state_and_nonce(client, provider, ann):
    log_in_with_provider(client)
    request = provider.authorize_requests[-1]
    assert request["code_challenge_method"] == "S256" and len(request["code_challenge"]) == 43
    assert request["state"] and request["nonce"]
    assert set(request["scope"].split()) == {"openid", "email", "profile"}


def test_every_log_in_draws_its_own_state_nonce_and_verifier(client, provider):
    starts = [
        parse_qs(urlsplit(client.get("/login/connect").headers["Location"]).query) for _ in range(2)
    ]
    for name, shortest in (("state", 30), ("nonce", 20), ("code_challenge", 43)):
        first, second = (start[name][0] for start in starts)
        assert first != second and len(first) >= shortest


def test_the_authorization_request_names_the_invited_address_and_the_persons_language(
    client, factory, provider, ann
):
    journey_id, path = ann
    with unit_of_work(factory) as session:
        session.get(Journey, journey_id).person.language = "nl"
    client.post(path)
    log_in_with_provider(client)
    request = provider.authorize_requests[-1]
    assert (request["login_hint"], request["ui_locales"]) == ("ann@example.com", "nl")


def test_an_issuer_parameter_naming_the_provider_is_accepted(client, factory, provider, ann):
    provider.promises_iss, provider.iss_parameter = True, "own"
    assert log_in_with_provider(client).headers["Location"] == "/measurements"


@pytest.mark.parametrize(
    ("promises_iss", "iss_parameter"),
    [(True, "https://elsewhere.example"), (False, "https://elsewhere.example"), (True, None)],
    ids=["another-issuer", "another-issuer-unannounced", "promised-but-missing"],
)
def test_an_issuer_parameter_not_naming_the_provider_logs_nobody_in(
    client, factory, provider, ann, promises_iss, iss_parameter
):
    provider.promises_iss, provider.iss_parameter = promises_iss, iss_parameter
    response = log_in_with_provider(client)
    assert response.status_code == 400
    assert "did not come from where it should" in response.get_data(as_text=True)
    assert state_of(factory, ann[0]) is JourneyState.invited


def test_the_login_goes_back_where_the_person_wanted_to_go(client, factory, provider, ann):
    client.get("/login?next=/settings/people")
    assert log_in_with_provider(client).headers["Location"] == "/settings/people"


def test_an_offsite_next_is_ignored(client, provider, ann):
    client.get("/login?next=https://evil.example/")
    assert log_in_with_provider(client).headers["Location"] == "/measurements"


def test_the_log_in_page_gives_a_visitor_going_home_no_cookie(client, provider, ann):
    page = client.get("/login")
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers


def test_a_later_log_in_page_without_a_target_forgets_the_earlier_one(client, provider, ann):
    client.get("/login?next=/settings/people")
    client.get("/login")
    assert log_in_with_provider(client).headers["Location"] == "/measurements"


def test_registering_with_another_address_still_finds_the_invitation_opened_here(
    client, factory, provider, ann
):
    journey_id, path = ann
    client.post(path)
    provider.user = {"sub": "connect-b", "email": "b@other.example", "email_verified": True}
    assert log_in_with_provider(client).headers["Location"] == "/login/confirm-invitation"
    assert client.post("/login/confirm-invitation").headers["Location"] == "/measurements"
    page = client.get("/measurements").get_data(as_text=True)
    assert "You are signed in as <strong>b@other.example</strong>" in page
    assert "Accept with this account" in page
    client.post(f"/measurements/invitations/{journey_id}/accept")
    assert state_of(factory, journey_id) is JourneyState.accepted


VICTIM = {"sub": "connect-victim", "email": "victim@example.net", "email_verified": True}


def traces_of_the_victim(factory, journey_id):
    """What the journey's history (the inviting admin's view) tells about the victim."""
    with unit_of_work(factory) as session:
        journey = session.get(Journey, journey_id)
        return [
            e.trigger
            for e in journey.events
            if {"victim@example.net", "connect-victim"} & {e.actor, *map(str, e.detail.values())}
        ]


def subject_of_ann(factory):
    with unit_of_work(factory) as session:
        return session.scalar(
            select(Person.connect_subject).where(Person.email == "ann@example.com")
        )


def test_a_link_planted_by_navigation_links_nobody_at_the_victims_log_in(factory, provider, ann):
    journey_id, path = ann
    victim = create_app({"TESTING": True}).test_client()
    assert victim.get(path).status_code == 200  # a page of the attacker's navigates here
    provider.user = dict(VICTIM)
    response = log_in_with_provider(victim)
    assert response.status_code == 403
    assert "No invitation for victim@example.net" in response.get_data(as_text=True)
    assert subject_of_ann(factory) is None
    assert state_of(factory, journey_id) is JourneyState.invited
    assert traces_of_the_victim(factory, journey_id) == []


def test_an_invitation_opened_in_the_browser_links_only_after_a_confirmation_naming_both_addresses(
    factory, provider, ann
):
    journey_id, path = ann
    victim = create_app({"TESTING": True}).test_client()
    victim.post(path, data={"csrf_token": csrf_token(victim.get(path).get_data(as_text=True))})
    provider.user = dict(VICTIM)
    response = log_in_with_provider(victim)
    assert response.headers["Location"] == "/login/confirm-invitation"
    page = victim.get("/login/confirm-invitation").get_data(as_text=True)
    assert "as <strong>victim@example.net</strong>" in page
    assert "is for <strong>ann@example.com</strong>" in page
    assert victim.get("/measurements").status_code == 302  # not logged in yet
    assert victim.post("/login/confirm-invitation").status_code == 400  # CSRF
    assert subject_of_ann(factory) is None
    assert traces_of_the_victim(factory, journey_id) == []

    confirmed = victim.post("/login/confirm-invitation", data={"csrf_token": csrf_token(page)})
    assert confirmed.headers["Location"] == "/measurements"
    assert subject_of_ann(factory) == "connect-victim"
    assert state_of(factory, journey_id) is JourneyState.logged_in
    assert traces_of_the_victim(factory, journey_id)[:1] == ["account_linked"]


def test_logging_in_with_another_account_instead_forgets_the_unconfirmed_one(
    client, factory, provider, ann
):
    journey_id, path = ann
    client.post(path)
    provider.user = dict(VICTIM)
    log_in_with_provider(client)
    provider.user = dict(ANN)
    assert log_in_with_provider(client).headers["Location"] == "/measurements"
    assert client.post("/login/confirm-invitation").headers["Location"] == "/login"
    assert subject_of_ann(factory) == "connect-ann"
    assert traces_of_the_victim(factory, journey_id) == []


def test_an_account_nobody_invited_is_told_so_and_not_logged_in(client, provider, ann):
    provider.user = {"sub": "connect-x", "email": "x@example.com", "email_verified": True}
    response = log_in_with_provider(client)
    assert response.status_code == 403
    assert "No invitation for x@example.com" in response.get_data(as_text=True)
    assert client.get("/measurements").status_code == 302


@pytest.mark.parametrize("tamper", ["nonce", "issuer", "audience", "key"])
def test_an_id_token_that_does_not_verify_logs_nobody_in(client, factory, provider, ann, tamper):
    provider.tamper = tamper
    response = log_in_with_provider(client)
    assert response.status_code == 400
    assert "did not complete" in response.get_data(as_text=True)
    assert client.get("/measurements").status_code == 302
    assert state_of(factory, ann[0]) is JourneyState.invited


def test_an_id_token_signed_by_a_key_published_since_the_last_log_in_verifies(
    client, factory, provider, ann
):
    assert log_in_with_provider(client).headers["Location"] == "/measurements"
    provider.key = RSAKey.generate_key(2048, {"kid": "k2"})
    assert log_in_with_provider(client).headers["Location"] == "/measurements"


def test_a_callback_with_a_foreign_state_is_refused(client, factory, provider, ann):
    start = client.get("/login/connect")
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    query = parse_qs(urlsplit(at_provider.headers["Location"]).query)
    response = client.get(f"/auth/callback?code={query['code'][0]}&state=forged")
    assert response.status_code == 400
    assert state_of(factory, ann[0]) is JourneyState.invited


def test_a_callback_in_another_browser_is_refused(factory, provider, ann):
    victim = create_app({"TESTING": True}).test_client()
    attacker = create_app({"TESTING": True}).test_client()
    start = attacker.get("/login/connect")
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    response = victim.get(
        urlsplit(at_provider.headers["Location"]).path
        + "?"
        + urlsplit(at_provider.headers["Location"]).query
    )
    assert response.status_code == 400


def test_an_error_from_the_provider_is_shown_plainly(client, provider):
    response = client.get("/auth/callback?error=access_denied&error_description=User+said+no")
    assert response.status_code == 400
    assert "User said no" in response.get_data(as_text=True)


def test_a_provider_announcing_another_issuer_is_refused(client, provider, settings):
    use_settings(
        settings.with_overrides(oidc_issuer=provider.issuer.replace("127.0.0.1", "localhost"))
    )
    app = create_app({"TESTING": True})
    response = app.test_client().get("/login/connect")
    assert response.status_code == 502
    assert "identifies itself as" in response.get_data(as_text=True)


def test_an_unreachable_provider_gives_a_clear_503(factory, settings):
    use_settings(settings.with_overrides(oidc_issuer="http://127.0.0.1:9"))
    response = create_app({"TESTING": True}).test_client().get("/login/connect")
    assert response.status_code == 503
    assert "cannot be reached right now" in response.get_data(as_text=True)


def test_an_email_given_only_by_userinfo_is_fetched_from_there(client, factory, provider, ann):
    provider.userinfo_only = ("email", "email_verified")
    assert log_in_with_provider(client).headers["Location"] == "/measurements"
    assert state_of(factory, ann[0]) is JourneyState.logged_in


def test_an_unverified_email_does_not_find_the_invited_person(client, factory, provider, ann):
    provider.user = {**ANN, "email_verified": False}
    assert log_in_with_provider(client).status_code == 403
    assert state_of(factory, ann[0]) is JourneyState.invited


def test_a_journey_with_a_provider_that_sends_no_events_ends_accepted_with_every_step(
    client, factory, provider, ann
):
    journey_id, path = ann
    client.post(path)
    log_in_with_provider(client)
    client.post(f"/measurements/invitations/{journey_id}/accept")
    with unit_of_work(factory) as session:
        journey = session.get(Journey, journey_id)
        assert journey.state is JourneyState.accepted
        triggers = [e.trigger for e in journey.events if e.from_state is not e.to_state]
        assert triggers[-5:] == ["invite", "register", "activate", "log_in", "accept"]
        assert all(
            e.detail.get("recorded_at") == "log-in"
            for e in journey.events
            if e.trigger in ("register", "activate")
        )


def register_from_invitation(client, provider, path):
    """Create your account on the invitation page, through the provider, back to the app."""
    chosen = client.post(path, data={"then": "create"})
    assert chosen.headers["Location"] == "/login/create-account"
    start = client.get("/login/create-account")
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    callback = urlsplit(at_provider.headers["Location"])
    return client.get(f"/auth/callback?{callback.query}")


def test_creating_an_account_from_the_invitation_asks_the_provider_to_register_the_invitee(
    client, settings, provider, ann
):
    _journey_id, path = ann
    register_from_invitation(client, provider, path)
    request = provider.authorize_requests[-1]
    assert request["prompt"] == "create"
    proof = invitation_proof.read(request["invitation"], settings)
    assert proof is not None
    assert (proof.email, proof.first_name, proof.language) == ("ann@example.com", "Ada", "en")


def test_an_address_the_invitation_proved_records_register_and_activate_before_log_in(
    client, factory, provider, ann
):
    journey_id, path = ann
    provider.user = {**ANN, "email_verified_by": "invitation"}
    response = register_from_invitation(client, provider, path)
    assert response.headers["Location"] == "/measurements"
    with unit_of_work(factory) as session:
        history = session.scalars(
            select(JourneyEvent)
            .where(JourneyEvent.journey_id == journey_id)
            .order_by(JourneyEvent.id)
        ).all()
        steps = {e.trigger: e.detail for e in history}
    assert [e.trigger for e in history][-3:] == ["register", "activate", "log_in"]
    assert steps["register"]["address_verified_by"] == "invitation link"
    assert steps["activate"] == {"address_verified_by": "invitation link"}


def test_reloading_the_callback_says_what_happened_and_what_to_do(client, factory, provider, ann):
    first = log_in_with_provider(client)
    assert first.status_code == 302
    reloaded = client.get(first.request.full_path)
    page = reloaded.get_data(as_text=True)
    assert reloaded.status_code == 400
    assert "already used" in page and "CSRF" not in page
    assert 'href="/measurements"' in page


def test_a_browser_that_starts_many_log_ins_keeps_only_the_newest_few(client, provider):
    states = [
        parse_qs(urlsplit(client.get("/login/connect").headers["Location"]).query)["state"][0]
        for _ in range(10)
    ]
    with client.session_transaction() as session:
        pending = sorted(key for key in session if key.startswith("_state_"))
    assert pending == sorted(f"_state_connect_{state}" for state in states[-3:])


@pytest.fixture
def changed_by_someone_else(factory):
    """The first time a request is about to write a journey, another transaction changes that
    journey and commits first, as an account event arriving at /hooks/identity would."""
    if factory.kw["bind"].dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers: there is no race to lose there")
    changed: list[int] = []

    def change_first(session, _flush_context, _instances):
        journey_ids = [o.id for o in session.dirty if isinstance(o, Journey)]
        if journey_ids and not changed:
            changed.extend(journey_ids)
            with factory() as other, other.begin():
                other.execute(
                    update(Journey)
                    .where(Journey.id.in_(journey_ids))
                    .values(version=Journey.version + 1)
                )

    event.listen(Session, "before_flush", change_first)
    yield changed
    event.remove(Session, "before_flush", change_first)


def test_a_journey_changed_by_someone_else_during_the_callback_still_logs_in(
    client, factory, provider, ann, changed_by_someone_else
):
    journey_id, _path = ann
    response = log_in_with_provider(client)
    assert changed_by_someone_else == [journey_id]
    assert response.status_code == 302 and response.headers["Location"] == "/measurements"
    assert state_of(factory, journey_id) is JourneyState.logged_in
