"""Benchmark the expiry sweep on PostgreSQL: expire_stale vs a per-row loop vs the SQL floor.

    python bench/sweep.py [--journeys 1000000] [--stale 100000] [--url postgresql://…]

Builds the data once in a template database, then times each contender on its own fresh copy
(CREATE DATABASE … TEMPLATE), and prints the three times and the two ratios.
"""

from __future__ import annotations

import argparse
import time
import uuid

from sqlalchemy import Engine, text

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.db import make_engine, make_session_factory, unit_of_work
from onboarding.journeys.sweeps import expire_stale
from onboarding.migrate import upgrade
from onboarding.settings import get_settings

NOW = utcnow()
SEED = """
INSERT INTO organizations (id, name, slug, created_at) VALUES (1, 'Bench', 'bench', :now);
INSERT INTO roles (id, organization_id, name) VALUES (1, 1, 'viewer');
INSERT INTO people (id, email, first_name, last_name, language, is_superadmin, created_at)
  SELECT g, 'p' || g || '@bench.example', 'P', 'B', 'en', false, :now
  FROM generate_series(1, :n) g;
INSERT INTO journeys (id, person_id, organization_id, state, furthest_state, version,
                      invited_at, expires_at, state_entered_at, created_at)
  SELECT g, g, 1, state, state, 1, :now - interval '40 days',
         CASE WHEN g <= :stale * 5 / 4 THEN :now - interval '1 day'
              ELSE :now + interval '10 days' END,
         :now - interval '40 days', :now - interval '40 days'
  FROM (SELECT g, (ARRAY['invited','registered','activated','logged_in','accepted'])[1 + g % 5]
               AS state
        FROM generate_series(1, :n) g) s;
"""
FLOOR = """
WITH moved AS (
  UPDATE journeys j SET state = 'expired', version = j.version + 1, state_entered_at = :now
  FROM (SELECT id, state FROM journeys
        WHERE state IN ('invited','registered','activated','logged_in') AND expires_at <= :now
        FOR UPDATE) s
  WHERE j.id = s.id
  RETURNING j.id, s.state AS from_state)
INSERT INTO journey_events (journey_id, at, actor, trigger, from_state, to_state, detail)
SELECT id, :now, 'sweep', 'expire', from_state, 'expired', '{}' FROM moved
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--journeys", type=int, default=1_000_000)
    parser.add_argument("--stale", type=int, default=100_000)
    args = parser.parse_args()
    admin = make_engine(args.url, isolation_level="AUTOCOMMIT")
    base = f"bench_{uuid.uuid4().hex[:8]}"
    copies: list[str] = []
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{base}"'))
        engine = make_engine(admin.url.set(database=base).render_as_string(hide_password=False))
        upgrade(engine)
        started = time.perf_counter()
        with engine.begin() as conn:
            for statement in SEED.split(";\n"):
                if statement.strip():
                    params = {"now": NOW, "n": args.journeys, "stale": args.stale}
                    conn.execute(text(statement), params)
            conn.execute(text("ANALYZE"))
            stale = conn.scalar(
                text(
                    "SELECT count(*) FROM journeys WHERE state <> 'accepted' AND expires_at <= :now"
                ),
                {"now": NOW},
            )
        engine.dispose()
        seeded = time.perf_counter() - started
        print(f"seeded {args.journeys:,} journeys, {stale:,} stale, in {seeded:.1f}s")

        def fresh() -> Engine:
            name = f"{base}_{len(copies)}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{base}"'))
            copies.append(name)
            copy = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
            return copy

        times = {}
        copy = fresh()
        factory = make_session_factory(copy, get_settings())
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            assert expire_stale(session, NOW) == stale
        times["expire_stale"] = time.perf_counter() - started
        copy.dispose()

        copy = fresh()
        started = time.perf_counter()
        with copy.begin() as conn:
            conn.execute(text(FLOOR), {"now": NOW})
        times["floor (UPDATE … RETURNING + INSERT … SELECT)"] = time.perf_counter() - started
        copy.dispose()

        copy = fresh()
        factory = make_session_factory(copy, get_settings())
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            ids = session.scalars(
                text(
                    "SELECT id FROM journeys WHERE state <> 'accepted' AND state <> 'expired' "
                    "AND expires_at <= :now ORDER BY id"
                ),
                {"now": NOW},
            ).all()
        for journey_id in ids:
            with unit_of_work(factory) as session:
                journeys.expire(session, journey_id, now=NOW)
        times["per-row loop through the use case"] = time.perf_counter() - started
        with unit_of_work(factory) as session:
            expired = session.scalar(text("SELECT count(*) FROM journeys WHERE state = 'expired'"))
        assert expired == stale, (expired, stale)
        copy.dispose()
    finally:
        with admin.connect() as conn:
            for name in [*copies, base]:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    for label, seconds in times.items():
        print(f"{label:50s} {seconds:8.2f} s")
    sweep, floor, loop = times.values()
    print(f"expire_stale / floor: {sweep / floor:.2f}x")
    print(f"per-row loop / expire_stale: {loop / sweep:.1f}x")


if __name__ == "__main__":
    main()
