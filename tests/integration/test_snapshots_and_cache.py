"""Snapshots and the aggregate cache on a real store.

A plan loaded from its snapshots (by an application with no cache, as a restarted
process would) must equal the plan the writing application holds, at every
version; its comments and messages stay encoded until read, also through commands.
"""

import sqlite3
from collections.abc import Iterator
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import pytest
from bench.workload import build_long_plan, register_people
from eventsourcing.application import LRUCache, Repository
from eventsourcing.persistence import MapperDeserialisationError

from stafett.aggregates.plan import Plan
from stafett.aggregates.values import CommentTarget, local_date
from stafett.applications import transcodings
from stafett.applications.commands import (
    AddCalendarEntry,
    ChangePlanDetails,
    ClosePlan,
    PostComment,
    ReopenPlan,
    ReviseGoal,
    SendMessage,
    SetGoal,
)
from stafett.applications.parts import CommentOn
from stafett.applications.plans import SNAPSHOT_INTERVAL, PlanApplication
from stafett.applications.transcodings import LOG_FIELDS, MAP_FIELDS, PlanSnapshotTranscoder
from stafett.persistence.log_chunks import ChunkMissingError, SqlLogChunks
from stafett.settings import Settings
from tests.conftest import ManualClock
from tests.integration.support import NewPlan, add_provider, new_plan

OSLO_WINTER = timezone(timedelta(hours=1))


def no_cache_env(database_url: str) -> dict[str, str]:
    return Settings(database_url=database_url, aggregate_cache_size=0).event_store_env()


@pytest.fixture
def fresh(database_url: str, clock: ManualClock) -> Iterator[PlanApplication]:
    """A second application with no aggregate cache: every load reads the store."""
    app = PlanApplication(no_cache_env(database_url), clock=clock)
    try:
        yield app
    finally:
        app.close()


def write_plan(plans: PlanApplication, clock: ManualClock, events: int) -> NewPlan:
    """A plan of exactly `events` events: comments, messages, calendar entries, goals."""
    plan = new_plan(plans)
    kari = plan.coordinator_id
    add_provider(plans, plan, "Per", "Lærer")
    goal_id = plans.handle(plan.plan_id, SetGoal(title="Lese"), by=kari).created_id
    assert goal_id is not None
    review = local_date(clock()) + timedelta(days=90)
    details = ChangePlanDetails(level=2, review_on=review)  # the details survive snapshots
    plans.handle(plan.plan_id, details, by=kari)
    version = 4
    while version < events:
        clock.advance(timedelta(minutes=7))
        kind = version % 5
        if kind in (0, 2):
            result = plans.handle(
                plan.plan_id,
                PostComment(
                    on=CommentOn(kind=CommentTarget.GOAL, id=goal_id),
                    text=f"Kommentar {version} – «æøå»",
                ),
                by=kari,
            )
        elif kind in (1, 3):
            result = plans.handle(
                plan.plan_id,
                SendMessage(to="all", subject="Møte", body=f"Melding {version}"),
                by=kari,
            )
        else:
            starts = (clock() + timedelta(days=3)).astimezone(OSLO_WINTER)
            result = plans.handle(
                plan.plan_id,
                AddCalendarEntry(
                    title=f"Møte {version}", starts_at=starts, ends_at=starts + timedelta(hours=1)
                ),
                by=kari,
            )
        version = result.version
    return plan


def snapshot_versions(app: PlanApplication, plan_id: UUID) -> list[int]:
    assert app.snapshots is not None
    return [s.originator_version for s in app.snapshots.recorder.select_events(plan_id)]


def loaded(app: PlanApplication, plan_id: UUID, version: int | None = None) -> Plan:
    plan: Any = app.repository.get(plan_id, version=version)
    assert isinstance(plan, Plan)
    return plan


def test_a_plan_reloaded_from_snapshots_equals_the_written_plan(
    plans: PlanApplication, fresh: PlanApplication, clock: ManualClock
) -> None:
    events = 3 * SNAPSHOT_INTERVAL + 42
    plan = write_plan(plans, clock, events)
    assert snapshot_versions(plans, plan.plan_id) == [100, 200, 300]
    written = loaded(plans, plan.plan_id)  # the writer's cached plan, never reloaded

    reloaded = loaded(fresh, plan.plan_id)

    assert reloaded.version == written.version == events
    assert reloaded.state.comments.undecoded_chunks() > 0  # not read yet
    assert reloaded.state == written.state
    assert (reloaded.state.level, reloaded.state.review_on) == (2, written.state.review_on)
    assert (reloaded.created_on, reloaded.modified_on) == (written.created_on, written.modified_on)
    assert fresh.get_plan(plan.plan_id) == plans.get_plan(plan.plan_id)
    # Offsets survive the snapshot as they do the events (not only the instants).
    offsets = {e.starts_at.utcoffset() for e in fresh.get_plan(plan.plan_id).calendar}
    assert offsets == {timedelta(hours=1)}
    texts = [c.text for c in fresh.get_plan(plan.plan_id).comments]
    assert texts[-1].endswith("«æøå»")

    replay: Repository[UUID] = Repository(event_store=fresh.events)  # events only
    for version in (99, 100, 101, 200, 250, 300, events):
        from_snapshot = loaded(fresh, plan.plan_id, version)
        from_events: object = replay.get(plan.plan_id, version=version)
        assert isinstance(from_events, Plan)
        assert from_snapshot.version == version
        assert from_snapshot.state == from_events.state, version
        view = fresh.plan_as_of(plan.plan_id, version=version)
        assert len(view.comments) == len(from_events.state.comments)


def test_commands_on_a_plan_from_a_snapshot_leave_its_logs_encoded(
    plans: PlanApplication, database_url: str, clock: ManualClock
) -> None:
    plan = write_plan(plans, clock, SNAPSHOT_INTERVAL + 90)
    kari = plan.coordinator_id
    goal_id = plans.get_plan(plan.plan_id).goals[0].goal_id
    restarted = PlanApplication(Settings(database_url=database_url).event_store_env(), clock=clock)
    try:
        for n in range(20):  # across the snapshot at 200
            clock.advance()
            restarted.handle(
                plan.plan_id,
                PostComment(on=CommentOn(kind=CommentTarget.GOAL, id=goal_id), text=f"Ny {n}"),
                by=kari,
            )
            restarted.handle(
                plan.plan_id, SendMessage(to="all", subject="Hei", body=f"Ny {n}"), by=kari
            )
        assert snapshot_versions(restarted, plan.plan_id) == [100, 200]
        assert restarted.repository.cache is not None
        cached: Any = restarted.repository.cache.get(plan.plan_id)
        assert cached.version == SNAPSHOT_INTERVAL + 90 + 40
        for log in (cached.state.comments, cached.state.messages):
            assert log.undecoded_chunks() == 1  # the one from the snapshot at 100

        assert restarted.get_plan(plan.plan_id) == plans.get_plan(plan.plan_id)
        assert cached.state.comments.undecoded_chunks() == 0  # read by the view
    finally:
        restarted.close()
    with PlanApplication(no_cache_env(database_url), clock=clock) as reader:
        assert reader.get_plan(plan.plan_id) == plans.get_plan(plan.plan_id)


def test_a_command_on_a_stale_cached_plan_sees_the_other_instances_writes(
    plans: PlanApplication, database_url: str, clock: ManualClock
) -> None:
    """The cached copy is not fast-forwarded; a refusal or no-op is checked on fresh state."""
    plan = new_plan(plans)
    kari = plan.coordinator_id
    other = PlanApplication(Settings(database_url=database_url).event_store_env(), clock=clock)
    try:
        assert other.get_plan(plan.plan_id).version == 1  # cached there at version 1
        goal = plans.handle(plan.plan_id, SetGoal(title="Lese"), by=kari)
        plans.handle(plan.plan_id, ClosePlan(ended_on=clock().date()), by=kari)
        plans.handle(plan.plan_id, ReopenPlan(), by=kari)
        assert goal.created_id is not None

        # Needs the goal the other instance has not seen yet: decided again, fresh.
        commented = other.handle(
            plan.plan_id,
            PostComment(on=CommentOn(kind=CommentTarget.GOAL, id=goal.created_id), text="Bra"),
            by=kari,
        )
        assert commented.version == 5
        assert [c.text for c in plans.get_plan(plan.plan_id).comments] == ["Bra"]
        # Its own cache now holds the plan it saved.
        assert other.repository.cache is not None
        assert other.repository.cache.get(plan.plan_id).version == 5
    finally:
        other.close()


def test_a_cache_size_of_0_means_no_cache(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'stafett.sqlite'}"
    assert (
        Settings(database_url=url, aggregate_cache_size=0).event_store_env()[
            "AGGREGATE_CACHE_MAXSIZE"
        ]
        == ""
    )
    with PlanApplication(no_cache_env(url)) as app:
        assert app.repository.cache is None
    with PlanApplication(
        Settings(database_url=url, aggregate_cache_size=7).event_store_env()
    ) as app:
        assert isinstance(app.repository.cache, LRUCache)
        assert app.repository.cache.maxsize == 7
    assert Settings.from_env({"STAFETT_AGGREGATE_CACHE_SIZE": "0"}).aggregate_cache_size == 0


def test_an_sqlite_database_from_before_keeps_its_snapshots(
    tmp_path: Path, clock: ManualClock
) -> None:
    """A WITHOUT ROWID snapshots table is rebuilt as a rowid table; old JSON snapshots load."""
    path = tmp_path / "stafett.sqlite"
    url = f"sqlite:///{path}"
    stock = Settings(database_url=url).event_store_env() | {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite"
    }
    with PlanApplication(stock, clock=clock) as before:
        plan = write_plan(before, clock, SNAPSHOT_INTERVAL + 5)
        at_100 = loaded(before, plan.plan_id, SNAPSHOT_INTERVAL)
        legacy = before.mapper.to_stored_event(Plan.Snapshot.take(at_100))  # JSON in JSON
        assert legacy.state.startswith(b"{")
        expected = before.get_plan(plan.plan_id)
    with sqlite3.connect(path) as conn:
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name='stored_snapshots'"
        ).fetchone()
        assert "WITHOUT ROWID" in sql
        conn.execute("UPDATE stored_snapshots SET state=?", (legacy.state,))

    with PlanApplication(no_cache_env(url), clock=clock) as after:
        assert loaded(after, plan.plan_id).state.comments.undecoded_chunks() == 0  # JSON
        assert after.get_plan(plan.plan_id) == expected
        assert snapshot_versions(after, plan.plan_id) == [SNAPSHOT_INTERVAL]
    with sqlite3.connect(path) as conn:
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name='stored_snapshots'"
        ).fetchone()
        assert "WITHOUT ROWID" not in sql
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert "stored_snapshots_key" in tables
        assert "stored_snapshots_without_rowid" not in tables


# ------------------------------------------------------- log chunks, stored once


def stored_bytes(app: PlanApplication, plan_id: UUID) -> tuple[int, int, int]:
    """Bytes of the plan's events, of its snapshots, and of every stored log chunk."""
    assert app.snapshots is not None
    events = sum(len(e.state) for e in app.recorder.select_events(plan_id))
    snapshots = sum(len(s.state) for s in app.snapshots.recorder.select_events(plan_id))
    chunks = app.snapshots.mapper.transcoder
    assert isinstance(chunks, PlanSnapshotTranscoder)
    store = chunks.chunks
    assert isinstance(store, SqlLogChunks)
    rows = store.select(f"SELECT data FROM {store.chunks}")
    return events, snapshots, sum(len(bytes(r["data"])) for r in rows)


def test_snapshots_name_the_log_chunks_which_are_stored_once(
    plans: PlanApplication, fresh: PlanApplication, clock: ManualClock
) -> None:
    """Before, every snapshot carried every earlier comment and message, so their bytes
    grew with the square of the plan's length."""
    events = 10 * SNAPSHOT_INTERVAL + 7
    plan = write_plan(plans, clock, events)
    assert len(snapshot_versions(plans, plan.plan_id)) == 10
    event_bytes, snapshot_bytes, chunk_bytes = stored_bytes(plans, plan.plan_id)
    assert chunk_bytes > 0
    assert snapshot_bytes + chunk_bytes <= 2 * event_bytes, (event_bytes, snapshot_bytes)
    assert plans.snapshots is not None
    transcoder = plans.snapshots.mapper.transcoder
    assert isinstance(transcoder, PlanSnapshotTranscoder)
    inline = sum(
        len(as_format_2(s.state, transcoder))
        for s in plans.snapshots.recorder.select_events(plan.plan_id)
    )
    # With their chunks inline (format 2) the same snapshots took more than twice as much.
    assert snapshot_bytes + chunk_bytes < inline / 2, (snapshot_bytes, chunk_bytes, inline)

    # Another process (no cache) loads from a snapshot, writes past the next one: the
    # chunks it names are the ones stored; only the new ones are added.
    reloaded = loaded(fresh, plan.plan_id)
    assert reloaded.state.comments.undecoded_chunks() > 0
    kari = plan.coordinator_id
    while loaded(fresh, plan.plan_id).version % SNAPSHOT_INTERVAL != 0:
        clock.advance(timedelta(minutes=3))
        fresh.handle(plan.plan_id, SendMessage(to="all", subject="Ny", body="Mer"), by=kari)
    _, _, chunks_after = stored_bytes(fresh, plan.plan_id)
    assert chunk_bytes < chunks_after < chunk_bytes * 1.2
    assert loaded(fresh, plan.plan_id).state == loaded(plans, plan.plan_id).state
    assert fresh.get_plan(plan.plan_id) == plans.get_plan(plan.plan_id)


@pytest.mark.parametrize("earlier_format", [2, 3])
def test_a_snapshot_of_an_earlier_format_still_loads_and_the_next_one_is_of_today(
    plans: PlanApplication, fresh: PlanApplication, clock: ManualClock, earlier_format: int
) -> None:
    """Snapshots of format 2 carry the maps and their logs' chunk bytes inline; of
    format 3, the maps (goals, calendar, ...) inline and the logs' chunks by digest."""
    plan = write_plan(plans, clock, SNAPSHOT_INTERVAL + 3)
    assert plans.snapshots is not None
    (snapshot,) = plans.snapshots.recorder.select_events(plan.plan_id)
    transcoder = plans.snapshots.mapper.transcoder
    assert isinstance(transcoder, PlanSnapshotTranscoder)
    rewrite = as_format_2 if earlier_format == 2 else as_format_3
    earlier = rewrite(snapshot.state, transcoder)
    assert earlier[:2] == bytes((0x96, earlier_format))
    expected = loaded(plans, plan.plan_id, SNAPSHOT_INTERVAL).state
    rewrite_snapshot(plans, plan.plan_id, earlier)

    from_earlier = loaded(fresh, plan.plan_id, SNAPSHOT_INTERVAL)
    assert from_earlier.state.comments.undecoded_chunks() > 0
    assert from_earlier.state == expected
    assert fresh.get_plan(plan.plan_id) == plans.get_plan(plan.plan_id)
    kari = plan.coordinator_id
    while loaded(fresh, plan.plan_id).version < 2 * SNAPSHOT_INTERVAL:
        clock.advance(timedelta(minutes=3))
        fresh.handle(plan.plan_id, SendMessage(to="all", subject="Ny", body="Mer"), by=kari)
    latest = fresh.snapshots.recorder.select_events(plan.plan_id)[-1]  # type: ignore[union-attr]
    assert latest.state[:2] == b"\x96\x04"
    assert loaded(plans, plan.plan_id).state == loaded(fresh, plan.plan_id).state


def test_a_chunk_missing_from_the_store_fails_loudly_when_read(
    plans: PlanApplication, fresh: PlanApplication, clock: ManualClock
) -> None:
    plan = write_plan(plans, clock, SNAPSHOT_INTERVAL + 3)
    store = chunk_store(fresh)
    (snapshot,) = plans.snapshots.recorder.select_events(plan.plan_id)  # type: ignore[union-attr]
    _, comment_digests = msgspec.msgpack.decode(snapshot.state)[5]["comments"]
    delete_chunks(store, comment_digests)
    from_snapshot = loaded(fresh, plan.plan_id)  # loads: the logs' chunks are read only on use
    with pytest.raises(ChunkMissingError):
        list(from_snapshot.state.comments)


def test_a_map_block_missing_from_the_store_fails_the_load_loudly(
    plans: PlanApplication, fresh: PlanApplication, clock: ManualClock
) -> None:
    plan = write_plan(plans, clock, SNAPSHOT_INTERVAL + 3)
    (snapshot,) = plans.snapshots.recorder.select_events(plan.plan_id)  # type: ignore[union-attr]
    calendar = msgspec.msgpack.decode(snapshot.state)[5]["calendar"]
    assert calendar  # the calendar entries are in blocks, not in the snapshot
    delete_chunks(chunk_store(fresh), calendar[-1:])
    with pytest.raises(MapperDeserialisationError, match="no log chunk"):
        loaded(fresh, plan.plan_id)


def test_what_a_snapshot_adds_does_not_grow_with_the_plan(
    plans: PlanApplication, fresh: PlanApplication
) -> None:
    """Goals, activities, minutes and calendar entries are kept in blocks stored once:
    the bytes each snapshot adds (its row and the blocks and chunks new to the store)
    stay about the same as the plan grows, instead of growing with its state."""
    added: list[int] = []
    totals = [0]

    def saved(plan: Plan) -> None:
        if plan.version % SNAPSHOT_INTERVAL == 0:
            total = sum(stored_bytes(plans, plan.id)[1:])
            added.append(total - totals[-1])
            totals.append(total)

    long_plan = build_long_plan(plans, register_people(plans), 40 * SNAPSHOT_INTERVAL, saved)
    assert len(added) == 40
    event_bytes, snapshot_bytes, chunk_bytes = stored_bytes(plans, long_plan.plan_id)
    assert snapshot_bytes + chunk_bytes <= 2 * event_bytes, (event_bytes, snapshot_bytes)
    early, late = sum(added[5:10]), sum(added[35:40])
    assert late < 2 * early, added  # with the maps inline: 3.5 times as much
    replay: Repository[UUID] = Repository(event_store=plans.events)
    assert loaded(fresh, long_plan.plan_id).state == replay.get(long_plan.plan_id).state


def chunk_store(app: PlanApplication) -> SqlLogChunks:
    transcoder = app.snapshots.mapper.transcoder  # type: ignore[union-attr]
    assert isinstance(transcoder, PlanSnapshotTranscoder)
    store = transcoder.chunks
    assert isinstance(store, SqlLogChunks)
    return store


def delete_chunks(store: SqlLogChunks, digests: list[bytes]) -> None:
    with store.cursor(commit=True) as c:
        for digest in digests:
            c.execute(store.sql(f"DELETE FROM {store.chunks} WHERE digest=%s"), [digest])


def as_format_3(data: bytes, transcoder: PlanSnapshotTranscoder) -> bytes:
    """A format 4 snapshot rewritten as format 3 wrote it: each map inline."""
    stored = msgspec.msgpack.decode(data)
    stored[0] = 3
    for name in MAP_FIELDS:
        merged: dict[Any, Any] = {}
        for digest in stored[5][name]:
            merged.update(msgspec.msgpack.decode(transcoder.chunks.get(digest)))
        stored[5][name] = merged
    return msgspec.msgpack.encode(stored)


def as_format_2(data: bytes, transcoder: PlanSnapshotTranscoder) -> bytes:
    """A format 4 snapshot rewritten as format 2 wrote it: maps and each chunk's bytes inline."""
    stored = msgspec.msgpack.decode(as_format_3(data, transcoder))
    stored[0] = 2
    for name in LOG_FIELDS:
        counts, digests = stored[5][name]
        stored[5][name] = [counts, [msgspec.Raw(transcoder.chunks.get(d)) for d in digests]]
    return msgspec.msgpack.encode(stored)


def rewrite_snapshot(app: PlanApplication, plan_id: UUID, state: bytes) -> None:
    assert app.snapshots is not None
    recorder: Any = app.snapshots.recorder
    store = SqlLogChunks(recorder.datastore)
    table = recorder.events_table_name
    qualified = f'"{recorder.datastore.schema}".{table}' if not store.is_sqlite else table
    with store.cursor(commit=True) as c:
        c.execute(
            store.sql(f"UPDATE {qualified} SET state=%s WHERE originator_id=%s"),
            [state, store.value(plan_id)],
        )


def test_the_digests_a_process_remembers_are_bounded_and_a_forgotten_chunk_stays_whole(
    plans: PlanApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long-running server must not remember every chunk it ever stored: past
    KNOWN_DIGESTS it forgets them, and a chunk stored again is the same chunk."""
    monkeypatch.setattr(transcodings, "KNOWN_DIGESTS", 4)
    transcoder = plans.snapshots.mapper.transcoder  # type: ignore[union-attr]
    assert isinstance(transcoder, PlanSnapshotTranscoder)
    puts: list[bytes] = []
    real_put = transcoder.chunks.put

    def counting(digest: bytes, data: bytes) -> None:
        puts.append(digest)
        real_put(digest, data)

    monkeypatch.setattr(transcoder.chunks, "put", counting)
    blocks = [f"block {i}".encode() for i in range(10)]
    digests = [transcoder._store(block) for block in blocks]
    assert len(transcoder._stored) <= 4  # the bound itself is what is tested
    assert len(puts) == 10
    transcoder._store(blocks[0])  # forgotten by now: written again, which changes nothing
    transcoder._store(blocks[9])  # still remembered: not written
    assert puts == [*digests, digests[0]]
    assert transcoder.chunks.get_many([digests[0], digests[9]]) == [blocks[0], blocks[9]]


class CountingEncoder:
    """The transcoder's MessagePack encoder, counting what it encodes."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0

    def encode(self, obj: Any) -> bytes:
        self.calls += 1
        encoded: bytes = self.real.encode(obj)
        return encoded


def test_a_cached_plans_next_snapshot_encodes_only_the_map_blocks_that_changed(
    plans: PlanApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Map blocks are remembered by their items' identities: a snapshot of the same plan
    encodes no block again, one changed goal encodes its block only, and the stored
    snapshot is what encoding every block gives."""
    plan = new_plan(plans)
    kari = plan.coordinator_id
    goals = [plans.handle(plan.plan_id, SetGoal(title=f"Mål {i}"), by=kari) for i in range(40)]
    mapper = plans.snapshots.mapper  # type: ignore[union-attr]
    counting = CountingEncoder(transcodings._encoder)
    monkeypatch.setattr(transcodings, "_encoder", counting)

    def snapshot() -> tuple[Any, int]:
        """The stored snapshot but its instant, and how many encodings it took."""
        before = counting.calls
        taken = Plan.Snapshot.take(plans.repository.get(plan.plan_id))
        stored = msgspec.msgpack.decode(mapper.to_stored_event(taken).state)
        return [stored[0], *stored[2:]], counting.calls - before

    first, encoded_first = snapshot()
    again, encoded_again = snapshot()
    assert again == first
    assert encoded_again == 1  # the snapshot itself; 40 goals in 3 blocks, participants, …
    assert encoded_first >= 1 + 3

    changed = goals[20].created_id  # the second block of goals
    assert changed is not None
    plans.handle(plan.plan_id, ReviseGoal(goal_id=changed, title="Lese hver dag"), by=kari)
    revised, encoded_revised = snapshot()
    assert encoded_revised == 2  # that goal's block, and the snapshot

    transcoder = mapper.transcoder
    assert isinstance(transcoder, PlanSnapshotTranscoder)
    monkeypatch.setattr(transcoder, "_blocks", {})  # nothing remembered: every block encoded
    assert snapshot()[0] == revised
    reloaded = Repository(event_store=plans.events, snapshot_store=plans.snapshots)
    plans.snapshots.put([Plan.Snapshot.take(plans.repository.get(plan.plan_id))])  # type: ignore[union-attr]
    loaded: object = reloaded.get(plan.plan_id)
    assert isinstance(loaded, Plan)
    assert loaded.goal(changed).title == "Lese hver dag"


def test_the_blocks_a_process_remembers_are_bounded_and_a_forgotten_one_keeps_its_digest(
    plans: PlanApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past KNOWN_BLOCKS the memo forgets every block (and the items it held); a block
    encoded again gets the digest it had."""
    monkeypatch.setattr(transcodings, "KNOWN_BLOCKS", 2)
    transcoder = plans.snapshots.mapper.transcoder  # type: ignore[union-attr]
    assert isinstance(transcoder, PlanSnapshotTranscoder)
    blocks = [[(UUID(int=i), f"verdi {i}")] for i in range(5)]
    digests = [transcoder._stored_block(block) for block in blocks]
    assert len(transcoder._blocks) <= 2
    assert len(set(digests)) == 5
    assert transcoder._stored_block(blocks[0]) == digests[0]  # forgotten: encoded again
    assert [transcoder._stored_block([(UUID(int=i), f"verdi {i}")]) for i in range(5)] == digests
