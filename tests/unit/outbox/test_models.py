"""Outbox statuses: stored as their plain names, in a column wide enough for each."""

from __future__ import annotations

from onboarding.outbox.models import OutboxMessage, OutboxStatus


def test_every_status_fits_the_status_column():
    width = OutboxMessage.__table__.c.status.type.length
    assert all(len(status) <= width for status in OutboxStatus)


def test_a_new_message_is_pending_under_the_stored_name():
    default = OutboxMessage.__table__.c.status.default.arg
    assert default is OutboxStatus.pending and f"{default}" == "pending"
