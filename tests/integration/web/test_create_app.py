"""Apps built with settings of their own: several can live in one process."""

from urllib.parse import unquote

from onboarding.db import engine_for, session_factory, unit_of_work
from onboarding.migrate import upgrade
from tests.helpers import invitation_path, invitee, organization
from web import create_app


def test_two_apps_with_their_own_settings_each_serve_their_own(factory, settings, tmp_path):
    other = settings.with_overrides(
        app_name="Metingen",
        app_base_url="http://other.test",
        database_url=f"sqlite:///{tmp_path / 'other.sqlite3'}",
    )
    upgrade(engine_for(other.database_url))
    try:
        links = {}
        for current, org_name in ((settings, "Acme"), (other, "Umbrella")):
            with unit_of_work(session_factory(current)) as session:
                journey = invitee(session, organization(session, org_name), email="ann@example.com")
                links[org_name] = invitation_path(session, journey)
        ours = create_app({"TESTING": True}, settings=settings).test_client()
        theirs = create_app({"TESTING": True}, settings=other).test_client()

        for client, app_name, base_url, org_name, stranger in (
            (ours, "Measurements", "http://app.test", "Acme", "Umbrella"),
            (theirs, "Metingen", "http://other.test", "Umbrella", "Acme"),
        ):
            login = unquote(client.get("/login").get_data(as_text=True))
            assert f"Log in to {app_name}" in login
            assert f"return_to={base_url}/login" in login
            assert org_name in client.get(links[org_name]).get_data(as_text=True)
            assert stranger not in client.get(links[stranger]).get_data(as_text=True)
    finally:
        engine_for(other.database_url).dispose()


def test_links_of_a_page_follow_the_path_the_app_is_mounted_at(factory):
    app = create_app({"TESTING": True})
    for root in ("", "/onboarding"):
        page = app.test_client().get("/login", base_url=f"http://app.test{root}/")
        html = page.get_data(as_text=True)
        assert f'href="{root}/static/app.css"' in html
        assert f'href="{root}/login/connect"' in html
