"""The Celery application, configured only from celeryconfig.py, logging as onboarding.logs
does, each task under the request id of the request that kicked it."""

from typing import Any

from celery import Celery, Task, signals

from onboarding.logs import bound, configure_logging
from onboarding.settings import get_settings


class TracedTask(Task):  # type: ignore[misc]
    """Runs under the `request_id` header of its message (see workers/kick.py) and its own id,
    so that its log lines and the outbox rows it writes name the request that caused it."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with bound(getattr(self.request, "request_id", None), self.request.id):
            return super().__call__(*args, **kwargs)


app = Celery("onboarding", include=["workers.tasks"], task_cls=TracedTask)
app.config_from_object("celeryconfig")


@signals.setup_logging.connect
def _structured_logs(loglevel: str | int | None = None, **_: Any) -> None:
    """The worker's and beat's logs, in the format of LOG_FORMAT (instead of Celery's own)."""
    settings = get_settings()
    configure_logging(settings.log_format, loglevel or settings.log_level)
