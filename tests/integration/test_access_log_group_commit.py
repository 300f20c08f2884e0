"""The access log's group commit on a real store: concurrent reads share one transaction,
every entry is written and chained, and a failed commit fails every read of its batch."""

import asyncio
import json
import threading
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid4

import pytest

from stafett.applications.access_log import (
    AccessLog,
    AccessLogUnavailableError,
    commit_reads_of_the_loop,
    reads_on_the_loop,
)
from stafett.applications.plans import PlanApplication
from stafett.persistence.access_log import COLUMNS, AccessLogStore, AccessRow, SeqTakenError
from stafett.settings import Settings
from tests.conftest import ManualClock
from tests.crossed import crossed_with_another_writer
from tests.threads import in_threads, wait_until

Visit = tuple[UUID, UUID, datetime]


class HeldStore(AccessLogStore):
    """Counts its commits (the rows of each), holds the first until released and fails
    those that `failing` names (by their number, from 1)."""

    def __init__(self, inner: AccessLogStore, *, failing: frozenset[int] = frozenset()) -> None:
        super().__init__(inner.datastore)
        self.commits: list[int] = []
        self.release = threading.Event()
        self.failing = failing

    def append(self, *rows: AccessRow[int]) -> None:
        self.commits.append(len(rows))
        number = len(self.commits)
        if number == 1:
            assert self.release.wait(20)
        if number in self.failing:
            raise OSError("disk I/O error")
        super().append(*rows)


class Visits:
    def __init__(self) -> None:
        self.calls: list[list[Visit]] = []

    def note_visits(self, visits: Sequence[Visit]) -> None:
        self.calls.append(list(visits))


@pytest.fixture
def store(plans: PlanApplication) -> AccessLogStore:
    store = AccessLogStore(plans.directory.datastore)
    store.create_tables()
    return store


def read(log: AccessLog, plan_id: UUID, reader: UUID, visits: Visits | None = None) -> None:
    log.record(
        plan_id,
        reader_person_id=reader,
        role="coordinator",
        sections=("goals",),
        grounds=f"participant:{reader}",
        visit_to=visits,
    )


def test_reads_that_arrive_during_a_commit_are_written_together_in_the_next(
    store: AccessLogStore, clock: ManualClock
) -> None:
    held = HeldStore(store)
    log = AccessLog(held, clock=clock)
    plans, readers, visits = [uuid4() for _ in range(3)], [uuid4() for _ in range(20)], Visits()
    first = threading.Thread(target=read, args=(log, plans[0], readers[0], visits))
    first.start()
    wait_until(lambda: held.commits == [1])  # the first read is being committed

    def later(i: int) -> None:
        read(log, plans[i % 3], readers[i + 1], visits)

    def release_once_all_wait() -> None:
        wait_until(lambda: log.writer.queued == 19)
        held.release.set()

    errors = in_threads(later, 19, started=release_once_all_wait)
    first.join(timeout=30)

    assert errors == {}
    assert held.commits == [1, 19]
    assert log.writer.batches == 2
    entries = [e for plan_id in plans for e in log.entries(plan_id)]
    assert sorted(e.reader_person_id for e in entries) == sorted(readers)
    for plan_id, count in zip(plans, (8, 6, 6), strict=True):  # the first read and 7, 6, 6
        assert [e.seq for e in log.entries(plan_id)] == list(range(1, count + 1))
        assert log.verify(plan_id) == []
    assert [len(call) for call in visits.calls] == [1, 19]  # noted with their batch
    assert sorted(person for call in visits.calls for person, _, _ in call) == sorted(readers)


def test_a_failed_commit_fails_every_read_of_its_batch_and_writes_none(
    store: AccessLogStore, clock: ManualClock
) -> None:
    held = HeldStore(store, failing=frozenset({2}))
    log = AccessLog(held, clock=clock)
    plan_id, visits = uuid4(), Visits()
    first = threading.Thread(target=read, args=(log, plan_id, uuid4()))
    first.start()
    wait_until(lambda: held.commits == [1])

    def release_once_all_wait() -> None:
        wait_until(lambda: log.writer.queued == 5)
        held.release.set()

    errors = in_threads(
        lambda _: read(log, plan_id, uuid4(), visits), 5, started=release_once_all_wait
    )
    first.join(timeout=30)

    assert held.commits == [1, 5]
    assert sorted(errors) == list(range(5))
    assert all(isinstance(e, AccessLogUnavailableError) for e in errors.values())
    assert [e.seq for e in log.entries(plan_id)] == [1]  # only the first batch's entry
    assert visits.calls == []  # nothing noted for reads that were not recorded
    read(log, plan_id, uuid4())  # the next batch commits again
    assert [e.seq for e in log.entries(plan_id)] == [1, 2]
    assert log.verify(plan_id) == []


def test_two_writers_on_one_store_keep_one_chain_per_plan(
    store: AccessLogStore, clock: ManualClock
) -> None:
    """As two web processes would: each has its own group commit; the primary key on
    (plan, seq) makes the one that read an old head chain its batch anew."""
    logs = [AccessLog(store, clock=clock), AccessLog(store, clock=clock)]
    plan_ids = [uuid4(), uuid4()]
    each = 12
    barrier = threading.Barrier(8, timeout=10)

    def work(i: int) -> None:
        barrier.wait()
        for n in range(each):
            read(logs[i % 2], plan_ids[n % 2], UUID(int=i * 1000 + n))

    assert in_threads(work, 8) == {}

    for plan_id in plan_ids:
        entries = logs[0].entries(plan_id)
        assert [e.seq for e in entries] == list(range(1, 8 * each // 2 + 1))
        assert logs[0].verify(plan_id) == []
    readers = {e.reader_person_id for p in plan_ids for e in logs[0].entries(p)}
    assert readers == {UUID(int=i * 1000 + n) for i in range(8) for n in range(each)}


# ------------------------------------------- reads recorded on an event loop (decision 0035)


def test_a_read_on_the_loop_waits_for_its_request_to_commit_it(
    store: AccessLogStore, clock: ManualClock
) -> None:
    log, plan_id, reader = AccessLog(store, clock=clock), uuid4(), uuid4()

    async def request() -> tuple[int, int]:
        with reads_on_the_loop():
            read(log, plan_id, reader)
            before = len(log.entries(plan_id))
            await commit_reads_of_the_loop()
            return before, len(log.entries(plan_id))

    assert asyncio.run(request()) == (0, 1)
    assert log.verify(plan_id) == []


def test_a_read_outside_a_request_or_in_a_worker_thread_is_committed_by_record(
    store: AccessLogStore, clock: ManualClock
) -> None:
    log, plan_id = AccessLog(store, clock=clock), uuid4()

    async def request() -> list[int]:
        counts = []
        read(log, plan_id, uuid4())  # on the loop, but no request collects it
        counts.append(len(log.entries(plan_id)))
        with reads_on_the_loop():
            await asyncio.to_thread(read, log, plan_id, uuid4())  # a worker thread
            counts.append(len(log.entries(plan_id)))
            await commit_reads_of_the_loop()  # nothing waits: a no-op
        return counts

    assert asyncio.run(request()) == [1, 2]
    assert len(log.entries(plan_id)) == 2


def test_concurrent_requests_on_the_loop_share_commits_and_each_hears_of_a_failure(
    store: AccessLogStore, clock: ManualClock
) -> None:
    held = HeldStore(store, failing=frozenset({2}))
    log, plan_id = AccessLog(held, clock=clock), uuid4()

    async def request() -> None:
        with reads_on_the_loop():
            read(log, plan_id, uuid4())
            await commit_reads_of_the_loop()

    async def main() -> list[BaseException | None]:
        first = asyncio.create_task(request())
        while held.commits != [1]:  # the loop serves on while the first commit is held
            await asyncio.sleep(0.001)
        others = [asyncio.create_task(request()) for _ in range(5)]
        await asyncio.sleep(0.01)
        held.release.set()
        return await asyncio.gather(first, *others, return_exceptions=True)

    outcomes = asyncio.run(main())
    assert held.commits == [1, 5]
    assert outcomes[0] is None
    assert all(isinstance(o, AccessLogUnavailableError) for o in outcomes[1:])
    assert [e.seq for e in log.entries(plan_id)] == [1]


# ------------------------------------------ two writers on PostgreSQL: no deadlock


def _row(plan_id: UUID, reader: UUID) -> AccessRow[int]:
    return AccessRow(plan_id, 1, 0, reader, "coordinator", ("goals",), "test", "0" * 64, "1" * 64)


def _values(row: AccessRow[int]) -> list[object]:
    return [json.dumps(list(row.sections)) if n == "sections" else getattr(row, n) for n in COLUMNS]


@pytest.mark.postgres
def test_two_writers_whose_batches_cross_do_not_deadlock(
    postgres_schema: str, clock: ManualClock
) -> None:
    """Our batch, for plan 2 then plan 1, must wait for plan 1's key first and then find
    it taken (and chain again), not deadlock with another process's batch: PostgreSQL
    would fail one of them, and its reads with it (`tests/crossed.py`)."""
    plans = PlanApplication(Settings(database_url=postgres_schema).event_store_env(), clock=clock)
    try:
        store = AccessLogStore(plans.directory.datastore)
        store.create_tables()
        first, second = UUID(int=1), UUID(int=2)
        insert = (
            f"INSERT INTO {store.rows} ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(COLUMNS))})"
        )

        def our_batch() -> None:
            with pytest.raises(SeqTakenError):
                store.append(_row(second, uuid4()), _row(first, uuid4()))

        outcome = crossed_with_another_writer(
            postgres_schema,
            str(store.rows),
            statement=insert,
            first=_values(_row(first, uuid4())),
            second=_values(_row(second, uuid4())),
            ours=our_batch,
        )
        assert outcome == ["done"]
    finally:
        plans.close()
