"""The notice process and sender as deployed: in the web process on SQLite
(`services`), in `stafett worker` on PostgreSQL (`run_worker`); the notice lands in
the development outbox folder, once."""

from pathlib import Path

from stafett.applications.plans import PlanApplication
from stafett.bootstrap import notices_status, services
from stafett.delivery import read_outbox
from stafett.settings import Settings
from tests.integration.notice_support import group
from tests.integration.support import eventually, worker_running
from tests.integration.test_notices import add_activity


def test_on_sqlite_the_web_process_sends_notices_to_the_outbox(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.sqlite'}", outbox_dir=outbox)
    with services(settings) as built:
        g = group(built.plans, ["email"])
        add_activity(built.plans, g)

        def arrived() -> bool:
            """the provider's notice is in the outbox folder"""
            return any(m["to"] == "per@example.no" for m in read_outbox(outbox))

        eventually(arrived)
        [notice] = [m for m in read_outbox(outbox) if m["to"] == "per@example.no"]
        assert notice["channel"] == "email"
        assert notice["key"]
        assert "Ola" not in notice["subject"] + notice["body"]
        assert "http://127.0.0.1:8000/login" in notice["body"]
    newest, backlog = notices_status(settings)
    assert (backlog.position, backlog.pending, backlog.sent) == (newest, 0, 1)


def test_on_postgresql_the_worker_sends_notices(postgres_schema: str, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    settings = Settings(database_url=postgres_schema, outbox_dir=outbox)
    plans = PlanApplication(settings.event_store_env())
    try:
        with worker_running(settings):
            g = group(plans, ["sms"])
            add_activity(plans, g)
            eventually(lambda: any(m["to"] == "+4790000002" for m in read_outbox(outbox)))
    finally:
        plans.close()
    assert [m["channel"] for m in read_outbox(outbox)] == ["sms"]
