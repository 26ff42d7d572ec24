"""The committed diagrams are exactly what the machine definitions give."""

import pytest

from onboarding import diagrams


@pytest.mark.parametrize("name", list(diagrams.MACHINES))
def test_committed_diagrams_match_the_machine_definition(name):
    expected = diagrams.sources(name)
    directory = diagrams.DIAGRAM_DIR
    hint = "run `onboarding diagrams` and commit the result"
    assert (directory / f"{name}.dot").read_text() == expected["dot"], hint
    assert (directory / f"{name}.mmd").read_text() == expected["mmd"], hint
    svg = (directory / f"{name}.svg").read_text()
    assert diagrams.svg_stamp(expected["dot"]) in svg, hint


def test_every_trigger_appears_in_the_journey_diagram():
    from onboarding.journeys.machine import TRIGGERS

    mermaid = diagrams.sources("journey")["mmd"]
    for trigger in TRIGGERS:
        assert f": {trigger}" in mermaid
