"""On SQLite the events are committed with full durability; the plan-list view need not be."""

from pathlib import Path
from typing import Any

import pytest
from eventsourcing.utils import Environment

from stafett.applications.plans import PlanApplication
from stafett.persistence.sqlite_store import StafettSQLiteFactory
from stafett.projections.plan_list import construct_view
from stafett.settings import Settings

FULL, NORMAL = 2, 1  # PRAGMA synchronous answers


def synchronous_of(datastore: Any) -> int:
    with datastore.transaction(commit=False) as cursor:
        cursor.execute("PRAGMA synchronous")
        level: int = cursor.fetchone()[0]
    return level


def test_events_wait_for_the_disk_and_the_view_does_not(tmp_path: Path) -> None:
    env = Settings(database_url=f"sqlite:///{tmp_path / 'stafett.sqlite'}").event_store_env()
    view, factory = construct_view(env)
    try:
        with PlanApplication(env) as plans:
            assert synchronous_of(plans.recorder.datastore) == FULL  # type: ignore[attr-defined]
            assert synchronous_of(view.datastore) == NORMAL  # type: ignore[attr-defined]
    finally:
        factory.close()


def test_an_unknown_durability_level_is_refused(tmp_path: Path) -> None:
    env = {"SQLITE_DBNAME": str(tmp_path / "x.sqlite"), "SQLITE_SYNCHRONOUS": "off"}
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS"):
        StafettSQLiteFactory(Environment("plans", env))
