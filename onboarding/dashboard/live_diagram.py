"""The journey machine's diagram, drawn from its definition, with a live count on each state."""

from __future__ import annotations

import re
from collections.abc import Mapping

from onboarding import diagrams
from onboarding.journeys.machine import JourneyState


def live_svg(counts: Mapping[JourneyState, int]) -> str:
    """SVG of the journey machine whose state labels read "<state> (<count>)"."""
    dot = diagrams.sources("journey")["dot"]
    for state in JourneyState:
        count = counts.get(state, 0)
        dot = re.sub(
            rf'^(\s*{state.value} \[label=")({state.value})\\l"',
            rf'\g<1>\g<2>\\l{count:,} now\\l"',
            dot,
            flags=re.MULTILINE,
        )
    svg = diagrams.render_svg(dot)
    return svg[svg.index("<svg") :]  # inline in a page: without the XML declaration
