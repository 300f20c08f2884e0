"""The access log on a real store: the chain, its sequence, the triggers, concurrency."""

import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import PersistenceError

from stafett.aggregates.errors import ValidationError
from stafett.applications.access_log import (
    GENESIS_HASH,
    AccessLog,
    AccessLogUnavailableError,
    canonical,
    canonical_of,
    chain_hash,
)
from stafett.applications.plans import PlanApplication
from stafett.persistence.access_log import AccessLogStore, AccessRow
from stafett.persistence.recorders import to_micros
from stafett.settings import Settings
from stafett.web.log_chain import heads_against
from tests.conftest import ManualClock
from tests.e2e.test_logging import captured_logs

DB_ERRORS = (PersistenceError, psycopg.Error)


@pytest.fixture
def store(plans: PlanApplication) -> AccessLogStore:
    store = AccessLogStore(plans.directory.datastore)
    store.create_tables()
    return store


@pytest.fixture
def access_log(store: AccessLogStore, clock: ManualClock) -> AccessLog:
    return AccessLog(store, clock=clock)


def read(log: AccessLog, plan_id: UUID, reader: UUID, *sections: str) -> None:
    log.record(
        plan_id,
        reader_person_id=reader,
        role="coordinator",
        sections=sections or ("history",),
        grounds=f"participant:{uuid4()}",
    )


def execute(store: AccessLogStore, statement: str, *params: object) -> None:
    with store.cursor(commit=True) as c:
        c.execute(store.sql(statement), list(params))


def test_entries_chain_from_genesis_with_a_sequence_per_plan(
    access_log: AccessLog, clock: ManualClock
) -> None:
    plan_a, plan_b, reader = uuid4(), uuid4(), uuid4()
    access_log.record(
        plan_a,
        reader_person_id=reader,
        role="owner",
        sections=["overview", "goals"],
        grounds="participant:p1",
    )
    clock.advance(timedelta(minutes=1))
    read(access_log, plan_b, reader)
    read(access_log, plan_a, reader, "timeline")

    first, second = access_log.entries(plan_a)
    assert [first.seq, second.seq] == [1, 2]
    assert [e.seq for e in access_log.entries(plan_b)] == [1]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert first.at == clock.now - timedelta(minutes=1)
    assert (first.reader_person_id, first.role) == (reader, "owner")
    assert first.sections == ("overview", "goals")
    assert first.grounds == "participant:p1"
    expected = canonical(
        plan_id=plan_a,
        seq=1,
        at=to_micros(first.at),
        reader_person_id=reader,
        role="owner",
        sections=["overview", "goals"],
        grounds="participant:p1",
    )
    assert first.hash == chain_hash(GENESIS_HASH, expected)
    assert access_log.verify(plan_a) == access_log.verify(plan_b) == []


def test_an_explicit_instant_is_recorded_as_given(
    access_log: AccessLog, clock: ManualClock
) -> None:
    plan_id = uuid4()
    at = clock.now - timedelta(days=3)
    access_log.record(
        plan_id,
        reader_person_id=uuid4(),
        role="auditor",
        sections=["history"],
        grounds="audit",
        at=at,
    )
    assert access_log.entries(plan_id)[0].at == at


def test_a_plan_without_reads_has_an_empty_intact_log(access_log: AccessLog) -> None:
    assert access_log.entries(uuid4()) == []
    assert access_log.verify(uuid4()) == []


@pytest.mark.parametrize(
    ("role", "sections", "grounds"),
    [
        ("janitor", ["history"], "audit"),
        ("auditor", [], "audit"),
        ("auditor", ["secrets"], "audit"),
        ("auditor", ["history"], ""),
        ("auditor", ["history"], "auditor"),  # an auditor reads on the grounds "audit" only
        ("auditor", ["history"], "participant:p1"),
        ("coordinator", ["history"], "audit"),  # and only an auditor on those grounds
    ],
)
def test_an_entry_that_says_nothing_useful_is_refused(
    access_log: AccessLog, role: str, sections: list[str], grounds: str
) -> None:
    plan_id = uuid4()
    with pytest.raises(ValidationError):
        access_log.record(
            plan_id, reader_person_id=uuid4(), role=role, sections=sections, grounds=grounds
        )
    assert access_log.entries(plan_id) == []


def test_the_database_refuses_to_change_or_delete_an_entry(
    access_log: AccessLog, store: AccessLogStore
) -> None:
    plan_id = uuid4()
    read(access_log, plan_id, uuid4())
    before = access_log.entries(plan_id)

    with pytest.raises(DB_ERRORS, match="append-only"):
        execute(store, f"UPDATE {store.rows} SET role=%s", "owner")
    with pytest.raises(DB_ERRORS, match="append-only"):
        execute(store, f"DELETE FROM {store.rows}")
    assert access_log.entries(plan_id) == before


@pytest.mark.postgres
def test_postgres_also_refuses_truncate(postgres_schema: str, clock: ManualClock) -> None:
    env = Settings(database_url=postgres_schema).event_store_env()
    with PlanApplication(env, clock=clock) as plans:
        store = AccessLogStore(plans.directory.datastore)
        store.create_tables()
        plan_id = uuid4()
        read(AccessLog(store, clock=clock), plan_id, uuid4())
        with pytest.raises(DB_ERRORS, match="append-only"):
            execute(store, f"TRUNCATE {store.rows}")
        assert len(store.rows_of(plan_id)) == 1


def drop_triggers(store: AccessLogStore) -> None:
    """What an attacker with DDL rights could do; verify must still catch the edit."""
    if store.is_sqlite:
        execute(store, "DROP TRIGGER access_log_no_update")
        execute(store, "DROP TRIGGER access_log_no_delete")
    else:
        execute(store, f"DROP TRIGGER access_log_no_change ON {store.rows}")


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ("UPDATE {rows} SET role='owner' WHERE seq=2", "seq 2: hash does not match"),
        ("UPDATE {rows} SET sections='[\"overview\"]' WHERE seq=1", "seq 1: hash does not match"),
        ("UPDATE {rows} SET at=at+1 WHERE seq=3", "seq 3: hash does not match"),
        ("DELETE FROM {rows} WHERE seq=2", "seq 3: expected seq 2"),
        ("DELETE FROM {rows} WHERE seq=1", "seq 2: expected seq 1"),
    ],
)
def test_verify_finds_an_entry_altered_behind_its_back(
    access_log: AccessLog, store: AccessLogStore, statement: str, problem: str
) -> None:
    plan_id, other = uuid4(), uuid4()
    for _ in range(3):
        read(access_log, plan_id, uuid4())
    read(access_log, other, uuid4())
    drop_triggers(store)

    execute(store, statement.format(rows=store.rows) + " AND plan_id=%s", store.value(plan_id))

    problems = access_log.verify(plan_id)
    assert any(p.startswith(problem) for p in problems), problems
    assert access_log.verify(other) == []


def test_verify_finds_a_rewritten_entry_even_with_its_own_hash_recomputed(
    access_log: AccessLog, store: AccessLogStore
) -> None:
    plan_id = uuid4()
    for _ in range(3):
        read(access_log, plan_id, uuid4())
    second = access_log.entries(plan_id)[1]
    forged = chain_hash(
        second.prev_hash,
        canonical(
            plan_id=plan_id,
            seq=2,
            at=to_micros(second.at),
            reader_person_id=uuid4(),
            role="owner",
            sections=["history"],
            grounds="x",
        ),
    )
    drop_triggers(store)
    execute(
        store,
        f"UPDATE {store.rows} SET hash=%s, role='owner' WHERE plan_id=%s AND seq=2",
        forged,
        store.value(plan_id),
    )
    problems = access_log.verify(plan_id)
    assert "seq 2: hash does not match the entry" in problems
    assert "seq 3: prev_hash does not match the entry before" in problems


class RacingStore(AccessLogStore):
    """Lets another writer take the next seq between reading the head and appending."""

    def __init__(self, inner: AccessLogStore, rival: AccessLog, plan_id: UUID) -> None:
        super().__init__(inner.datastore)
        self.rival, self.plan_id, self.raced = rival, plan_id, False

    def append(self, *rows: AccessRow[int]) -> None:
        (row,) = rows  # one reader at a time here: one row per append
        if not self.raced:
            self.raced = True
            read(self.rival, self.plan_id, uuid4())
        super().append(row)


def test_a_writer_that_loses_the_race_for_a_seq_retries_on_the_new_head(
    access_log: AccessLog, store: AccessLogStore, clock: ManualClock
) -> None:
    plan_id = uuid4()
    read(access_log, plan_id, uuid4())
    racing = AccessLog(RacingStore(store, access_log, plan_id), clock=clock)
    reader = uuid4()

    read(racing, plan_id, reader)

    entries = access_log.entries(plan_id)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[2].reader_person_id == reader
    assert access_log.verify(plan_id) == []


def test_concurrent_writers_to_one_plan_all_succeed(access_log: AccessLog) -> None:
    plan_id, threads_count, each = uuid4(), 4, 10
    barrier = threading.Barrier(threads_count, timeout=10)
    errors: list[BaseException] = []
    readers = [uuid4() for _ in range(threads_count)]

    def write(reader: UUID) -> None:
        try:
            barrier.wait()
            for _ in range(each):
                read(access_log, plan_id, reader)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(r,)) for r in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []

    entries = access_log.entries(plan_id)
    assert [e.seq for e in entries] == list(range(1, threads_count * each + 1))
    assert {r: sum(e.reader_person_id == r for e in entries) for r in readers} == dict.fromkeys(
        readers, each
    )
    assert access_log.verify(plan_id) == []


class BrokenStore(AccessLogStore):
    def append(self, *rows: AccessRow[int]) -> None:
        (row,) = rows  # one reader at a time here: one row per append
        raise RuntimeError(f"disk full for {row.plan_id}")


def test_a_failed_append_raises_so_the_caller_can_fail_closed(
    store: AccessLogStore, clock: ManualClock
) -> None:
    broken = AccessLog(BrokenStore(store.datastore), clock=clock)
    with pytest.raises(AccessLogUnavailableError):
        read(broken, uuid4(), uuid4())


def test_tables_can_be_created_twice(store: AccessLogStore, access_log: AccessLog) -> None:
    store.create_tables()
    plan_id = uuid4()
    read(access_log, plan_id, uuid4())
    with pytest.raises(DB_ERRORS, match="append-only"):
        execute(store, f"DELETE FROM {store.rows}")


def test_several_workers_can_create_the_tables_at_once(
    plans: PlanApplication, clock: ManualClock
) -> None:
    count = 4
    barrier = threading.Barrier(count, timeout=10)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait()
            AccessLogStore(plans.directory.datastore).create_tables()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    store = AccessLogStore(plans.directory.datastore)
    read(AccessLog(store, clock=clock), uuid4(), uuid4())
    with pytest.raises(DB_ERRORS, match="append-only"):
        execute(store, f"DELETE FROM {store.rows}")


def test_a_table_forged_consistently_passes_its_own_check_but_not_the_logged_heads(
    access_log: AccessLog, store: AccessLogStore, tmp_path: Path
) -> None:
    """Decision 0047: each committed batch logs its plans' heads to the chained log, which
    leaves the database; a DBA who removes a read and re-chains the rest is then seen."""
    plan_id, other = uuid4(), uuid4()
    logged = tmp_path / "stafett.log"
    with captured_logs(json_lines=True) as sink:
        for _ in range(4):
            read(access_log, plan_id, uuid4())
        read(access_log, other, uuid4())
    logged.write_text(sink.getvalue())
    assert heads_against(access_log, plan_id, logged) == []
    assert heads_against(access_log, other, logged) == []

    kept = [row for row in store.rows_of(plan_id) if row.seq != 2]
    drop_triggers(store)
    execute(store, f"DELETE FROM {store.rows} WHERE plan_id=%s", store.value(plan_id))
    prev_hash = GENESIS_HASH
    for seq, row in enumerate(kept, start=1):
        moved = replace(row, seq=seq, prev_hash=prev_hash)
        store.append(replace(moved, hash=chain_hash(prev_hash, canonical_of(moved))))
        prev_hash = chain_hash(prev_hash, canonical_of(moved))

    assert access_log.verify(plan_id) == []  # consistent: the table alone cannot tell
    problems = heads_against(access_log, plan_id, logged)
    assert [p.split(":")[0] for p in problems] == ["seq 2", "seq 3", "seq 4"]
    assert problems[-1].endswith("the table has no such entry")
    assert heads_against(access_log, other, logged) == []
