"""Settings of mail, outbox delivery and nudges: defaults, overrides and clear refusals."""

from datetime import timedelta

import pytest

from onboarding.settings import NUDGE_DEFAULTS, Settings, SettingsError


def env(tmp_path, **values):
    return {"ONBOARDING_VAR_DIR": str(tmp_path), **values}


def test_mail_defaults_derive_from_the_sender(tmp_path):
    settings = Settings.from_env(
        env(tmp_path, MAIL_FROM="Acme <hello@acme.test>", SUPPORT_EMAIL="help@acme.test")
    )
    assert (settings.dkim_domain, settings.mail_reply_to) == ("acme.test", "help@acme.test")
    assert settings.dkim_key_file is None
    assert settings.nudge_schedule == NUDGE_DEFAULTS
    assert settings.outbox_lease == timedelta(minutes=5)


def test_the_nudge_schedule_changes_and_switches_off_single_kinds(tmp_path):
    settings = Settings.from_env(env(tmp_path, NUDGE_SCHEDULE="invited=2d, activated=off"))
    assert settings.nudge_schedule["invited"] == timedelta(days=2)
    assert "activated" not in settings.nudge_schedule
    assert settings.nudge_schedule["expiring"] == NUDGE_DEFAULTS["expiring"]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("NUDGE_SCHEDULE", "clicked=3d", "unknown nudge 'clicked'"),
        ("NUDGE_SCHEDULE", "invited=soon", "NUDGE_SCHEDULE invited"),
        ("MAIL_FROM", "no address here", "MAIL_FROM"),
        ("DKIM_KEY_FILE", "/nonexistent/key.pem", "DKIM_KEY_FILE"),
        ("OUTBOX_RETRY_BASE", "0", "OUTBOX_RETRY_BASE"),
        ("OUTBOX_BATCH_SIZE", "0", "OUTBOX_BATCH_SIZE"),
    ],
)
def test_bad_values_are_refused_by_name(tmp_path, variable, value, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env(tmp_path, **{variable: value}))
