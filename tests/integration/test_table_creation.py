"""Processes starting together on a new PostgreSQL database all make their tables.

`CREATE TABLE IF NOT EXISTS` is not safe against a concurrent twin: PostgreSQL may fail
one of them with a duplicate key in its catalogue of row types. A web process and the
worker started at once hit exactly that (found by the kill -9 fault test). Every table
is now made under a deployment-wide advisory lock (persistence/locks.py)."""

import threading
from typing import Any

from stafett.applications.plans import PlanApplication
from stafett.persistence.accounts import AccountStore
from stafett.projections.plan_list import construct_view
from stafett.settings import Settings

STARTERS = 6


def test_services_started_at_once_on_a_new_schema_all_make_their_tables(
    postgres_schema: str,
) -> None:
    env = Settings(database_url=postgres_schema).event_store_env()
    start = threading.Barrier(STARTERS)
    failures: list[BaseException] = []
    made: list[Any] = []

    def starter() -> None:
        start.wait()
        try:
            plans = PlanApplication(env)
            _view, factory = construct_view(env)
            AccountStore(plans.recorder.datastore).create_tables()  # type: ignore[attr-defined]
            made.append((plans, factory))
        except BaseException as error:  # every failure is the finding
            failures.append(error)

    threads = [threading.Thread(target=starter) for _ in range(STARTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for plans, factory in made:
        plans.close()
        factory.close()
    assert failures == []
    assert len(made) == STARTERS
