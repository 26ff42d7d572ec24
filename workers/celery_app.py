"""The Celery application, configured only from celeryconfig.py."""

from celery import Celery

app = Celery("onboarding", include=["workers.tasks"])
app.config_from_object("celeryconfig")
