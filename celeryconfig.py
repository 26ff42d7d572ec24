"""Celery configuration, read from the environment through the one settings object."""

from onboarding.settings import get_settings

_settings = get_settings()

broker_url = _settings.celery_broker_url
if broker_url.startswith("filesystem://"):
    # kombu's filesystem transport: no server, nothing lost; folders under ./var/broker.
    _folder = broker_url.removeprefix("filesystem://")
    for _sub in ("out", "processed"):
        (_settings.var_dir / "broker" / _sub).mkdir(parents=True, exist_ok=True)
    broker_url = "filesystem://"
    broker_transport_options = {
        "data_folder_in": _folder + "/out",
        "data_folder_out": _folder + "/out",
        "processed_folder": _folder + "/processed",
        "store_processed": False,
    }

task_ignore_result = True
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
timezone = "UTC"
enable_utc = True
broker_connection_retry_on_startup = True
