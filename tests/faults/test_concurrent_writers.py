"""REL-CONC (security-reference.md §6): writers race on one plan with expected versions.

W threads each add M activities to the same plan over HTTP, each command a
read-modify-write: read the plan's version, then POST with `expected_version`. A 409
means another writer won the race; the loser waits a random pause that grows with its
attempts (as a well-behaved client does), reloads and tries again (at most forty times:
at full size eight writers on one plan leave a few commands losing ten races in a row).
Each version is written exactly once, the 409s are exactly the losing attempts, and
every acknowledged activity is in the plan at the version it was told.
"""

import random
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from stafett.aggregates.plan_events import ActivityAdded
from tests.faults.served import (
    SIZES,
    Record,
    environment,
    open_store,
    prepare,
    served,
    session_headers,
)

TRIES = 40


def test_racing_writers_lose_no_update(
    database_url: str, tmp_path: Path, record_property: Record
) -> None:
    env = environment(tmp_path, database_url)
    setup = prepare(env, 1)
    plan_id = setup.plan_ids[0]
    responsible = str(setup.coordinator_participant[plan_id])
    statuses: Counter[int] = Counter()
    acked: dict[str, int] = {}  # activity id → the version it made
    lock = threading.Lock()

    with served(env, tmp_path / "server.log") as server:
        headers = session_headers(server, setup, tmp_path / "outbox")
        url = f"{server.base}/api/v1/plans/{plan_id}"
        start_version = httpx.get(url, headers=headers).json()["version"]

        def writer(number: int) -> None:
            chance = random.Random(number)
            with httpx.Client(timeout=30) as client:
                for command in range(SIZES.commands):
                    round_trip = 0.0
                    for attempt in range(TRIES):
                        # the pause grows with the attempts and with how slow the last try was
                        pause = max(0.05, round_trip) * 2 ** min(attempt, 5)
                        time.sleep(chance.uniform(0, pause) if attempt else 0)
                        started = time.monotonic()
                        version = client.get(url, headers=headers).json()["version"]
                        body = {
                            "title": f"writer {number} command {command}",
                            "responsible_participant_id": responsible,
                            "expected_version": version,
                        }
                        answer = client.post(f"{url}/activities", json=body, headers=headers)
                        round_trip = time.monotonic() - started
                        with lock:
                            statuses[answer.status_code] += 1
                        if answer.status_code == 201:
                            made = answer.json()
                            with lock:
                                acked[made["activity_id"]] = made["version"]
                            break
                        if answer.status_code != 409:
                            break  # counted in `statuses`, refused below

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(SIZES.writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        final_version = httpx.get(url, headers=headers).json()["version"]

    assert set(statuses) <= {201, 409}, statuses
    attempts = sum(statuses.values())
    successes = statuses[201]
    wanted = SIZES.writers * SIZES.commands
    with open_store(env) as store:
        events = list(store.events.get(plan_id))
    added = {
        str(e.activity.activity_id): e.originator_version
        for e in events
        if isinstance(e, ActivityAdded)
    }
    versions = [e.originator_version for e in events]
    assert versions == list(range(1, len(versions) + 1))
    assert successes == wanted, "a command ran out of tries"
    assert statuses[409] == attempts - successes
    assert final_version == start_version + successes
    assert added == acked  # each acknowledged activity, at the version it was told
    assert len(set(acked.values())) == successes  # no version written twice
    record_property(
        "figure",
        f"REL-CONC ({'postgres' if database_url.startswith('postgres') else 'sqlite'}): "
        f"{attempts} attempts, {successes} successes, {statuses[409]} 409s, lost updates 0, "
        f"duplicate versions 0, final activities = {len(added)}/{wanted}",
    )
