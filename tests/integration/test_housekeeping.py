"""What the account tables hold past its use is deleted on a clock (decision 0040), on
both stores, by the one process that runs the projections: the web process on SQLite
(`services`), `stafett worker` on PostgreSQL (`run_worker`)."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stafett.applications.housekeeping import ENDED_SESSION_KEPT, sweep_account_tables
from stafett.applications.plans import PlanApplication
from stafett.bootstrap import services
from stafett.persistence.recorders import to_micros
from stafett.persistence.sessions import SessionStore, Swept
from stafett.settings import Settings
from tests.conftest import ManualClock
from tests.integration.support import eventually, worker_running

MINUTE = timedelta(minutes=1)
PERSON = uuid.UUID(int=7)


def test_a_sweep_deletes_what_is_past_its_use_and_keeps_the_rest(
    plans: PlanApplication, clock: ManualClock
) -> None:
    store = SessionStore.ready(plans.directory.datastore)
    now = clock()

    def logged_in(*, seen: timedelta, authenticated: timedelta) -> str:
        micros = to_micros(now - authenticated)
        return store.start(PERSON, "done", at=now - seen, authenticated_at=micros)

    login_too_old = store.start(PERSON, "otp", at=now - 11 * MINUTE)
    login_under_way = store.start(PERSON, "terms", at=now - 9 * MINUTE)
    live = logged_in(seen=MINUTE, authenticated=2 * MINUTE)
    idle_lately = logged_in(seen=2 * 60 * MINUTE, authenticated=3 * 60 * MINUTE)
    idle_long_ago = logged_in(seen=31 * MINUTE + ENDED_SESSION_KEPT, authenticated=40 * MINUTE)
    spent_long_ago = logged_in(seen=MINUTE, authenticated=481 * MINUTE + ENDED_SESSION_KEPT)

    def ended(*, seen: timedelta, authenticated: timedelta) -> str:
        micros = to_micros(now - authenticated)
        return store.start(PERSON, "ended", at=now - seen, authenticated_at=micros)

    ended_lately = ended(seen=2 * 60 * MINUTE, authenticated=3 * 60 * MINUTE)
    ended_long_ago = ended(seen=31 * MINUTE + ENDED_SESSION_KEPT, authenticated=40 * MINUTE)
    link_spent = store.issue_reset(PERSON, expires_at=now - timedelta(seconds=1))
    link_live = store.issue_reset(uuid.UUID(int=8), expires_at=now + MINUTE)
    store.keep_form(PERSON, "page:a", "k", "{}", at=now - 61 * MINUTE)
    store.keep_form(PERSON, "page:b", "k", "{}", at=now - 59 * MINUTE)
    assert store.take("address:x", limit=9, window_seconds=60, at=now - MINUTE) is None
    assert store.take("address:x", limit=9, window_seconds=60, at=now - timedelta(days=2)) is None

    swept = sweep_account_tables(store, now)
    assert swept == Swept(sessions=4, reset_links=1, kept_forms=1, rate_hits=1)

    gone = [login_too_old, idle_long_ago, spent_long_ago, ended_long_ago]
    kept = [login_under_way, live, idle_lately, ended_lately]
    assert [store.get(token) for token in gone] == [None] * 4
    assert all(store.get(token) is not None for token in kept)
    assert store.reset_holder(link_spent, at=now - MINUTE) is None  # its row is gone
    assert store.reset_holder(link_live, at=now) == uuid.UUID(int=8)
    assert store.take_forms(PERSON, "page:b", at=now) == [("k", "{}")]
    assert _count(store, store.kept) == 0
    assert _count(store, store.hits) == 1
    swept_again = sweep_account_tables(store, now)
    assert swept_again == Swept(sessions=0, reset_links=0, kept_forms=0, rate_hits=0)


def test_on_sqlite_the_web_process_sweeps_at_start_and_then_every_few_seconds(
    tmp_path: Path,
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.sqlite'}", housekeeping_seconds=0.1)
    before = PlanApplication(settings.event_store_env())
    store = SessionStore.ready(before.directory.datastore)
    _keep_an_old_form(store, "page:a")
    before.close()
    with services(settings) as built:
        running = SessionStore.ready(built.plans.directory.datastore)
        eventually(lambda: _count(running, running.kept) == 0)
        _keep_an_old_form(running, "page:b")  # kept while the service runs: swept again
        eventually(lambda: _count(running, running.kept) == 0)


def test_on_postgresql_the_worker_sweeps(postgres_schema: str) -> None:
    settings = Settings(database_url=postgres_schema, housekeeping_seconds=0.1)
    plans = PlanApplication(settings.event_store_env())
    store = SessionStore.ready(plans.directory.datastore)
    _keep_an_old_form(store, "page:a")
    try:
        with worker_running(settings):
            eventually(lambda: _count(store, store.kept) == 0)
            _keep_an_old_form(store, "page:b")
            eventually(lambda: _count(store, store.kept) == 0)
    finally:
        plans.close()


def _keep_an_old_form(store: SessionStore, place: str) -> None:
    """A form kept two hours ago (by the system clock, as the services run on)."""
    at = datetime.now(UTC) - timedelta(hours=2)
    store.keep_form(PERSON, place, "k", "{}", at=at)
    assert _count(store, store.kept) >= 1


def _count(store: SessionStore, table: object) -> int:
    row = store.select_one(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])
