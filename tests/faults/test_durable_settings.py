"""REL-DURABLE-CFG (security-reference.md §6): the event store really runs durable,
asked on the plan application's own connection: SQLite in WAL mode with synchronous
FULL (or EXTRA); PostgreSQL with fsync, synchronous_commit and full_page_writes on and
data_sync_retry off."""

from typing import Any

from stafett.applications.plans import PlanApplication
from tests.faults.served import Record

SQLITE_FULL, SQLITE_EXTRA = 2, 3


def ask(plans: PlanApplication, *statements: str) -> list[Any]:
    datastore: Any = plans.recorder.datastore  # type: ignore[attr-defined]
    answers = []
    with datastore.transaction(commit=False) as cursor:
        for statement in statements:
            cursor.execute(statement)
            row = cursor.fetchone()
            answers.append(row[0] if isinstance(row, tuple) else next(iter(dict(row).values())))
    return answers


def test_the_event_store_runs_durable(
    plans: PlanApplication, database_url: str, record_property: Record
) -> None:
    if database_url.startswith("sqlite"):
        journal, synchronous = ask(plans, "PRAGMA journal_mode", "PRAGMA synchronous")
        assert str(journal).lower() == "wal"
        assert synchronous in (SQLITE_FULL, SQLITE_EXTRA)
        figure = f"settings: sqlite {journal}/{'FULL' if synchronous == SQLITE_FULL else 'EXTRA'}"
    else:
        names = ("fsync", "synchronous_commit", "full_page_writes", "data_sync_retry")
        found = dict(zip(names, ask(plans, *(f"SHOW {n}" for n in names)), strict=True))
        assert found == {
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "data_sync_retry": "off",
        }
        figure = "settings: pg " + ", ".join(f"{k}={v}" for k, v in found.items())
    record_property("figure", f"REL-DURABLE-CFG: {figure}")
