"""The account machine: registered → activated, activation expiry, disabled; the single
definition of which account state may go where. Built once with ``model=None``, like the
journey machine; the activation sweep reads its edges from here too."""

from __future__ import annotations

import enum
from typing import Any

from transitions import Machine, MachineError

from onboarding.errors import DomainError


class AccountState(enum.Enum):
    registered = "registered"
    activated = "activated"
    # Every activation link ran out (ACTIVATION_TTL) before the account was activated.
    activation_expired = "activation_expired"
    disabled = "disabled"


A = AccountState

# trigger, sources, destination
TRANSITIONS: list[tuple[str, list[AccountState], AccountState]] = [
    # The activation link expires after ACTIVATION_TTL; the account may ask for a new one.
    ("resend_activation", [A.registered, A.activation_expired], A.registered),
    ("expire_activation", [A.registered], A.activation_expired),
    # A link that was valid when used wins over a sweep that ran meanwhile; a verified upstream
    # identity (federation) proves the address as an activation link does.
    ("activate", [A.registered, A.activation_expired], A.activated),
    ("disable", [A.registered, A.activation_expired, A.activated], A.disabled),
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
                "dest": dest.value,
            }
            for name, sources, dest in TRANSITIONS
        ],
        "initial": A.registered,
        "auto_transitions": False,
    }


MACHINE = Machine(model=None, **machine_config())


class InvalidAccountTransition(DomainError):
    code = "invalid_transition"


def sources_of(trigger: str) -> list[AccountState]:
    """The states from which `trigger` may be fired, read from the machine."""
    return [AccountState[name] for name in MACHINE.events[trigger].transitions]


def destination(trigger: str) -> AccountState:
    """The state `trigger` leads to, from any of its sources."""
    [dest] = {t.dest for ts in MACHINE.events[trigger].transitions.values() for t in ts}
    return AccountState(dest)


def awaits_activation(account: Any) -> bool:
    """Not activated yet: an activation link (or a fresh one) is what it needs."""
    return account.state in sources_of("activate")


def fire(trigger: str, account: Any) -> None:
    """Fire `trigger` on `account` through the machine."""
    try:
        MACHINE.events[trigger].trigger(account)
    except MachineError:
        raise InvalidAccountTransition(
            "cannot %(trigger)s an account that is %(state)s",
            {"trigger": trigger, "state": account.state.value},
        ) from None
