"""The restore drill (decision 0029) on SQLite and PostgreSQL: a whole restore passes it,
and a restore that lost a table, events, the access log's protection or an entry of it
fails it with a line naming what."""

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import pytest
from bench.workload import People, create_new_plans, register_people

from stafett.__main__ import main
from stafett.applications.commands import SetGoal
from stafett.backup import DrillResult, PostgresTarget, drill
from stafett.bootstrap import build_access_log, build_plans
from stafett.settings import Settings

PLANS = 3
READS_PER_PLAN = 4


@pytest.fixture
def settings(database_url: str) -> Settings:
    """A store with PLANS plans, each with an access-log chain of READS_PER_PLAN entries."""
    settings = Settings(database_url=database_url)
    with build_plans(settings) as app:
        people = register_people(app)
        plans = create_new_plans(
            app, People(people.coordinator, people.owner, people.others), PLANS
        )
        access_log = build_access_log(app)
        for plan in plans:
            for _ in range(READS_PER_PLAN):
                access_log.record_operator(plan.plan_id, ["history"])
    return settings


def execute_on(copy: Settings, *statements: str) -> None:
    """Run statements on the restored copy; `{schema}.` is the store's schema on PostgreSQL."""
    if copy.database_url.startswith("sqlite"):
        path = copy.event_store_env()["SQLITE_DBNAME"]
        with sqlite3.connect(path) as conn:
            for statement in statements:
                conn.execute(statement.replace("{schema}.", ""))
        conn.close()
        return
    store = PostgresTarget.of(copy)
    with store.connect() as pg_conn:
        for statement in statements:
            pg_conn.execute(statement.replace("{schema}", f'"{store.schema}"'))


def run(settings: Settings, alter: Callable[[Settings], None] | None = None) -> DrillResult:
    return drill(settings, alter_copy=alter, say=lambda _: None)


def failures(result: DrillResult) -> list[str]:
    return [line for line in result.lines if line.startswith("FAILED")]


def events_table(settings: Settings) -> str:
    return "stored_events" if settings.database_url.startswith("sqlite") else "plans_events"


def test_a_whole_restore_passes_the_drill_with_every_event_and_entry(settings: Settings) -> None:
    result = run(settings)

    assert not result.failed, result.lines
    assert failures(result) == []
    assert result.lines[-1] == "restore drill passed"
    text = "\n".join(result.lines)
    assert f"events {events_table(settings)} {PLANS * 2}" in text  # created + one goal each
    assert f"ok      plans load ({PLANS} plans)" in text
    assert f"({PLANS} plans, {PLANS * READS_PER_PLAN} entries)" in text


def test_a_restore_without_a_table_fails_the_drill(settings: Settings) -> None:
    result = run(settings, lambda copy: execute_on(copy, "DROP TABLE {schema}.persons"))

    assert result.failed
    assert failures(result) == ["FAILED  tables: rows and content equal: table persons is missing"]
    assert result.lines[-1] == "restore drill FAILED"


def test_a_restore_that_lost_an_event_fails_the_drill(settings: Settings) -> None:
    table = events_table(settings)
    key = "rowid" if settings.database_url.startswith("sqlite") else "notification_id"
    last = f"(SELECT max({key}) FROM {{schema}}.{table})"
    result = run(
        settings,
        lambda copy: execute_on(copy, f"DELETE FROM {{schema}}.{table} WHERE {key} = {last}"),
    )

    assert result.failed
    expected = f"table {table}: {PLANS * 2 - 1} rows, the store had {PLANS * 2}"
    assert any(expected in line for line in failures(result)), result.lines


def test_a_restore_with_a_changed_access_log_and_no_triggers_fails_the_drill(
    settings: Settings,
) -> None:
    sqlite = settings.database_url.startswith("sqlite")
    drops = (
        ["DROP TRIGGER access_log_no_update", "DROP TRIGGER access_log_no_delete"]
        if sqlite
        else [
            "DROP TRIGGER access_log_no_change ON {schema}.access_log",
            "DROP TRIGGER access_log_no_truncate ON {schema}.access_log",
        ]
    )
    change = "UPDATE {schema}.access_log SET grounds = 'ingen' WHERE seq = 2"

    result = run(settings, lambda copy: execute_on(copy, *drops, change))

    lines = failures(result)
    assert result.failed
    assert (
        "FAILED  tables: rows and content equal: table access_log: the rows' content differs "
        "from the store's" in lines
    )
    assert sum("triggers: all there: trigger" in line for line in lines) == 2
    broken = [line for line in lines if line.startswith("FAILED  access-log chains intact")]
    assert len(broken) == PLANS, lines  # seq 2 of every plan's chain no longer matches
    assert all(isinstance(UUID(line.split("plan ")[1][:36]), UUID) for line in broken)


def test_the_drill_passes_while_plans_are_written(settings: Settings) -> None:
    """The figures are read in the backup's own snapshot: writes during the drill
    neither make it fail nor go unnoticed (the copy has what the store had then)."""
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        with build_plans(settings) as app:
            plan_id = app.plan_ids()[0]
            by = app.get_plan(plan_id).participants[0].person_id
            while not stop.is_set():
                app.handle(plan_id, SetGoal(title=f"Mål {len(written)}"), by=by)
                written.append(1)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 5:  # the writer is under way
            time.sleep(0.01)
        results = [run(settings) for _ in range(3)]
    finally:
        stop.set()
        writer.join()

    for result in results:
        assert not result.failed, result.lines
    assert len(written) > 5


def test_the_command_line_drill_exits_0_and_a_backup_never_overwrites_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STAFETT_DATABASE_URL", f"sqlite:///{tmp_path / 'stafett.sqlite'}")
    with build_plans(Settings.from_env()) as app:
        register_people(app)
    target = tmp_path / "backup.sqlite"

    assert main(["backup", "create", str(target)]) == 0
    first = target.read_bytes()
    assert main(["backup", "create", str(target)]) == 2
    assert target.read_bytes() == first
    assert main(["backup", "drill", "--keep", str(tmp_path / "kept.sqlite")]) == 0

    out = capsys.readouterr()
    assert "exists already" in out.err
    assert out.out.rstrip().endswith("restore drill passed")
    with sqlite3.connect(tmp_path / "kept.sqlite") as kept:
        assert kept.execute("SELECT count(*) FROM persons").fetchone() == (8,)
    kept.close()
