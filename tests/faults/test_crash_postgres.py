"""REL-CRASH-PG (security-reference.md §6): PostgreSQL restarted under load, the web
process not. Restarts alternate between `-m immediate` (crash recovery) and `-m fast`.
Every acknowledged write is in the store afterwards (no false 2xx); what fails during an
outage answers 503 with Retry-After, never 500 nor another 5xx; the pool recovers by
itself, and the web process is the same one at the end.

The server is one of the test's own (`private_postgres`): the shared one serves the
other tests meanwhile.
"""

import random
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from uuid import UUID, uuid4

import httpx

from stafett.aggregates.plan_events import GoalSet
from tests.faults.private_postgres import private_postgres
from tests.faults.served import (
    SIZES,
    Record,
    Served,
    environment,
    open_store,
    prepare,
    session_headers,
)
from tests.faults.test_crash_app import Ledger, client_loop


def test_acknowledged_writes_survive_postgresql_restarts(
    tmp_path: Path, record_property: Record
) -> None:
    with private_postgres() as postgres:
        env = environment(tmp_path, postgres.url)
        setup = prepare(env, SIZES.plans)
        server = Served(env, tmp_path / "server.log")
        ledger, stop, outages = Ledger(), threading.Event(), []
        try:
            server.start()
            pid = server.process.pid if server.process else None
            headers = session_headers(server, setup, tmp_path / "outbox")
            load = (server, headers, setup.plan_ids, ledger, stop)
            clients = [
                threading.Thread(target=client_loop, args=load) for _ in range(SIZES.clients)
            ]
            for thread in clients:
                thread.start()
            chance = random.Random(11)
            for number in range(SIZES.pg_restarts):
                time.sleep(chance.uniform(1.0, 3.0))
                restarted = time.monotonic()
                postgres.restart("immediate" if number % 2 == 0 else "fast")
                back = until_a_write_succeeds(server, headers, setup.plan_ids[0])
                outages.append(back - restarted)
            time.sleep(1.0)
            stop.set()
            for thread in clients:
                thread.join()
            assert server.process is not None
            assert server.process.poll() is None
            assert server.process.pid == pid  # the app was never restarted
            server.caught_up()
        finally:
            stop.set()
            server.stop()

        with open_store(env) as store:
            titles: Counter[tuple[UUID, str]] = Counter()
            for plan_id in setup.plan_ids:
                events = list(store.events.get(plan_id))
                versions = [e.originator_version for e in events]
                assert versions == list(range(1, len(versions) + 1))
                titles.update((plan_id, e.title) for e in events if isinstance(e, GoalSet))

    lost = [key for key in ledger.acked if titles[key] != 1]
    twice = [key for key, count in titles.items() if count > 1]
    other_5xx = {s: n for s, n in ledger.statuses.items() if s >= 500 and s != 503}
    assert len(ledger.acked) > SIZES.pg_restarts, "the load never got going"
    assert lost == []
    assert twice == []
    assert other_5xx == {}
    assert ledger.unavailable_without_retry_after == 0
    p95 = sorted(outages)[max(0, round(0.95 * len(outages)) - 1)]
    record_property(
        "figure",
        f"REL-CRASH-PG: {len(ledger.acked)} acked, 0 lost, 0 false acks, "
        f"5xx-other-than-503 = 0 ({ledger.statuses[503]} × 503 with Retry-After), "
        f"outage window p50/p95 = {statistics.median(outages):.2f}/{p95:.2f} s, "
        f"K={SIZES.pg_restarts} restarts, app restarts = 0",
    )


def until_a_write_succeeds(server: Served, headers: dict[str, str], plan_id: UUID) -> float:
    """The instant a goal is written again after a restart (the pool has recovered)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            answer = httpx.post(
                f"{server.base}/api/v1/plans/{plan_id}/goals",
                json={"title": f"probe {uuid4().hex}"},
                headers=headers,
                timeout=10,
            )
            if answer.status_code == 201:
                return time.monotonic()
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError("the service did not recover from a PostgreSQL restart")
