"""The journey state machine: the single definition of states, triggers and who may fire them.

Built once with ``model=None``; use cases fire a trigger on a loaded row with
``MACHINE.events[trigger].trigger(row)``. The sweeps, the diagrams and the dashboard read
the same definition, so nothing else keeps a copy of which state may go where.
"""

from __future__ import annotations

import enum
from typing import Any

from transitions import Machine, MachineError

from onboarding.errors import DomainError


class JourneyState(enum.Enum):
    created = "created"
    invited = "invited"
    registered = "registered"
    activated = "activated"
    logged_in = "logged_in"
    accepted = "accepted"
    expired = "expired"
    revoked = "revoked"


S = JourneyState
LIVE = [S.invited, S.registered, S.activated, S.logged_in]

# trigger, sources, destination ("=" keeps the state), who fires it
TRANSITIONS: list[tuple[str, list[JourneyState], JourneyState | str, str]] = [
    ("invite", [S.created], S.invited, "admin"),
    ("resend", LIVE, "=", "admin"),
    ("register", [S.invited], S.registered, "provider event, or first log-in"),
    ("activate", [S.registered], S.activated, "provider event, or first log-in"),
    ("log_in", [S.invited, S.registered, S.activated], S.logged_in, "OIDC callback"),
    ("accept", [S.logged_in], S.accepted, "user"),
    ("expire", LIVE, S.expired, "sweep"),
    ("revoke", [S.created, *LIVE, S.expired], S.revoked, "admin"),
    ("reinvite", [S.expired, S.revoked], S.invited, "admin"),
]

TRIGGERS = [name for name, *_ in TRANSITIONS]


def machine_config() -> dict[str, Any]:
    """Keyword arguments for any `transitions` machine class (Machine, GraphMachine)."""
    return {
        "states": JourneyState,
        "transitions": [
            {"trigger": name, "source": [s.value for s in sources], "dest": _dest(dest)}
            for name, sources, dest, _ in TRANSITIONS
        ],
        "initial": S.created,
        "auto_transitions": False,
    }


def _dest(dest: JourneyState | str) -> str:
    return dest if isinstance(dest, str) else dest.value


MACHINE = Machine(model=None, **machine_config())


class InvalidTransition(DomainError):
    """A trigger was fired from a state that does not allow it."""

    code = "invalid_transition"

    def __init__(self, trigger: str, state: JourneyState) -> None:
        super().__init__(
            "cannot %(trigger)s a journey in state '%(state)s' (allowed from: %(allowed)s)",
            {"trigger": trigger, "state": state, "allowed": sources_of(trigger)},
        )
        self.trigger = trigger
        self.state = state


def sources_of(trigger: str) -> list[JourneyState]:
    """The states from which `trigger` may be fired, read from the machine."""
    event = MACHINE.events[trigger]
    return [JourneyState[name] for name in event.transitions]


def destination(trigger: str, source: JourneyState) -> JourneyState:
    """Where `trigger` takes a journey in state `source` (InvalidTransition if it cannot)."""
    transitions = MACHINE.events[trigger].transitions.get(source.value)
    if not transitions:
        raise InvalidTransition(trigger, source)
    dest = transitions[0].dest
    return source if dest is None else JourneyState[dest]


def fire(trigger: str, model: Any) -> None:
    """Fire `trigger` on `model` (anything with a `state` attribute) through the machine."""
    if trigger not in MACHINE.events:
        raise ValueError(f"unknown trigger {trigger!r}")
    try:
        MACHINE.events[trigger].trigger(model)
    except MachineError:
        raise InvalidTransition(trigger, model.state) from None


def allowed_triggers(state: JourneyState) -> list[str]:
    return [name for name in TRIGGERS if state.value in MACHINE.events[name].transitions]
