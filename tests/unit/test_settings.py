import ast
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from onboarding.settings import DEFAULTS, Settings, SettingsError, parse_duration


def env(tmp_path, **values):
    return {"ONBOARDING_VAR_DIR": str(tmp_path), **values}


def test_defaults_work_locally(tmp_path):
    settings = Settings.from_env(env(tmp_path))
    assert settings.database_url == f"sqlite:///{tmp_path / 'onboarding.sqlite3'}"
    assert settings.invitation_ttl == timedelta(days=30)
    assert settings.activation_ttl == timedelta(hours=24)
    assert settings.celery_broker_url.startswith("filesystem://")


def test_development_secret_key_is_generated_once_and_kept(tmp_path):
    first = Settings.from_env(env(tmp_path)).secret_key
    second = Settings.from_env(env(tmp_path)).secret_key
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env(env(tmp_path, ONBOARDING_ENV="production"))


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("INVITATION_TTL", "thirty days"),
        ("ACTIVATION_TTL", "0"),
        ("DATABASE_URL", "mysql://x"),
        ("APP_BASE_URL", "not a url"),
        ("CONNECT_ISSUER", "ftp://idp"),
        ("OIDC_ISSUER", "idp.example"),
        ("SMTP_URL", "smtp://"),
        ("CELERY_BROKER_URL", "kafka://x"),
        ("OUTBOX_MAX_ATTEMPTS", "many"),
        ("ONBOARDING_ENV", "staging"),
        ("SECRET_KEY", "short"),
        ("PASSWORD_HASH_MEMORY_KIB", "1024"),
        ("PASSWORD_HASH_TIME_COST", "0"),
        ("PASSWORD_HASH_PARALLELISM", "two"),
    ],
)
def test_a_bad_value_fails_with_a_message_naming_the_variable(tmp_path, variable, value):
    with pytest.raises(SettingsError, match=f"^{variable}:"):
        Settings.from_env(env(tmp_path, **{variable: value}))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("24h", timedelta(hours=24)),
        ("90m", timedelta(minutes=90)),
        ("3600", timedelta(hours=1)),
        ("2w", timedelta(days=14)),
    ],
)
def test_durations(raw, expected):
    assert parse_duration("X", raw) == expected


@pytest.mark.parametrize("variable", sorted(set(DEFAULTS) - {"ONBOARDING_VAR_DIR"}))
def test_every_default_is_read_from_its_variable(tmp_path, variable):
    defaults = Settings.from_env(env(tmp_path))
    try:
        changed = Settings.from_env(env(tmp_path, **{variable: "7"}))
    except SettingsError as error:
        assert str(error).startswith(variable)
    else:
        assert changed != defaults


ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = {
    "celeryconfig.py",
    "onboarding/cli.py",
    "onboarding/migrations/env.py",
    "web/__init__.py",
    "web/connect/__init__.py",
    "workers/celery_app.py",
    "workers/mail_sink.py",
    "workers/tasks.py",
    "workers/beat.py",
}


def test_the_process_settings_are_read_only_at_entry_points():
    sources = [ROOT / "celeryconfig.py", *ROOT.glob("onboarding/**/*.py")]
    sources += [*ROOT.glob("web/**/*.py"), *ROOT.glob("workers/**/*.py")]
    readers = {
        str(path.relative_to(ROOT))
        for path in sources
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name | ast.Attribute)
        and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "get_settings"
    }
    assert readers <= ENTRY_POINTS
    assert "web/__init__.py" in readers  # the walk finds calls


def test_the_apps_issuer_and_connects_address_default_to_the_local_connect(tmp_path, caplog):
    settings = Settings.from_env(env(tmp_path))
    assert settings.oidc_issuer == settings.connect_issuer == "http://127.0.0.1:5001"
    assert not caplog.records


def test_the_apps_issuer_may_be_another_provider_than_connect(tmp_path, caplog):
    settings = Settings.from_env(
        env(
            tmp_path,
            OIDC_ISSUER="https://keycloak.example/realms/acme/",
            CONNECT_ISSUER="https://connect.example",
        )
    )
    assert settings.oidc_issuer == "https://keycloak.example/realms/acme"
    assert settings.connect_issuer == "https://connect.example"
    assert not caplog.records


def test_connect_issuer_alone_is_still_the_apps_issuer_with_one_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="onboarding.settings"):
        settings = Settings.from_env(env(tmp_path, CONNECT_ISSUER="https://idp.example"))
    assert settings.oidc_issuer == settings.connect_issuer == "https://idp.example"
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "CONNECT_ISSUER" in record.getMessage() and "OIDC_ISSUER" in record.getMessage()


PRODUCTION = {
    "ONBOARDING_ENV": "production",
    "SECRET_KEY": "k" * 32,
    "APP_BASE_URL": "https://app.example.com",
    "CONNECT_ISSUER": "https://connect.example.com",
}


def test_production_starts_with_https_addresses(tmp_path):
    settings = Settings.from_env(env(tmp_path, **PRODUCTION))
    assert settings.reached_over_tls(settings.app_base_url)
    assert settings.reached_over_tls(settings.connect_issuer)


@pytest.mark.parametrize("name", ["APP_BASE_URL", "CONNECT_ISSUER", "OIDC_ISSUER"])
def test_production_refuses_an_http_address_and_names_its_variable(tmp_path, name):
    values = {**PRODUCTION, "OIDC_ISSUER": "https://id.example.com", name: "http://x.example"}
    with pytest.raises(SettingsError, match=f"^{name}: production needs an https://"):
        Settings.from_env(env(tmp_path, **values))


def test_production_refuses_the_default_http_addresses(tmp_path):
    with pytest.raises(SettingsError, match="APP_BASE_URL.*TLS_TERMINATED_BY_PROXY=1"):
        Settings.from_env(env(tmp_path, ONBOARDING_ENV="production", SECRET_KEY="k" * 32))


def test_behind_a_tls_proxy_http_addresses_start_and_cookies_stay_secure(tmp_path):
    values = {
        **PRODUCTION,
        "APP_BASE_URL": "http://app.internal",
        "CONNECT_ISSUER": "http://connect.internal",
        "TLS_TERMINATED_BY_PROXY": "1",
    }
    settings = Settings.from_env(env(tmp_path, **values))
    assert settings.reached_over_tls(settings.app_base_url)
    assert settings.reached_over_tls(settings.connect_issuer)


def test_development_keeps_http_cookies_not_secure(tmp_path):
    settings = Settings.from_env(env(tmp_path))
    assert settings.app_base_url.startswith("http://")
    assert not settings.reached_over_tls(settings.app_base_url)


def test_tls_terminated_by_proxy_is_a_flag(tmp_path):
    with pytest.raises(SettingsError, match="TLS_TERMINATED_BY_PROXY"):
        Settings.from_env(env(tmp_path, TLS_TERMINATED_BY_PROXY="yes please"))
