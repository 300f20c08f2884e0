"""Small builders the integration tests share: people, plans and direct store counts."""

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import Tracking
from psycopg import Cursor
from psycopg.sql import SQL, Identifier

from stafett.aggregates.values import PlanType, local_date
from stafett.applications.commands import AddParticipant
from stafett.applications.parts import ConsentIn, CreatePlan, PersonIn
from stafett.applications.plans import PlanApplication
from stafett.bootstrap import run_worker
from stafett.persistence.popo_store import TimeIndexedPOPORecorder
from stafett.persistence.recorders import TimeIndexedPostgresRecorder, TimeIndexedSQLiteRecorder
from stafett.projections.plan_list import PlanListProjection
from stafett.settings import Settings
from tests.conftest import consent_for, person


@dataclass(frozen=True)
class NewPlan:
    plan_id: UUID
    coordinator_id: UUID
    owner_id: UUID


def register(plans: PlanApplication, first: str, last: str, **details: object) -> UUID:
    return plans.register_person(person(first, last, **details), by=None).person_id


def new_plan(plans: PlanApplication, *, coordinator_id: UUID | None = None) -> NewPlan:
    """A relay log for Ola, coordinated by Kari (both registered here unless given)."""
    kari = coordinator_id or register(plans, "Kari", "Stafettholder")
    ola = register(plans, "Ola", "Nordmann")
    today = local_date(plans.clock())
    created = plans.create_plan(
        CreatePlan(
            type=PlanType.RELAY_LOG,
            short_name="Ola – trivsel",
            start_date=today,
            owner=PersonIn.of(ola),
            consent=ConsentIn.of(consent_for(today)),
        ),
        by=kari,
    )
    return NewPlan(created.plan_id, kari, ola)


def add_provider(plans: PlanApplication, plan: NewPlan, first: str, last: str) -> tuple[UUID, UUID]:
    """Register a person and add them as a provider; returns (person id, participant id)."""
    person_id = register(plans, first, last)
    added = plans.handle(
        plan.plan_id,
        AddParticipant(person=PersonIn.of(person_id), role="provider"),
        by=plan.coordinator_id,
    )
    assert added.created_id is not None
    return person_id, added.created_id


def count_rows(plans: PlanApplication, table: str) -> int:
    """Rows in one of the directory's tables (`persons`, `person_changes`, `person_photos`)."""
    names = {
        "persons": plans.directory.persons,
        "person_changes": plans.directory.changes,
        "person_photos": plans.directory.photos,
    }
    name = names[table]
    with plans.directory.datastore.transaction(commit=False) as c:
        c.execute(f"SELECT COUNT(*) AS n FROM {name}")
        row = c.fetchone()
    assert row is not None
    return int(row["n"])


def count_time_rows(plans: PlanApplication, plan_id: UUID) -> int:
    """Rows the time index holds for one plan."""
    recorder = plans.time_index
    if isinstance(recorder, TimeIndexedPOPORecorder):
        return len(recorder.indexed_versions(plan_id))
    assert isinstance(recorder, (TimeIndexedSQLiteRecorder, TimeIndexedPostgresRecorder))
    with recorder.datastore.transaction(commit=False) as c:
        if plans.directory.is_sqlite:
            c.execute(
                f"SELECT COUNT(*) AS n FROM {recorder.times_table_name} WHERE originator_id=?",
                (plan_id.hex,),
            )
        else:
            assert isinstance(recorder, TimeIndexedPostgresRecorder)
            assert isinstance(c, Cursor)
            c.execute(
                SQL("SELECT COUNT(*) AS n FROM {}.{} WHERE originator_id=%s").format(
                    Identifier(recorder.datastore.schema),
                    Identifier(recorder.times_table_name),
                ),
                (plan_id,),
            )
        row = c.fetchone()
    assert row is not None
    return int(row["n"])


class FailingUntilReleased:
    """Makes the plan list fail on chosen events, as a bug would, until `released` is set.

    It replaces the projection's one way in (`process_event`), so the runner sees the
    error as it would see a bug's; `failures` counts the failed attempts and `applied`
    how often each notification took effect.
    """

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        fails: Callable[[Any, Tracking], bool],
    ) -> None:
        self.released = threading.Event()
        self.failures = 0
        self.applied: Counter[int] = Counter()
        process = PlanListProjection.process_event

        def failing(projection: PlanListProjection, event: Any, tracking: Tracking) -> None:
            if fails(event, tracking) and not self.released.is_set():
                self.failures += 1
                raise RuntimeError("a bug in the plan list")
            process(projection, event, tracking)
            self.applied[tracking.notification_id] += 1

        monkeypatch.setattr(PlanListProjection, "process_event", failing)


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until `check()` holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {check.__doc__ or check}")
        time.sleep(0.02)


@contextmanager
def worker_running(settings: Settings, **options: Any) -> Iterator[threading.Thread]:
    """`stafett worker` (`run_worker`, `options` passed on) in a thread for the block.
    After it, the worker is stopped: it must end, having raised nothing."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            run_worker(settings, lag_every=0.05, stop=stop, **options)
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=work)
    worker.start()
    try:
        yield worker
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()  # a pause (a retry, a sweep's turn) ends when stopped
    assert errors == []
