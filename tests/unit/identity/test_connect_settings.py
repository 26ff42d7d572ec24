"""Connect's settings: defaults that work locally, and clear refusals of bad values."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from onboarding.identity.clients import configured_clients
from onboarding.settings import Settings, SettingsError


def env(tmp_path, **values):
    return {"ONBOARDING_VAR_DIR": str(tmp_path), "SECRET_KEY": "k" * 20, **values}


def test_defaults(tmp_path):
    settings = Settings.from_env(env(tmp_path))
    assert (settings.oidc_client_id, settings.captcha, settings.password_min_length) == (
        "app",
        "altcha",
        10,
    )
    assert len(settings.oidc_client_secret) == 64
    assert settings.signing_key_rotation == timedelta(days=30)
    assert not settings.federation_enabled
    [app] = configured_clients(settings).values()
    assert app.redirect_uris == ("http://127.0.0.1:5000/auth/callback",)


def test_extra_clients_are_served(tmp_path):
    clients = [
        {
            "client_id": "tool",
            "client_secret": "x" * 16,
            "redirect_uris": ["https://tool.example/cb"],
        }
    ]
    settings = Settings.from_env(env(tmp_path, CONNECT_CLIENTS=json.dumps(clients)))
    assert configured_clients(settings)["tool"].check_redirect_uri("https://tool.example/cb")
    assert not configured_clients(settings)["tool"].check_redirect_uri("https://tool.example/c")


@pytest.mark.parametrize(
    ("values", "names"),
    [
        ({"CAPTCHA": "hcaptcha"}, "CAPTCHA"),
        ({"CAPTCHA": "recaptcha"}, "RECAPTCHA_SITE_KEY"),
        ({"UPSTREAM_ISSUER": "https://accounts.google.com"}, "UPSTREAM_CLIENT_ID"),
        (
            {
                "UPSTREAM_ISSUER": "accounts.google.com",
                "UPSTREAM_CLIENT_ID": "a",
                "UPSTREAM_CLIENT_SECRET": "b",
            },
            "UPSTREAM_ISSUER",
        ),
        ({"CONNECT_CLIENTS": "{not json"}, "CONNECT_CLIENTS"),
        (
            {
                "CONNECT_CLIENTS": '[{"client_id": "x", "client_secret": "short", '
                '"redirect_uris": ["https://x.example/cb"]}]'
            },
            "CONNECT_CLIENTS",
        ),
        ({"PASSWORD_MIN_LENGTH": "6"}, "PASSWORD_MIN_LENGTH"),
        ({"SIGNING_KEY_ROTATION": "soon"}, "SIGNING_KEY_ROTATION"),
    ],
)
def test_bad_values_are_refused_naming_the_variable(tmp_path, values, names):
    with pytest.raises(SettingsError, match=names):
        Settings.from_env(env(tmp_path, **values))


def test_federation_is_on_when_configured(tmp_path):
    settings = Settings.from_env(
        env(
            tmp_path,
            UPSTREAM_ISSUER="https://accounts.google.com/",
            UPSTREAM_CLIENT_ID="id",
            UPSTREAM_CLIENT_SECRET="secret",
        )
    )
    assert settings.federation_enabled
    assert settings.upstream_issuer == "https://accounts.google.com"


def test_spent_tokens_are_kept_a_week_by_default_and_never_less_than_a_day(tmp_path):
    assert Settings.from_env(env(tmp_path)).connect_token_retention == timedelta(days=7)
    two_weeks = Settings.from_env(env(tmp_path, CONNECT_TOKEN_RETENTION="2w"))
    assert two_weeks.connect_token_retention == timedelta(weeks=2)
    with pytest.raises(SettingsError, match="CONNECT_TOKEN_RETENTION: at least 1d"):
        Settings.from_env(env(tmp_path, CONNECT_TOKEN_RETENTION="12h"))
