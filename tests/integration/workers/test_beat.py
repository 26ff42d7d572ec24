"""Exactly one beat fires: the beat lock is held by one process at a time."""

import pytest

from workers.beat import BeatLock


def test_of_two_beats_one_fires_and_the_other_takes_over_when_it_ends(postgres_engine):
    first, second = BeatLock(postgres_engine), BeatLock(postgres_engine)
    try:
        assert first.held()
        assert not second.held()
        assert first.held()  # kept across ticks
        first.release()  # the first beat's process or connection ends
        assert second.held()
        assert not first.held()
    finally:
        first.release()
        second.release()


def test_a_single_host_on_sqlite_always_fires(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert BeatLock(engine).held() and BeatLock(engine).held()
