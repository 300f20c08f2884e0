"""REL-PIT (security-reference.md §6): while clients write, a reader observes plans at
random instants; afterwards `history?as_of=` reconstructs each plan as it stood then,
and it must equal what was observed, field for field.

A read is not one instant but a window (sent at t0, answered at t1), and an event's
instant is when its command was decided, a little before it commits. So:
- nothing observed may be newer than the plan as of t1 (no event from the future);
- the plan as of t0 may be newer than what was observed only by writes still in
  flight when the read began: each such version must have been acknowledged to its
  writer after t0 (one acknowledged before t0 was committed then, and a read that
  began later and missed it would be stale);
- the plan as of the instant the observed version was written (its `modified_at`)
  equals the observation, field for field; and when no write to the plan was in
  flight (the usual case), so does the plan as of t1.
"""

import random
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from tests.faults.served import (
    SIZES,
    Record,
    Served,
    environment,
    prepare,
    session_headers,
)
from tests.faults.test_crash_app import Ledger, start_clients

PROBE_GAP_SECONDS = (0.0, 0.08)


def now() -> datetime:
    return datetime.now(UTC)


def observe(
    client: httpx.Client, base: str, plans: tuple[UUID, ...], count: int
) -> list[tuple[UUID, datetime, datetime, dict[str, Any]]]:
    """`count` observations of random plans at random instants: (plan, t0, t1, plan then)."""
    chance = random.Random(14)
    observed = []
    for _ in range(count):
        time.sleep(chance.uniform(*PROBE_GAP_SECONDS))
        plan_id = chance.choice(plans)
        sent = now()
        answer = client.get(f"{base}/api/v1/plans/{plan_id}/history")
        answered = now()
        assert answer.status_code == 200, answer.text
        observed.append((plan_id, sent, answered, answer.json()))
    return observed


def test_the_plan_as_of_each_observed_instant_is_what_was_observed(
    database_url: str, tmp_path: Path, record_property: Record
) -> None:
    env = environment(tmp_path, database_url)
    setup = prepare(env, SIZES.plans)
    server = Served(env, tmp_path / "server.log")
    ledger, stop = Ledger(), threading.Event()
    mismatches, in_flight, moved, started_behind = [], 0, 0, 0
    try:
        server.start()
        headers = session_headers(server, setup, tmp_path / "outbox")
        writers = start_clients(server, headers, setup.plan_ids, ledger, stop)
        with httpx.Client(timeout=30, headers=headers) as client:
            try:
                observed = observe(client, server.base, setup.plan_ids, SIZES.probes)
            finally:
                stop.set()
                for thread in writers:
                    thread.join()
            versions_seen = {o[3]["version"] for o in observed}
            for plan_id, sent, answered, seen in observed:
                url = f"{server.base}/api/v1/plans/{plan_id}/history"
                before = client.get(url, params={"as_of": sent.isoformat()}).json()
                after = client.get(url, params={"as_of": answered.isoformat()}).json()
                if seen["version"] > after["version"]:
                    mismatches.append((plan_id, sent, answered, "newer than its end"))
                    continue
                missed = range(seen["version"] + 1, before["version"] + 1)
                if any(ledger.acked_at.get((plan_id, v), sent) < sent for v in missed):
                    mismatches.append((plan_id, sent, answered, "missed a committed write"))
                    continue
                started_behind += len(missed) > 0
                if after["version"] != seen["version"]:
                    in_flight += 1
                then = client.get(url, params={"as_of": seen["modified_at"]}).json()
                if then != seen or (after["version"] == seen["version"] and after != seen):
                    mismatches.append((plan_id, sent, answered, "differs"))
                moved += seen["version"] > before["version"]
    finally:
        stop.set()
        server.stop()

    assert len(ledger.acked) > len(setup.plan_ids), "the load never got going"
    assert len(versions_seen) > 1, "every probe saw the same version: nothing was tested"
    assert mismatches == []
    store_name = "postgres" if database_url.startswith("postgres") else "sqlite"
    figure = (
        f"REL-PIT ({store_name}): P={SIZES.probes} probes, {len(mismatches)} mismatches "
        f"(history?as_of= against what a reader saw, under {SIZES.clients} writers: "
        f"{len(ledger.acked)} writes acknowledged; {in_flight} probes overlapped a write to "
        f"their plan, {moved} saw a version newer than at their start, {started_behind} began "
        f"while a write decided before them was still committing)"
    )
    record_property("figure", figure)
