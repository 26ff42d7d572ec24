"""The audit log: every action of an organization's admins and of its directory (who, what,
to whom, when, from which address)."""

from onboarding.audit.log import record

__all__ = ["record"]
