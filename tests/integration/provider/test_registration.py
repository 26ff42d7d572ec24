"""The one registration URL of the app's provider, used by the login page and the nudges."""

from urllib.parse import parse_qs, urlsplit

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.journeys.nudges import next_step
from onboarding.journeys.refs import read_ref
from onboarding.provider.registration import registration_url
from tests.helpers import invitee, organization


def test_the_registration_goes_to_the_apps_provider_with_the_address_and_the_reference(
    session, settings
):
    settings = settings.with_overrides(
        oidc_issuer="https://idp.example/realms/acme", connect_issuer="https://connect.example"
    )
    journey = invitee(session, organization(session), email="ann@example.com")
    url = urlsplit(registration_url(settings, journey))
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://idp.example/realms/acme/register"
    query = parse_qs(url.query)
    assert query["email"] == ["ann@example.com"]
    assert read_ref(query["ref"][0], settings) == journey.id
    assert query["return_to"] == ["http://app.test/login"]


def test_without_a_journey_the_registration_only_returns_to_the_login_page(settings):
    assert registration_url(settings) == (
        "http://connect.test/register?return_to=http%3A%2F%2Fapp.test%2Flogin"
    )


def test_the_nudge_of_a_registered_journey_links_to_the_same_registration(session, settings):
    journey = invitee(session, organization(session), email="ann@example.com")
    journeys.register(session, journey.id, email="ann@example.com")
    assert next_step(session, journey, utcnow(), settings) == {
        "url": registration_url(settings, journey)
    }
