"""Celery configuration, read from the environment through the one settings object."""

from pathlib import Path
from typing import Any

from kombu import Queue

from onboarding.provider import connect_is_provider
from onboarding.settings import Settings, get_settings

MAIL_QUEUE = "mail"
SWEEPS_QUEUE = "sweeps"
# Retention is counted in days: an hourly purge keeps every limit to within the hour.
PURGE_INTERVAL_SECONDS = 3600


def settings_for(settings: Settings) -> dict[str, Any]:
    """Every Celery setting for `settings` (also used to build a client app in tests)."""
    config: dict[str, Any] = {
        "broker_url": settings.celery_broker_url,
        "task_queues": [Queue(MAIL_QUEUE), Queue(SWEEPS_QUEUE)],
        "task_default_queue": MAIL_QUEUE,
        # Sweeps and nudges never wait behind a long mail queue, nor the other way round.
        "task_routes": {
            "outbox.*": {"queue": MAIL_QUEUE},
            "sweeps.*": {"queue": SWEEPS_QUEUE},
            "nudges.*": {"queue": SWEEPS_QUEUE},
        },
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "timezone": "UTC",
        "enable_utc": True,
        "broker_connection_retry_on_startup": True,
        "beat_schedule": _beat_schedule(settings),
        # Two beats started by mistake fire the schedule once: see workers/beat.py.
        "beat_scheduler": "workers.beat:OneBeat",
    }
    broker = settings.celery_broker_url
    if broker.startswith("filesystem://"):
        # kombu's filesystem transport: no server, nothing lost; folders under ./var/broker.
        folder = Path(broker.removeprefix("filesystem://"))
        for sub in ("out", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        config["broker_url"] = "filesystem://"
        config["broker_transport_options"] = {
            "data_folder_in": str(folder / "out"),
            "data_folder_out": str(folder / "out"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
            "polling_interval": 0.2,
        }
    elif broker.startswith(("redis://", "rediss://")):
        # Without ack emulation a worker whose connection drops with a task in flight does
        # not try to put it back on the lost server on its way to reconnecting, which made
        # kombu raise and the worker exit. A task lost with a worker is only a kick: the
        # outbox rows stay in the database and the next beat tick delivers them.
        options: dict[str, Any] = {"ack_emulation": False}
        if settings.celery_key_prefix:
            options["global_keyprefix"] = settings.celery_key_prefix
        config["broker_transport_options"] = options
    return config


def _beat_schedule(settings: Settings) -> dict[str, Any]:
    def every(seconds: float, task: str) -> dict[str, Any]:
        # A tick that waited longer than its interval is superseded by the next one.
        return {"task": task, "schedule": seconds, "options": {"expires": seconds}}

    poll = settings.outbox_poll_interval.total_seconds()
    sweep = settings.sweep_interval.total_seconds()
    schedule = {
        "deliver-outbox": every(poll, "outbox.deliver"),
        "expire-invitations": every(sweep, "sweeps.expire_invitations"),
        "send-nudges": every(sweep, "nudges.send"),
        "purge-personal-data": every(PURGE_INTERVAL_SECONDS, "sweeps.purge_personal_data"),
    }
    # Connect runs where it is the app's provider (OIDC_ISSUER is CONNECT_ISSUER); with
    # another provider its accounts and tokens stay untouched, so its sweeps are not scheduled.
    if connect_is_provider(settings):
        schedule |= {
            "expire-activations": every(sweep, "sweeps.expire_activations"),
            "purge-connect-tokens": every(sweep, "sweeps.purge_connect_tokens"),
        }
    return schedule


globals().update(settings_for(get_settings()))
