"""Benchmark the dashboard on PostgreSQL: funnel + first page of the journey table over 1M
journeys with their history and mails, and a 10,000-row bulk invite.

    python bench/dashboard.py [--journeys 1000000] [--organizations 50] [--url postgresql://…]

Builds the data in a database of its own (dropped at the end), then prints the median of
several runs of each query, as a superadmin (every organization) and as the admin of one.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable

from sqlalchemy import text

from onboarding.clock import utcnow
from onboarding.dashboard.bulk_invite import bulk_invite
from onboarding.dashboard.filters import JourneyFilter
from onboarding.dashboard.funnel import funnel
from onboarding.dashboard.journey_table import TableQuery, page
from onboarding.db import make_engine, make_session_factory, unit_of_work
from onboarding.migrate import upgrade
from onboarding.people.models import Organization
from onboarding.settings import get_settings

NOW = utcnow()
# state by bucket of 100: where a million invitees plausibly are
STATES = """CASE WHEN b < 1 THEN 'created' WHEN b < 31 THEN 'invited' WHEN b < 41 THEN 'registered'
  WHEN b < 46 THEN 'activated' WHEN b < 51 THEN 'logged_in' WHEN b < 91 THEN 'accepted'
  WHEN b < 98 THEN 'expired' ELSE 'revoked' END"""
SEED = f"""
SELECT setseed(0.42);
INSERT INTO organizations (id, name, slug, created_at)
  SELECT g, 'Org ' || g, 'org-' || g, :now FROM generate_series(1, :orgs) g;
INSERT INTO roles (id, organization_id, name)
  SELECT g, g, 'viewer' FROM generate_series(1, :orgs) g;
INSERT INTO people (id, email, first_name, last_name, language, is_superadmin, created_at)
  SELECT g, 'p' || g || '@bench.example', 'P' || g, 'B',
         CASE WHEN g % 3 = 0 THEN 'nl' ELSE 'en' END, false, :now
  FROM generate_series(1, :n) g;
INSERT INTO journeys (id, person_id, organization_id, state, furthest_state, version,
                      invited_at, expires_at, state_entered_at, created_at)
  SELECT g, g, o, state, CASE WHEN state IN ('expired', 'revoked') THEN 'invited' ELSE state END,
         1,
         :now - make_interval(days => g % 60),
         :now - make_interval(days => g % 60) + interval '30 days',
         :now - make_interval(days => g % 60) + make_interval(hours => g % 97),
         :now - make_interval(days => g % 60)
  FROM (SELECT g, {STATES} AS state, o
        FROM (SELECT g, floor(random() * 100) AS b, 1 + floor(random() * :orgs)::int AS o
              FROM generate_series(1, :n) g) r) s;
INSERT INTO journey_roles (journey_id, role_id) SELECT id, organization_id FROM journeys;
INSERT INTO journey_events (journey_id, at, actor, trigger, from_state, to_state, detail)
  SELECT id, created_at, 'admin', 'create', NULL, 'created', '{{}}' FROM journeys;
INSERT INTO journey_events (journey_id, at, actor, trigger, from_state, to_state, detail)
  SELECT j.id, j.invited_at + make_interval(hours => (k - 1) * (1 + j.id % 47)), 'someone',
         (ARRAY['invite','register','activate','log_in','accept'])[k],
         (ARRAY['created','invited','registered','activated','logged_in'])[k],
         (ARRAY['invited','registered','activated','logged_in','accepted'])[k], '{{}}'
  FROM journeys j,
       generate_series(1, CASE j.state WHEN 'invited' THEN 1 WHEN 'registered' THEN 2
         WHEN 'activated' THEN 3 WHEN 'logged_in' THEN 4 WHEN 'accepted' THEN 5
         WHEN 'expired' THEN 1 WHEN 'revoked' THEN 1 ELSE 0 END) k;
INSERT INTO journey_events (journey_id, at, actor, trigger, from_state, to_state, detail)
  SELECT id, state_entered_at, 'sweep', CASE state WHEN 'expired' THEN 'expire' ELSE 'revoke' END,
         'invited', state, '{{}}' FROM journeys WHERE state IN ('expired', 'revoked');
INSERT INTO outbox_messages (kind, payload, dedupe_key, journey_id, status, attempts,
                             next_attempt_at, sent_at, created_at, last_error)
  SELECT 'mail', json_build_object('template', 'invitation', 'to', 'p' || id || '@bench.example'),
         'bench:' || id, id, CASE WHEN id % 100 = 0 THEN 'dead' ELSE 'sent' END, 1, invited_at,
         CASE WHEN id % 100 = 0 THEN NULL ELSE invited_at + interval '4 seconds' END, invited_at,
         CASE WHEN id % 100 = 0 THEN '550 mailbox unknown' END
  FROM journeys WHERE state <> 'created'
"""


def timed(label: str, run: Callable[[], object], repeat: int = 5) -> float:
    run()  # warm the caches, as a dashboard in use is
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    print(f"{label:58s} {median:8.1f} ms  (min {min(times):.1f}, max {max(times):.1f})")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--journeys", type=int, default=1_000_000)
    parser.add_argument("--organizations", type=int, default=50)
    parser.add_argument("--bulk-rows", type=int, default=10_000)
    args = parser.parse_args()
    admin = make_engine(args.url, isolation_level="AUTOCOMMIT")
    name = f"bench_dashboard_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        engine = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
        upgrade(engine)
        started = time.perf_counter()
        with engine.begin() as conn:
            params = {"now": NOW, "n": args.journeys, "orgs": args.organizations}
            for statement in SEED.split(";\n"):
                conn.execute(text(statement), params)
            for table in ("organizations", "roles", "people", "journeys", "journey_events"):
                conn.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            events = conn.scalar(text("SELECT count(*) FROM journey_events"))
        print(
            f"seeded {args.journeys:,} journeys in {args.organizations} organizations, "
            f"{events:,} history rows, in {time.perf_counter() - started:.0f}s"
        )
        factory = make_session_factory(engine, get_settings())
        session = factory()
        everyone, one = JourneyFilter(), JourneyFilter(organization_ids=frozenset({7}))
        results = {}
        for label, filters in (("all organizations", everyone), ("one organization", one)):
            results[label] = [
                timed(f"funnel, {label}", lambda f=filters: funnel(session, f)),
                timed(
                    f"first page (50 rows), {label}",
                    lambda f=filters: page(session, TableQuery(f), NOW),
                ),
            ]
            timed(
                f"page after a cursor (stuck > 7 days), {label}",
                lambda f=filters: page(
                    session,
                    TableQuery(
                        f,
                        stuck_days=7,
                        after=page(session, TableQuery(f, stuck_days=7), NOW).next_cursor,
                    ),
                    NOW,
                ),
            )
        session.close()
        for label, (funnel_ms, page_ms) in results.items():
            print(f"funnel + first page, {label}: {funnel_ms + page_ms:.1f} ms")

        rows = "\n".join(
            f"Bulk,Row{i},bulk{i}@bench.example,en,viewer" for i in range(args.bulk_rows)
        )
        csv_text = "first_name,last_name,email,language,roles\n" + rows + "\n"
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            organization = session.get(Organization, 1)
            assert organization is not None
            report = bulk_invite(session, organization, csv_text, dry_run=False, actor="bench")
        seconds = time.perf_counter() - started
        print(
            f"bulk invite of {len(report.accepted):,} CSV rows (one transaction): {seconds:.2f} s"
        )
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
