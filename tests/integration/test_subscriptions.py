"""Subscriptions to the plan store see other recorders' writes, promptly and for sure.

A projection runner reads through an application of its own, so a subscription must
see events that another recorder instance (another application, another connection)
writes to the same store: woken at once in-process, and by a periodic poll when no
wake-up came (another process's write on SQLite; a lost NOTIFY on PostgreSQL, #305).
"""

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from uuid import uuid4

import psycopg
from eventsourcing.persistence import ApplicationRecorder, Notification, StoredEvent, Subscription
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier

from stafett.aggregates.values import PlanType
from stafett.applications.parts import ConsentIn, CreatePlan, PersonIn
from stafett.applications.plans import PlanApplication
from stafett.persistence.recorders import (
    PollingPostgresSubscription,
    SQLiteSubscription,
    TimeIndexedPostgresRecorder,
    TimeIndexedSQLiteRecorder,
)
from stafett.settings import Settings
from tests.conftest import ManualClock, consent_for, person

WITHIN_SECONDS = 3.0


@contextmanager
def reader(
    subscription: Subscription[ApplicationRecorder],
) -> Iterator["queue.Queue[Notification]"]:
    """Notifications from `subscription`, delivered by a thread into a queue."""
    received: queue.Queue[Notification] = queue.Queue()

    def pump() -> None:
        for notification in subscription:
            received.put(notification)

    thread = threading.Thread(target=pump)
    with subscription:
        thread.start()
        try:
            yield received
        finally:
            subscription.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()


def create_plan(app: PlanApplication) -> int:
    coordinator = app.register_person(person("Kari", "Koordinator"), by=None).person_id
    result = app.create_plan(
        CreatePlan(
            type=PlanType.INDIVIDUAL_PLAN,
            short_name="Plan",
            start_date=date(2026, 3, 1),
            owner=PersonIn.of(person("Ola", "Barn")),
            consent=ConsentIn.of(consent_for(date(2026, 3, 1))),
        ),
        by=coordinator,
    )
    assert result.notification_id is not None
    return result.notification_id


def test_a_subscription_sees_another_recorders_write_promptly(
    plans: PlanApplication, database_url: str, clock: ManualClock
) -> None:
    other = PlanApplication(Settings(database_url=database_url).event_store_env(), clock=clock)
    try:
        start = other.recorder.max_notification_id()
        subscription = other.recorder.subscribe(gt=start)
        assert isinstance(subscription, SQLiteSubscription | PollingPostgresSubscription)
        with reader(subscription) as received:
            written = create_plan(plans)
            notification = received.get(timeout=WITHIN_SECONDS)
        assert notification.id == written
    finally:
        other.close()


def _insert_without_wake_up(plans: PlanApplication) -> None:
    """One event written the way another process (or a lost NOTIFY) would leave it."""
    event = StoredEvent(uuid4(), 1, "stafett.plan:PlanCreated", b"{}")
    recorder = plans.recorder
    if isinstance(recorder, TimeIndexedSQLiteRecorder):
        SQLiteApplicationRecorder(recorder.datastore, recorder.events_table_name).insert_events(
            [event]
        )
        return
    assert isinstance(recorder, TimeIndexedPostgresRecorder | PostgresApplicationRecorder)
    with psycopg.connect(_pg_url(plans)) as conn:
        conn.execute(
            SQL(
                "INSERT INTO {}.{} (originator_id, originator_version, topic, state) "
                "VALUES (%s, %s, %s, %s)"
            ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)),
            (event.originator_id, 1, event.topic, event.state),
        )


def _pg_url(plans: PlanApplication) -> str:
    env = plans.factory.env
    return (
        f"postgresql://{env.get('POSTGRES_USER')}@{env.get('POSTGRES_HOST')}:"
        f"{env.get('POSTGRES_PORT')}/{env.get('POSTGRES_DBNAME')}"
    )


def _subscribe(plans: PlanApplication, poll_seconds: float) -> Subscription[ApplicationRecorder]:
    recorder = plans.recorder
    start = recorder.max_notification_id()
    if isinstance(recorder, TimeIndexedSQLiteRecorder):
        return SQLiteSubscription(recorder, gt=start, poll_seconds=poll_seconds)
    assert isinstance(recorder, TimeIndexedPostgresRecorder)
    return PollingPostgresSubscription(recorder, gt=start, poll_seconds=poll_seconds)


def test_the_poll_catches_a_write_that_woke_nobody(plans: PlanApplication) -> None:
    polling = _subscribe(plans, poll_seconds=0.2)
    with reader(polling) as received:
        woken = create_plan(plans)  # past the first pull: now it waits for a wake-up
        assert received.get(timeout=WITHIN_SECONDS).id == woken
        _insert_without_wake_up(plans)
        unannounced = received.get(timeout=WITHIN_SECONDS)
    assert unannounced.id > woken
    assert unannounced.topic == "stafett.plan:PlanCreated"
    assert unannounced.originator_version == 1


def test_a_stopped_subscription_leaves_no_thread_behind(plans: PlanApplication) -> None:
    before = set(threading.enumerate())
    subscription = _subscribe(plans, poll_seconds=0.1)
    with reader(subscription):
        pass
    assert {t for t in set(threading.enumerate()) - before if t.is_alive()} == set()
