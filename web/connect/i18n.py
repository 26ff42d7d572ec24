"""Connect's pages in the account's language (see web.i18n) and how refusals are shown."""

from __future__ import annotations

from typing import Any

from flask import Flask, g

from onboarding.errors import ValidationError
from onboarding.identity.passwords import PolicyError
from web import i18n


def _account_language() -> str | None:
    """The logged-in account's language, else that of the invitee registering."""
    from web.connect.auth import current_account

    account = current_account()
    return account.language if account else g.get("invitee_language")


def init_i18n(app: Flask) -> None:
    i18n.init_i18n(app, _account_language)


def refusal(error: ValidationError) -> dict[str, Any]:
    """Template values that show a refusal: a refused password rule by rule, else one line."""
    if isinstance(error, PolicyError):
        return {"problems": error.problems}
    return {"error": str(error)}
