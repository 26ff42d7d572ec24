"""The beat schedule: the app's tasks everywhere, Connect's only where Connect is the provider."""

from celeryconfig import settings_for

APP_TASKS = {
    "outbox.deliver",
    "sweeps.expire_invitations",
    "nudges.send",
    "sweeps.purge_personal_data",
}
CONNECT_TASKS = {"sweeps.expire_activations", "sweeps.purge_connect_tokens"}


def scheduled(settings):
    return {entry["task"] for entry in settings_for(settings)["beat_schedule"].values()}


def test_beat_runs_connects_sweeps_when_connect_is_the_apps_provider(settings):
    assert settings.oidc_issuer == settings.connect_issuer
    assert scheduled(settings) == APP_TASKS | CONNECT_TASKS


def test_beat_leaves_connect_alone_when_the_app_uses_another_provider(settings):
    other = settings.with_overrides(oidc_issuer="https://keycloak.example/realms/acme")
    assert scheduled(other) == APP_TASKS
