"""The log control (NOR-03, decision 0058) over HTTP on both stores: a week of real reads
through the API, and one forged entry, found by `GET /api/v1/reports/log-control` and on
the reports page; organisation administrators only; each run logged without names."""

from datetime import UTC, datetime
from uuid import UUID

from structlog.testing import capture_logs

from tests.e2e.conftest import Web
from tests.e2e.test_pages_plans import add_provider, make_plan, rows_of
from tests.e2e.test_plan_api import PLANS, log_in

CONTROL = "/api/v1/reports/log-control"


def read_plan(web: Web, plan_id: str) -> None:
    answer = web.client.get(f"{PLANS}/{plan_id}")
    assert answer.status_code == 200, answer.text


def test_a_week_of_reads_gives_its_findings_to_an_organisation_administrator(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    per = web.create_user("per")
    web.create_user("admin", org_admin=True)
    headers = log_in(web, "kari")
    plans = [make_plan(web, headers, short_name=f"Plan {n}") for n in range(3)]
    for plan_id in plans:
        add_provider(web, headers, plan_id, per)

    log_in(web, "per")  # Monday 2 March, 10:00 in Oslo: three plans in one day
    for plan_id in plans:
        read_plan(web, plan_id)
    web.clock.now = datetime(2026, 3, 3, 5, 30, tzinfo=UTC)  # Tuesday, 06:30 in Oslo
    log_in(web, "per")
    read_plan(web, plans[0])
    early = web.clock()
    web.clock.now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a provider's read under a consent
    web.access_log.record(  # that had run out: the service refuses it, so a forged entry
        UUID(plans[1]),
        reader_person_id=per,
        role="provider",
        sections=["overview"],
        grounds="consent:2025-01-01..2025-12-31",
    )
    forged = web.clock()

    web.clock.now = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # the Monday after
    log_in(web, "kari")
    assert web.client.get(CONTROL).status_code == 403
    log_in(web, "admin")
    with capture_logs() as logs:
        answer = web.client.get(CONTROL, params={"max_plans_a_day": 2})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["first_day"], found["last_day"]) == ("2026-03-02", "2026-03-08")
    assert found["entries"] == 5  # per's four reads and the forged entry
    assert found["busy_readers"] == [{"reader_person_id": str(per), "on": "2026-03-02", "plans": 3}]
    assert [(r["plan_id"], r["at"]) for r in found["off_hours"]] == [
        (plans[0], early.isoformat().replace("+00:00", "Z"))
    ]
    assert [(r["plan_id"], r["role"]) for r in found["outside_consent"]] == [(plans[1], "provider")]
    assert found["outside_consent"][0]["at"].startswith(forged.date().isoformat())
    [line] = [e for e in logs if e["event"] == "log_control_read"]
    assert (line["busy_readers"], line["off_hours"], line["outside_consent"]) == (1, 1, 1)
    assert "Testesen" not in str(line)

    by_default = web.client.get(CONTROL).json()  # 20 plans a day: per's 3 are not many
    assert by_default["busy_readers"] == []
    earlier = web.client.get(CONTROL, params={"from": "2026-02-23", "to": "2026-03-01"}).json()
    assert earlier["entries"] == 0
    refused = web.client.get(CONTROL, params={"from": "2026-03-08", "to": "2026-03-02"})
    assert refused.status_code == 422
    assert "to" in refused.text

    web.page_login("admin")
    page = web.client.get("/reports", params={"from": "2026-03-02", "to": "2026-03-08"})
    assert page.status_code == 200
    assert "Loggkontroll" in page.text
    assert "Fra 02.03.2026 til 08.03.2026: 5 oppslag." in page.text
    rows = rows_of(page.text)
    off_hours = [r for r in rows if r.get("Tidspunkt", "").startswith("03.03.2026")]
    assert off_hours == [
        {
            "Leser": "Per Testesen",
            "Rolle": "tjenesteyter",
            "Tidspunkt": "03.03.2026 06:30",
            "Plan": "Plan 0",
        }
    ]
    half = web.client.get("/reports", params={"from": "2026-03-02"})
    assert half.status_code == 422
    assert 'id="f-to-error"' in half.text  # at the field missing
    assert "Skriv første og siste dag i perioden" in half.text
    assert 'name="from" type="date" value="2026-03-02"' in half.text  # kept as typed
    assert "Fra 02.03.2026 til 08.03.2026" in half.text  # the last full week meanwhile
    web.page_login("kari")
    assert web.client.get("/reports").status_code == 403


def test_accounts_not_used_for_90_days_are_listed_until_they_log_in_or_are_locked(
    web: Web,
) -> None:
    """NOR-03's fourth pattern: an account not locked whose last login (its creation, if
    it never logged in) is more than 90 days before the period's end."""
    web.create_user("kari", coordinator=True)
    per = web.create_user("per")
    ola = web.create_user("ola")
    web.create_user("admin", org_admin=True)
    log_in(web, "kari")  # Monday 2 March, 10:00 in Oslo
    kari_login = web.clock().isoformat().replace("+00:00", "Z")
    web.clock.now = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)  # a Monday, 105 days on
    web.accounts.accounts.set_flag(ola, "hard_locked", True, at=web.clock(), fact="test")
    log_in(web, "admin")
    found = web.client.get(CONTROL).json()  # 8 to 14 June: idle since before 17 March
    assert (found["first_day"], found["last_day"]) == ("2026-06-08", "2026-06-14")
    dormant = {a["username"]: a["last_login_at"] for a in found["dormant_accounts"]}
    assert dormant == {"kari": kari_login, "per": None}  # never logged in: its creation
    assert {a["person_id"] for a in found["dormant_accounts"]} >= {str(per)}

    log_in(web, "kari")
    log_in(web, "admin")
    found = web.client.get(CONTROL, params={"from": "2026-06-15", "to": "2026-06-15"}).json()
    assert [a["username"] for a in found["dormant_accounts"]] == ["per"]
    web.page_login("admin")
    page = web.client.get("/reports")
    rows = [r for r in rows_of(page.text) if "Brukernavn" in r]
    assert rows == [{"Navn": "Per Testesen", "Brukernavn": "per", "Sist innlogget": "aldri"}]
