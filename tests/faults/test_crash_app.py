"""REL-CRASH-APP and REL-REBUILD (security-reference.md §6): the web process killed with
SIGKILL again and again while clients write; afterwards every acknowledged event is in
the store as acknowledged, no plan has a gap, nothing is written twice, a request left
without an answer committed at most once, and the plan list rebuilt from nothing equals
the one that lived through the kills.

Each client request adds a goal whose title is unique to it and carries an
`Idempotency-Key` of its own (decision 0028), so the store itself tells whether an
unanswered ("in doubt") request committed: 0 or 1 goals with its title. After the
kills every in-doubt request is sent again with its key: one that had committed is
answered its first answer (`Idempotent-Replayed`) without a new event, one that had
not is carried out now, and each ends as exactly one goal.
"""

import random
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import httpx

from stafett.aggregates.plan_events import GoalSet
from stafett.applications.plans import PlanApplication
from stafett.bootstrap import plan_list_runner
from stafett.projections.plan_list import APPLICATION_NAME, construct_view
from stafett.settings import Settings
from tests.faults.served import (
    SIZES,
    Record,
    Served,
    environment,
    open_store,
    prepare,
    session_headers,
)

WAIT_SECONDS = 120


@dataclass
class Ledger:
    """What the clients were told: acknowledged (plan, title) → version, and the rest."""

    acked: dict[tuple[UUID, str], int] = field(default_factory=dict)
    acked_at: dict[tuple[UUID, int], datetime] = field(default_factory=dict)  # (plan, version)
    in_doubt: list[tuple[UUID, str, str]] = field(default_factory=list)  # and its key
    refused: Counter[int] = field(default_factory=Counter)  # status → count (never applied)
    statuses: Counter[int] = field(default_factory=Counter)  # every answer's status
    unavailable_without_retry_after: int = 0  # 503s that do not say when to come back
    not_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def client_loop(
    server: Served,
    headers: dict[str, str],
    plans: tuple[UUID, ...],
    ledger: Ledger,
    stop: threading.Event,
) -> None:
    chance = random.Random()
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            plan_id = chance.choice(plans)
            title, key = f"ledger {uuid4().hex}", uuid4().hex
            try:
                answer = client.post(
                    f"{server.base}/api/v1/plans/{plan_id}/goals",
                    json={"title": title},
                    headers=headers | {"Idempotency-Key": key},
                )
            except httpx.ConnectError:  # nothing reached the server
                with ledger.lock:
                    ledger.not_sent += 1
                time.sleep(0.02)
                continue
            except httpx.HTTPError:  # sent, and no answer: it may or may not have committed
                with ledger.lock:
                    ledger.in_doubt.append((plan_id, title, key))
                continue
            with ledger.lock:
                ledger.statuses[answer.status_code] += 1
                if answer.status_code == 503 and "retry-after" not in answer.headers:
                    ledger.unavailable_without_retry_after += 1
                if answer.status_code == 201:
                    version = answer.json()["version"]
                    ledger.acked[(plan_id, title)] = version
                    ledger.acked_at[(plan_id, version)] = datetime.now(UTC)
                elif answer.status_code >= 500:
                    ledger.in_doubt.append((plan_id, title, key))
                else:
                    ledger.refused[answer.status_code] += 1


def start_clients(
    server: Served,
    headers: dict[str, str],
    plans: tuple[UUID, ...],
    ledger: Ledger,
    stop: threading.Event,
) -> list[threading.Thread]:
    """`SIZES.clients` threads running `client_loop` until `stop` is set."""
    clients = [
        threading.Thread(target=client_loop, args=(server, headers, plans, ledger, stop))
        for _ in range(SIZES.clients)
    ]
    for thread in clients:
        thread.start()
    return clients


def test_acknowledged_writes_survive_kill_9_of_the_web_process(
    database_url: str, tmp_path: Path, record_property: Record
) -> None:
    env = environment(tmp_path, database_url)
    setup = prepare(env, SIZES.plans)
    server = Served(env, tmp_path / "server.log")
    ledger, stop, recoveries = Ledger(), threading.Event(), []
    try:
        server.start()
        headers = session_headers(server, setup, tmp_path / "outbox")
        clients = start_clients(server, headers, setup.plan_ids, ledger, stop)
        chance = random.Random(7)
        for _ in range(SIZES.kills):
            time.sleep(chance.uniform(0.5, 3.0))
            server.kill()
            recoveries.append(server.start())
        time.sleep(1.0)
        stop.set()
        for thread in clients:
            thread.join()
        server.caught_up()
        with open_store(env) as store:
            before_retry = {d: count_titled(store, d[0], d[1]) for d in ledger.in_doubt}
        replayed = retry_in_doubt(server, headers, ledger)
        server.caught_up()
    finally:
        stop.set()
        server.stop()

    assert len(ledger.acked) > SIZES.kills, "the load never got going"
    assert not ledger.refused, ledger.refused
    with open_store(env) as store:
        titles: dict[UUID, Counter[str]] = {}
        versions_seen: dict[tuple[UUID, str], int] = {}
        for plan_id in setup.plan_ids:
            events = list(store.events.get(plan_id))
            versions = [e.originator_version for e in events]
            assert versions == list(range(1, len(versions) + 1)), f"a version gap in {plan_id}"
            goals = [e for e in events if isinstance(e, GoalSet)]
            titles[plan_id] = Counter(e.title for e in goals)
            versions_seen |= {(plan_id, e.title): e.originator_version for e in goals}
        lost = [key for key in ledger.acked if titles[key[0]][key[1]] == 0]
        duplicated = [(p, t) for p, counts in titles.items() for t, n in counts.items() if n > 1]
        moved = [key for key, version in ledger.acked.items() if versions_seen.get(key) != version]
        ids = [n.id for n in store.recorder.select_notifications(start=1, limit=10**9)]
    assert lost == []
    assert duplicated == []
    assert moved == []
    assert ids == sorted(set(ids)), "notification ids repeat or go backwards"
    # Each in-doubt request had committed 0 or 1 times; the retry with its key said which
    # (replayed exactly those that had), and now each is exactly one goal.
    assert set(before_retry.values()) <= {0, 1}
    assert replayed == {d for d, count in before_retry.items() if count == 1}
    assert all(titles[plan_id][title] == 1 for plan_id, title, _ in ledger.in_doubt)
    committed = len(replayed)

    differing, rebuild_rate = rebuild_equals_live(env)
    assert differing == 0

    p50 = statistics.median(recoveries)
    p95 = sorted(recoveries)[max(0, round(0.95 * len(recoveries)) - 1)]
    store_name = "postgres" if database_url.startswith("postgres") else "sqlite"
    figure = (
        f"REL-CRASH-APP ({store_name}): {len(ledger.acked)} acknowledged events, 0 lost, "
        f"0 duplicated, 0 version gaps, {len(ledger.in_doubt)} in-doubt → {committed} committed / "
        f"{len(ledger.in_doubt) - committed} absent (resolved by retrying each with its "
        f"Idempotency-Key: {committed} replayed, {len(ledger.in_doubt) - committed} applied once), "
        f"after K={SIZES.kills} kill -9 restarts; "
        f"recovery p50/p95 = {p50:.2f}/{p95:.2f} s (restart to first 2xx); "
        f"REL-REBUILD: {len(ids)} events replayed twice, 0 differing rows, {rebuild_rate:.0f} ev/s"
    )
    record_property("figure", figure)


def count_titled(store: PlanApplication, plan_id: UUID, title: str) -> int:
    return sum(1 for e in store.events.get(plan_id) if isinstance(e, GoalSet) and e.title == title)


def retry_in_doubt(
    server: Served, headers: dict[str, str], ledger: Ledger
) -> set[tuple[UUID, str, str]]:
    """Send every in-doubt request again with its key; those answered as a replay."""
    replayed = set()
    with httpx.Client(timeout=30) as client:
        for plan_id, title, key in ledger.in_doubt:
            answer = client.post(
                f"{server.base}/api/v1/plans/{plan_id}/goals",
                json={"title": title},
                headers=headers | {"Idempotency-Key": key},
            )
            assert answer.status_code == 201, answer.text
            if answer.headers.get("idempotent-replayed") == "true":
                replayed.add((plan_id, title, key))
    return replayed


def rebuild_equals_live(env: dict[str, str]) -> tuple[int, float]:
    """Rows that differ between the live plan list and two rebuilds from notification 0;
    and the rebuild rate (events/s)."""
    store_env = Settings.from_env(env).event_store_env()
    view, _factory = construct_view(store_env)
    live = view.rows()
    dumps, rates = [], []
    with open_store(env) as store:
        last = store.recorder.max_notification_id() or 0
    for _ in range(2):
        view.reset()
        started = time.monotonic()
        with plan_list_runner(store_env) as runner:
            runner.wait(last, timeout=WAIT_SECONDS)
        rates.append(last / (time.monotonic() - started))
        dumps.append(view.rows())
    assert view.max_tracking_id(APPLICATION_NAME) == last
    differing = sum(len(set(live[table]) ^ set(dump[table])) for dump in dumps for table in live)
    return differing, min(rates)
