"""The account machine: registered → activated, disabled; the single definition of which
account state may go where. Built once with ``model=None``, like the journey machine."""

from __future__ import annotations

import enum
from typing import Any

from transitions import Machine, MachineError

from onboarding.errors import DomainError


class AccountState(enum.Enum):
    registered = "registered"
    activated = "activated"
    disabled = "disabled"


A = AccountState

# trigger, sources, destination ("=" keeps the state)
TRANSITIONS: list[tuple[str, list[AccountState], AccountState | str]] = [
    # The activation link expires after ACTIVATION_TTL; the account may ask for a new one.
    ("resend_activation", [A.registered], "="),
    ("activate", [A.registered], A.activated),
    ("disable", [A.registered, A.activated], A.disabled),
    ("enable", [A.disabled], A.activated),
]


def machine_config() -> dict[str, Any]:
    """Keyword arguments for any `transitions` machine class (Machine, GraphMachine)."""
    return {
        "states": AccountState,
        "transitions": [
            {
                "trigger": name,
                "source": [s.value for s in sources],
                "dest": dest if isinstance(dest, str) else dest.value,
            }
            for name, sources, dest in TRANSITIONS
        ],
        "initial": A.registered,
        "auto_transitions": False,
    }


MACHINE = Machine(model=None, **machine_config())


class InvalidAccountTransition(DomainError):
    code = "invalid_transition"


def fire(trigger: str, account: Any) -> None:
    """Fire `trigger` on `account` through the machine."""
    try:
        MACHINE.events[trigger].trigger(account)
    except MachineError:
        raise InvalidAccountTransition(
            f"cannot {trigger} an account that is {account.state.value}"
        ) from None
