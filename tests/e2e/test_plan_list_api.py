"""The plan list and organisation reports over HTTP, read from the projection."""

from datetime import timedelta
from uuid import UUID

from structlog.testing import capture_logs

from stafett.applications.results import CommandResult
from stafett.web.state import ReadYourWrites
from tests.e2e.conftest import Web
from tests.e2e.test_plan_api import PLANS, log_in, plan_body, rights

LIST_FIELDS = {
    "id",
    "owner_name",
    "owner_birth_date",
    "short_name",
    "type",
    "changed_since_last_visit",
    "new_message",
    "consent_expires_on",
    "consent_expires_in_days",
    "start_date",
    "end_date",
    "last_archived_at",
    "can_manage",
    "can_reopen",
    "status",
    "consent_status",
    "consent_given_on",
    "quiet_days",
}


def test_the_creator_sees_a_new_plan_on_the_very_next_read(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    created = web.client.post(PLANS, json=plan_body(), headers=headers)
    assert created.status_code == 201, created.text
    listed = web.client.get(PLANS)
    assert listed.status_code == 200
    [row] = listed.json()
    assert set(row) == LIST_FIELDS
    assert row["id"] == created.json()["id"]
    assert row["owner_name"] == "Ola Planeier"
    assert row["owner_birth_date"] == "2015-05-01"
    assert row["type"] == "SL"
    assert (row["can_manage"], row["can_reopen"]) == (True, False)
    assert row["quiet_days"] == 0  # changed today
    assert row["consent_expires_on"] == "2026-09-30"
    assert row["consent_expires_in_days"] == 212  # from 2026-03-02
    assert (row["status"], row["consent_status"]) == ("open", "active")
    assert row["consent_given_on"] == plan_body()["consent"]["given_on"]
    assert web.client.get(PLANS, params={"first_name": "kari"}).json() == []
    assert len(web.client.get(PLANS, params={"last_name": "plan"}).json()) == 1


def test_a_closed_plan_and_a_reset_consent_are_told_apart_in_the_list(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    ids = []
    for name in ("Lukkes", "Nullstilles"):
        created = web.client.post(PLANS, json=plan_body(short_name=name), headers=headers)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    closing = {"ended_on": "2026-03-02", "reason": "Ferdig"}
    closed = web.client.post(f"{PLANS}/{ids[0]}/close", json=closing, headers=headers)
    assert closed.status_code == 200, closed.text
    reset = web.client.delete(f"{PLANS}/{ids[1]}/consent", headers=headers)
    assert reset.status_code == 200, reset.text
    rows = {
        r["short_name"]: r for r in web.client.get(PLANS, params={"include_closed": True}).json()
    }
    assert (rows["Lukkes"]["status"], rows["Lukkes"]["consent_status"]) == ("closed", "active")
    assert (rows["Lukkes"]["can_manage"], rows["Lukkes"]["can_reopen"]) == (False, True)
    assert (rows["Nullstilles"]["status"], rows["Nullstilles"]["consent_status"]) == (
        "open",
        "reset",
    )
    assert [r["short_name"] for r in web.client.get(PLANS).json()] == ["Nullstilles"]


def test_a_provider_added_after_consent_expired_does_not_see_the_plan(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    per = web.create_user("per")
    headers = log_in(web, "kari")
    plan_id = web.client.post(PLANS, json=plan_body(), headers=headers).json()["id"]
    web.clock.advance(timedelta(days=220))  # past 2026-09-30
    headers = log_in(web, "kari")  # the session timed out meanwhile
    added = web.client.post(
        f"{PLANS}/{plan_id}/participants",
        json={"person": {"person_id": str(per)}, "role": "provider", "rights": rights()},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    assert [r["id"] for r in web.client.get(PLANS).json()] == [plan_id]
    log_in(web, "per")
    assert web.client.get(PLANS).json() == []


def test_someone_in_no_plan_gets_an_empty_list(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.create_user("ola")
    headers = log_in(web, "kari")
    assert web.client.post(PLANS, json=plan_body(), headers=headers).status_code == 201
    log_in(web, "ola")
    with capture_logs() as logs:
        response = web.client.get(PLANS)
    assert response.json() == []
    [read] = [e for e in logs if e["event"] == "plan_list_read"]
    assert read["count"] == 0
    assert "Ola" not in str(read)


def test_reports_are_for_organisation_administrators(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.create_user("admin", org_admin=True)
    headers = log_in(web, "kari")
    plan_id = web.client.post(PLANS, json=plan_body(), headers=headers).json()["id"]
    with capture_logs() as logs:
        refused = web.client.get("/api/v1/reports")
    assert refused.status_code == 403
    assert any(e["event"] == "authz_fail" for e in logs)
    log_in(web, "admin")
    reports = web.client.get("/api/v1/reports")
    assert reports.status_code == 200
    body = reports.json()
    assert body["counts"] == [{"type": "SL", "status": "open", "count": 1}]
    assert [p["plan_id"] for p in body["never_archived"]] == [plan_id]
    assert body["consents_expiring"] == []
    assert body["inactive"] == []
    assert "owner_name" not in str(body)


def test_a_write_answers_even_when_the_list_falls_behind(web: Web) -> None:
    assert web.plan_list is not None
    caught_up = ReadYourWrites(web.plan_list, timeout=0.05)
    ahead = (web.plan_list.max_tracking_id("plans") or 0) + 1000
    with capture_logs() as logs:
        caught_up(CommandResult(UUID(int=1), 1, ahead))
    [lag] = [e for e in logs if e["event"] == "projection_lag"]
    assert lag["log_level"] == "warning"
    assert lag["notification_id"] == ahead


def test_opening_a_plan_clears_changed_and_new_message_until_the_next_change(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    per = web.create_user("per")
    headers = log_in(web, "kari")
    plan_id = web.client.post(PLANS, json=plan_body(), headers=headers).json()["id"]
    added = web.client.post(
        f"{PLANS}/{plan_id}/participants",
        json={"person": {"person_id": str(per)}, "role": "provider", "rights": rights()},
        headers=headers,
    )
    participant = added.json()["participant_id"]
    message = {"to": [participant], "subject": "Hei", "body": "Til Per"}
    assert web.client.post(f"{PLANS}/{plan_id}/messages", json=message, headers=headers).is_success
    log_in(web, "per")
    [row] = web.client.get(PLANS).json()
    assert (row["changed_since_last_visit"], row["new_message"]) == (True, True)
    web.clock.advance()
    assert web.client.get(f"{PLANS}/{plan_id}").status_code == 200  # the visit
    [row] = web.client.get(PLANS).json()
    assert (row["changed_since_last_visit"], row["new_message"]) == (False, False)
    web.clock.advance()
    headers = log_in(web, "kari")
    assert web.client.post(
        f"{PLANS}/{plan_id}/goals", json={"title": "Nytt mål"}, headers=headers
    ).is_success
    log_in(web, "per")
    [row] = web.client.get(PLANS).json()
    assert (row["changed_since_last_visit"], row["new_message"]) == (True, False)


def test_bad_list_queries_get_a_clear_422_and_no_rows(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    assert web.client.post(PLANS, json=plan_body(), headers=headers).status_code == 201
    for query in ({"first_name": "x" * 201}, {"include_closed": "kanskje"}):
        answer = web.client.get(PLANS, params=query)
        assert answer.status_code == 422, query
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "Ola" not in answer.text
