"""Running the plan-list projection: resume, the worker, its one-runner lock, rebuild."""

import dataclasses
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import OperationalError, StoredEvent, Tracking
from eventsourcing.projection import ProjectionRunner
from structlog.testing import capture_logs

from stafett.__main__ import main
from stafett.aggregates.plan import Plan
from stafett.aggregates.values import PlanType
from stafett.applications.commands import (
    ClosePlan,
    HandOverCoordinator,
    RecordArchive,
    RemoveParticipant,
    RenewConsent,
    ResetConsent,
    SendMessage,
    SetGoal,
)
from stafett.applications.plans import PlanApplication
from stafett.bootstrap import (
    AnotherRunnerError,
    plan_list_runner,
    plan_list_status,
    services,
    the_only_runner,
)
from stafett.persistence.background import Backoff
from stafett.projections.plan_list import (
    APPLICATION_NAME,
    PlanListProjection,
    PlanListView,
    construct_view,
    view_class,
)
from stafett.settings import Settings
from tests.conftest import ManualClock, consent_for
from tests.integration.support import FailingUntilReleased, eventually, worker_running
from tests.integration.test_plan_list import START, make_group

WAIT_SECONDS = 60.0  # an upper bound for a loaded 2-core machine, not a speed goal
FAST = Backoff(first=0.01, factor=2.0, cap=0.05)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


def varied_history(plans: PlanApplication, clock: ManualClock) -> None:
    """Several plans: members come and go, consent resets and renews, talk, close, archive."""
    first = make_group(plans, short_name="Første")
    second = make_group(plans, short_name="Andre", days=40)
    third = make_group(plans, short_name="Tredje")
    clock.advance(timedelta(hours=2))
    plans.handle(
        first.plan_id,
        RemoveParticipant(participant_id=first.relative_participant),
        by=first.coordinator,
    )
    plans.handle(
        first.plan_id, SendMessage(to="all", subject="Møte", body="Tirsdag"), by=first.coordinator
    )
    plans.handle(first.plan_id, SetGoal(title="Lese"), by=first.coordinator)
    plans.handle(second.plan_id, ResetConsent(), by=second.coordinator)
    clock.advance(timedelta(days=1))
    plans.handle(second.plan_id, RenewConsent.of(consent_for(START, 300)), by=second.coordinator)
    plans.handle(
        second.plan_id,
        HandOverCoordinator(participant_id=second.provider_participant),
        by=second.coordinator,
    )
    plans.handle(third.plan_id, ClosePlan(ended_on=date(2026, 3, 3)), by=third.coordinator)
    plans.handle(third.plan_id, RecordArchive(digest="sha256:abc"), by=third.coordinator)


class CrashingProjection(PlanListProjection):
    """The plan list, crashing on one notification (as a killed worker would stop)."""

    name = PlanListProjection.name  # the same view (tracking table) as the real runner
    crash_at = 0

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if tracking.notification_id >= self.crash_at:
            raise RuntimeError("crashed mid-way")
        super().process_event(domain_event, tracking)


def test_a_runner_resumes_where_the_last_one_stopped(
    plans: PlanApplication, view: PlanListView, settings: Settings, clock: ManualClock
) -> None:
    varied_history(plans, clock)
    target = plans.recorder.max_notification_id()
    assert target is not None
    env = settings.event_store_env()
    CrashingProjection.crash_at = target // 2 + 1
    crashing = ProjectionRunner(
        application_class=PlanApplication,
        projection_class=CrashingProjection,
        view_class=view_class(env),
        env=env,
    )
    with pytest.raises(RuntimeError, match="crashed mid-way"), crashing:
        crashing.run_forever(timeout=WAIT_SECONDS)
    stopped_at = view.max_tracking_id(APPLICATION_NAME)
    assert stopped_at is not None
    assert 0 < stopped_at < CrashingProjection.crash_at
    after = plans.recorder.select_notifications(stopped_at, 10_000, inclusive_of_start=False)
    remaining = len(after)

    with plan_list_runner(env) as runner:
        runner.wait(target, timeout=WAIT_SECONDS)
        assert runner.projection.processed == remaining  # type: ignore[attr-defined]
    resumed = view.rows()

    view.reset()
    with plan_list_runner(env) as runner:
        runner.wait(target, timeout=WAIT_SECONDS)
    assert view.rows() == resumed
    assert len(resumed["planlist_plans"]) == 3


def test_rebuild_gives_the_rows_the_live_runner_made(
    plans: PlanApplication,
    view: PlanListView,
    settings: Settings,
    *,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with plan_list_runner(settings.event_store_env()) as runner:
        varied_history(plans, clock)
        target = plans.recorder.max_notification_id()
        runner.wait(target, timeout=WAIT_SECONDS)
    live = view.rows()
    [some_plan] = [row[0] for row in live["planlist_plans"]][:1]
    person = uuid4()
    view.note_visit(person, view._sql.uuid(some_plan), clock.now)  # type: ignore[attr-defined]

    monkeypatch.setenv("STAFETT_DATABASE_URL", settings.database_url)
    assert main(["projections", "rebuild"]) == 0
    assert f"{target} events processed" in capsys.readouterr().out
    assert view.rows() == live
    assert _visit_count(view) == 1  # visits are not the projection's: a rebuild keeps them

    assert main(["projections", "status"]) == 0
    out = capsys.readouterr().out
    assert f"max notification id  {target}" in out
    assert f"tracking position    {target}" in out
    assert "lag                  0" in out


def _visit_count(view: PlanListView) -> int:
    sql = view._sql  # type: ignore[attr-defined]
    with view.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        c.execute(f"SELECT COUNT(*) AS n FROM {sql.table('planlist_visits')}")
        return int(c.fetchone()["n"])


def test_the_worker_keeps_the_view_current_and_stops_cleanly(
    plans: PlanApplication, view: PlanListView, settings: Settings, clock: ManualClock
) -> None:
    with worker_running(settings):
        varied_history(plans, clock)
        view.wait(APPLICATION_NAME, plans.recorder.max_notification_id(), timeout=WAIT_SECONDS)
        assert plan_list_status(settings).lag == 0


def test_the_worker_retries_an_event_it_cannot_decode_and_never_skips_it(
    plans: PlanApplication, view: PlanListView, settings: Settings
) -> None:
    before = make_group(plans, short_name="Før")
    last_good = plans.recorder.max_notification_id()
    poison = StoredEvent(uuid4(), 1, "stafett.plan:PlanCreated", b"not json")
    inserted: Sequence[int | None] = plans.recorder.insert_events([poison]) or [None]
    [poison_id] = inserted
    after = make_group(plans, short_name="Etter")
    with worker_running(settings, backoff=FAST) as worker:
        eventually(lambda: (f := view.fault()) is not None and f.attempts >= 3)
        assert worker.is_alive()
        fault = plan_list_status(settings).fault
        assert fault is not None
        assert (fault.notification_id, fault.error) == (poison_id, "MapperDeserialisationError")
        assert view.max_tracking_id(APPLICATION_NAME) == last_good  # nothing after it either
        assert view.plans_for(before.coordinator, today=plans.today()) != []
        assert view.plans_for(after.coordinator, today=plans.today()) == []


@pytest.mark.postgres
def test_a_second_worker_refuses_to_start(
    postgres_schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(database_url=postgres_schema)
    with the_only_runner(settings):
        with pytest.raises(AnotherRunnerError), the_only_runner(settings):
            pass
        monkeypatch.setenv("STAFETT_DATABASE_URL", postgres_schema)
        assert main(["worker"]) == 3
        assert "exactly one may run" in capsys.readouterr().err
    with the_only_runner(settings):  # released with its holder
        pass


def test_the_cli_worker_waits_out_a_lost_database_and_exits_non_zero_on_anything_else(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAFETT_DATABASE_URL", settings.database_url)
    if settings.database_url.startswith("sqlite"):
        assert main(["worker"]) == 2  # the web process runs it on SQLite
        return
    runs: list[str] = []

    def subscription_lost_twice(*_: object, **__: object) -> None:
        runs.append("run")
        if len(runs) <= 2:  # the database restarts: its connections and locks are gone
            raise OperationalError("the server closed the connection")

    monkeypatch.setattr("stafett.__main__.WORKER_PAUSE_SECONDS", 0.01)
    monkeypatch.setattr("stafett.__main__.run_worker", subscription_lost_twice)
    assert main(["worker", "--lag-every", "5"]) == 0  # the third run ended as asked
    assert len(runs) == 3

    def a_bug(*_: object, **__: object) -> None:
        raise RuntimeError("not the database")

    monkeypatch.setattr("stafett.__main__.run_worker", a_bug)
    assert main(["worker", "--lag-every", "5"]) == 1


def test_services_run_the_projection_in_process_only_on_sqlite(
    settings: Settings, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(str(tmp_path))  # development secrets go under var/ here
    before = set(threading.enumerate())
    with services(settings) as built:
        in_process = built.plan_list_runner is not None
        assert built.plan_list is not None
    assert in_process is settings.database_url.startswith("sqlite")
    assert {t for t in set(threading.enumerate()) - before if t.is_alive()} == set()


def test_one_shot_commands_leave_the_projection_to_its_one_runner(
    database_url: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setenv("STAFETT_DATABASE_URL", database_url)
    monkeypatch.setenv("STAFETT_PASSWORD_HASH", "fast")
    assert main(["demo"]) == 0
    status = plan_list_status(Settings(database_url=database_url))
    assert status.max_notification_id > 0
    assert status.tracking_id == 0  # no runner ran in the demo command


def test_on_sqlite_a_second_process_on_the_same_file_leaves_the_runner_to_the_first(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file lock beside the database: one runner, a rebuild refused while it runs."""
    monkeypatch.chdir(str(tmp_path))
    url = f"sqlite:///{tmp_path / 'stafett.sqlite'}"
    settings = Settings(database_url=url)
    with services(settings) as first, services(settings) as second:
        assert first.plan_list_runner is not None
        assert second.plan_list_runner is None  # its view is kept current by the first
        written = make_group(second.plans, days=1000)  # by the process without the runner
        last = second.plans.recorder.max_notification_id()
        second.plan_list.wait(APPLICATION_NAME, last, timeout=5)  # type: ignore[union-attr]
        assert second.plan_list is not None
        rows = second.plan_list.plans_for(written.coordinator, today=second.plans.today())
        assert [row.id for row in rows] == [written.plan_id]
        monkeypatch.setenv("STAFETT_DATABASE_URL", url)
        assert main(["projections", "rebuild"]) == 3
        assert "exactly one may run" in capsys.readouterr().err
    with services(settings) as again:  # the lock went with its holder
        assert again.plan_list_runner is not None


def store_plan_named(plans: PlanApplication, at: datetime, raw_name: bytes) -> tuple[UUID, UUID]:
    """Store a PlanCreated whose short name is `raw_name` as written in the stored JSON,
    past every rule (as older events, or a future bug, may hold); (coordinator, plan id)."""
    coordinator, owner = uuid4(), uuid4()
    plan = Plan.create(
        plan_id=uuid4(),
        at=at,
        creator_person_id=coordinator,
        creator_participant_id=uuid4(),
        plan_type=PlanType.RELAY_LOG,
        short_name="PLACEHOLDER",
        owner_person_id=owner,
        owner_participant_id=uuid4(),
        start_date=START,
        end_date=None,
        consent=consent_for(START),
    )
    [stored] = [plans.mapper.to_stored_event(e) for e in plan.collect_events()]
    assert b'"PLACEHOLDER"' in stored.state  # plain JSON: the test can write what it wants
    state = stored.state.replace(b'"PLACEHOLDER"', b'"' + raw_name + b'"')
    plans.recorder.insert_events([dataclasses.replace(stored, state=state)])
    return coordinator, plan.id


@pytest.mark.parametrize(
    ("raw_name", "shown"),
    [
        (b"short\\u0000name", "short\ufffdname"),  # a NUL: PostgreSQL text cannot hold it
        (b"half \\udc80 a pair", "half \ufffd a pair"),  # a lone surrogate: no driver encodes it
    ],
)
def test_a_stored_event_with_text_a_store_cannot_hold_still_reaches_the_list(
    plans: PlanApplication,
    view: PlanListView,
    settings: Settings,
    clock: ManualClock,
    *,
    raw_name: bytes,
    shown: str,
) -> None:
    coordinator, plan_id = store_plan_named(plans, clock.now, raw_name)
    later = make_group(plans, short_name="Etter")
    with plan_list_runner(settings.event_store_env()) as runner:
        runner.wait(plans.recorder.max_notification_id(), timeout=WAIT_SECONDS)
    [row] = view.plans_for(coordinator, today=plans.today())
    assert (row.id, row.short_name) == (plan_id, shown)
    assert [r.short_name for r in view.plans_for(later.coordinator, today=plans.today())] == [
        "Etter"
    ]
    assert plan_list_status(settings).lag == 0


def test_a_failing_event_is_retried_shown_as_a_fault_then_processed_exactly_once(
    plans: PlanApplication,
    view: PlanListView,
    settings: Settings,
    *,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    varied_history(plans, clock)
    topics = PlanListProjection.topics
    ids = [n.id for n in plans.recorder.select_notifications(0, 10_000, topics=topics)]
    poison = ids[len(ids) // 2]
    failing = FailingUntilReleased(monkeypatch, lambda _, t: t.notification_id == poison)
    monkeypatch.setenv("STAFETT_DATABASE_URL", settings.database_url)
    env = settings.event_store_env()
    with capture_logs() as logs, plan_list_runner(env, backoff=FAST) as runner:
        eventually(lambda: (f := view.fault()) is not None and f.attempts >= 3)
        fault = view.fault()
        assert fault is not None
        assert (fault.notification_id, fault.error) == (poison, "RuntimeError")
        assert fault.first_failed_at <= fault.last_failed_at
        assert view.max_tracking_id(APPLICATION_NAME) == ids[ids.index(poison) - 1]
        assert not runner.is_interrupted.is_set()
        assert main(["projections", "status"]) == 0
        out = capsys.readouterr().out
        assert f"failing on           notification {poison}, " in out
        assert "(RuntimeError)" in out

        failing.released.set()
        runner.wait(ids[-1], timeout=WAIT_SECONDS)
    assert failing.failures >= 3
    assert failing.applied == dict.fromkeys(ids, 1)  # each event exactly once, none skipped
    status = plan_list_status(settings)
    assert (status.lag, status.fault) == (0, None)
    failed = [e for e in logs if e["event"] == "projection_event_failed"]
    assert len(failed) == failing.failures
    assert [e["attempt"] for e in failed] == list(range(1, failing.failures + 1))
    assert set(failed[0]) == {
        "event",
        "log_level",
        "projection",
        "notification_id",
        "attempt",
        "error",
        "retry_in",
    }  # positions and the error's class only: never the event's data
    assert (failed[0]["notification_id"], failed[0]["error"]) == (poison, "RuntimeError")
    assert [e["retry_in"] for e in failed[:3]] == [0.01, 0.02, 0.04]
    assert [e["event"] for e in logs].count("projection_event_recovered") == 1

    live = view.rows()
    monkeypatch.undo()
    view.reset()
    with plan_list_runner(env) as runner:
        runner.wait(ids[-1], timeout=WAIT_SECONDS)
    assert view.rows() == live  # the retried run made what a clean run makes


def test_a_fault_left_behind_is_not_shown_once_its_event_is_in_the_view(
    plans: PlanApplication, view: PlanListView, settings: Settings
) -> None:
    """A process that stopped between the event's success and the fault's clearing."""
    make_group(plans)
    last = plans.recorder.max_notification_id()
    assert last is not None
    view.record_fault(PlanListProjection.name, last, "OperationalError", datetime.now(UTC))
    assert plan_list_status(settings).fault is not None
    with plan_list_runner(settings.event_store_env()) as runner:
        runner.wait(last, timeout=WAIT_SECONDS)
    assert plan_list_status(settings).fault is None
    view.reset()  # and a rebuild forgets faults
    assert view.fault() is None


def test_the_pause_between_attempts_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first=0.5, factor=2.0, cap=30.0)
    pauses = [backoff.pause(attempt) for attempt in range(1, 9)]
    assert pauses == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert backoff.pause(100_000) == 30.0  # no float overflow after a long outage


@pytest.mark.postgres
def test_the_worker_process_stays_alive_while_an_event_fails_and_catches_up_after(
    postgres_schema: str,
    tmp_path: Path,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(database_url=postgres_schema)
    schema = settings.event_store_env()["POSTGRES_SCHEMA"]
    table = f'"{schema}".planlist_plans'
    monkeypatch.setenv("STAFETT_DATABASE_URL", postgres_schema)
    output = tmp_path / "worker.log"
    with (
        PlanApplication(settings.event_store_env(), clock=clock) as plans,
        output.open("w") as log_file,
    ):
        view, factory = construct_view(settings.event_store_env())
        worker = subprocess.Popen(
            [sys.executable, "-m", "stafett", "worker", "--lag-every", "0.2"],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            make_group(plans, short_name="Først")
            view.wait(APPLICATION_NAME, plans.recorder.max_notification_id(), timeout=WAIT_SECONDS)
            with view.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
                c.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT no_poison CHECK (short_name<>'Giftig')"
                )
            poisoned = make_group(plans, short_name="Giftig")
            eventually(lambda: (f := view.fault()) is not None and f.attempts >= 2)
            assert worker.poll() is None  # alive, retrying
            assert main(["projections", "status"]) == 0
            assert "(IntegrityError)" in capsys.readouterr().out

            with view.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
                c.execute(f"ALTER TABLE {table} DROP CONSTRAINT no_poison")
            last = plans.recorder.max_notification_id()
            view.wait(APPLICATION_NAME, last, timeout=WAIT_SECONDS)
            assert view.fault() is None
            assert [r.id for r in view.plans_for(poisoned.coordinator, today=plans.today())] == [
                poisoned.plan_id
            ]
            assert worker.poll() is None
        finally:
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(timeout=WAIT_SECONDS)
            factory.close()
    assert code == 0
    logged = output.read_text()
    assert "projection_event_failed" in logged
    assert "Giftig" not in logged
