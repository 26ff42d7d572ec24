"""Draw every state machine from its definition: Graphviz source, SVG and Mermaid.

`GraphMachine` is used here only; the running system uses the plain machine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transitions.extensions import GraphMachine

from onboarding.identity import machine as account_machine
from onboarding.journeys import machine

# name -> the machine's keyword arguments; every machine of the system is listed here.
MACHINES: dict[str, Callable[[], dict[str, Any]]] = {
    "journey": machine.machine_config,
    "account": account_machine.machine_config,
}

DIAGRAM_DIR = Path(__file__).resolve().parent.parent / "state_diagrams"


def sources(name: str) -> dict[str, str]:
    """The Graphviz (`dot`) and Mermaid (`mmd`) text of machine `name`."""
    config = MACHINES[name]()
    dot = GraphMachine(**config, graph_engine="graphviz", title=name).get_graph().source
    mermaid = GraphMachine(**config, graph_engine="mermaid", title=name).get_graph().draw(None)
    return {"dot": dot, "mmd": mermaid}


def svg_stamp(dot: str) -> str:
    """The comment that ties an SVG to the Graphviz source it was drawn from."""
    return f"<!-- drawn from sha256:{hashlib.sha256(dot.encode()).hexdigest()} -->"


def render_svg(dot: str) -> str:
    import graphviz  # needs the Graphviz `dot` program, only when drawing

    declaration, _, body = graphviz.Source(dot).pipe(format="svg").decode().partition("\n")
    return f"{declaration}\n{svg_stamp(dot)}\n{body}"


def write_all(directory: Path = DIAGRAM_DIR) -> list[Path]:
    """(Re)generate every machine's files in `directory`; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in MACHINES:
        texts = sources(name)
        texts["svg"] = render_svg(texts["dot"])
        for extension, text in texts.items():
            path = directory / f"{name}.{extension}"
            path.write_text(text)
            written.append(path)
    return written
