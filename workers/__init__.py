"""Celery workers: outbox delivery, sweeps and nudges. Thin callers of onboarding's use cases."""
