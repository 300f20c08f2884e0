"""The HTTP surface of the plan core: health, history, timeline, errors, OpenAPI."""

import time
from datetime import datetime, timedelta
from uuid import uuid4

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from stafett.aggregates.plan import Plan
from stafett.applications.demo import ensure_demo
from stafett.applications.plans import PlanApplication
from stafett.web.health import HEALTH, HealthStatus
from tests.conftest import ManualClock
from tests.e2e.conftest import Web
from tests.e2e.test_plan_api import PLANS, log_in, plan_body
from tests.integration.support import FailingUntilReleased, eventually
from tests.integration.test_plan_list import make_group


@pytest.fixture
def demo(web: Web, clock: ManualClock) -> tuple[TestClient[Litestar], str]:
    demo = ensure_demo(web.plans, web.accounts)
    clock.advance(timedelta(minutes=5))
    passwords = dict(demo.credentials)
    web.login("kari", passwords["kari"])
    return web.client, str(demo.plan_id)


def test_health_answers_ok_when_the_store_answers(
    demo: tuple[TestClient[Litestar], str],
    web: Web,
) -> None:
    client, _ = demo
    assert web.plan_list is not None
    web.plan_list.wait("plans", web.plans.recorder.max_notification_id(), timeout=5)
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "plan_list_lag": 0}


def test_health_reports_how_far_the_plan_list_lags_behind_the_events(web: Web) -> None:
    assert web.plan_list is not None
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    assert web.client.post(PLANS, json=plan_body(), headers=headers).status_code == 201
    assert web.client.get("/health").json()["plan_list_lag"] == 0  # the write waited for it
    web.plan_list.reset()  # the view forgets everything: every event is behind
    lag = web.client.get("/health").json()["plan_list_lag"]
    assert lag == web.plans.recorder.max_notification_id()


def test_health_answers_503_with_retry_after_when_the_store_is_gone(
    web: Web, plans: PlanApplication
) -> None:
    plans.close()
    response = web.client.get("/health")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"


def test_health_answers_from_its_last_look_at_the_store_until_that_is_old(
    web: Web, plans: PlanApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many calls, one look at the store (web/health.py): the figures are refreshed at
    most every `every` seconds, so a store that changed or went away shows only then."""
    assert web.plan_list is not None
    status = HealthStatus(every=60.0)
    monkeypatch.setitem(web.client.app.state, HEALTH, status)
    looks = []
    newest = plans.recorder.max_notification_id

    def counted() -> int | None:
        looks.append(1)
        return newest()

    monkeypatch.setattr(plans.recorder, "max_notification_id", counted)
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    assert web.client.post(PLANS, json=plan_body(), headers=headers).status_code == 201
    assert web.client.get("/health").json() == {"status": "ok", "plan_list_lag": 0}
    web.plan_list.reset()  # every event is behind now, but the answer is not 60 s old
    for _ in range(5):
        assert web.client.get("/health").json() == {"status": "ok", "plan_list_lag": 0}
    assert len(looks) == 1

    status.every = 0.05
    time.sleep(0.1)
    lag = web.client.get("/health").json()["plan_list_lag"]
    assert lag == newest()
    assert len(looks) == 2
    plans.close()
    time.sleep(0.1)
    gone = web.client.get("/health")
    assert (gone.status_code, gone.json()) == (503, {"status": "unavailable"})
    assert gone.headers["retry-after"] == "5"


def test_history_by_version_returns_the_plan_as_it_stood(
    demo: tuple[TestClient[Litestar], str],
) -> None:
    client, plan_id = demo
    body = client.get(f"/api/v1/plans/{plan_id}/history", params={"version": 4}).json()
    assert body["version"] == 4
    assert body["goals"] == []
    assert len(body["participants"]) == 5
    latest = client.get(f"/api/v1/plans/{plan_id}/history", params={"version": 9}).json()
    assert [g["title"] for g in latest["goals"]] == ["Ola leser med glede"]


def test_history_as_of_an_instant_uses_the_offset(
    demo: tuple[TestClient[Litestar], str], clock: ManualClock
) -> None:
    client, plan_id = demo
    instant = (clock.now - timedelta(minutes=5)).astimezone().isoformat()
    body = client.get(f"/api/v1/plans/{plan_id}/history", params={"as_of": instant}).json()
    assert body["version"] == 9


def test_history_before_the_plan_existed_is_not_found(
    demo: tuple[TestClient[Litestar], str],
) -> None:
    client, plan_id = demo
    response = client.get(
        f"/api/v1/plans/{plan_id}/history", params={"as_of": "2001-01-01T00:00:00+01:00"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_version_past_the_head_is_a_conflict_naming_the_field(
    demo: tuple[TestClient[Litestar], str],
) -> None:
    """The plan may reach it later: refused for what is stored (409), decision 0023."""
    client, plan_id = demo
    response = client.get(f"/api/v1/plans/{plan_id}/history", params={"version": 999})
    assert response.status_code == 409
    assert response.json()["field"] == "version"


def test_version_and_instant_together_give_the_earlier_and_neither_the_plan_now(
    demo: tuple[TestClient[Litestar], str],
) -> None:
    client, plan_id = demo
    url = f"/api/v1/plans/{plan_id}/history"
    later = "2099-01-01T00:00:00+01:00"
    at_two = client.get(url, params={"version": 2}).json()
    assert at_two["version"] == 2
    assert client.get(url, params={"version": 2, "as_of": later}).json() == at_two
    now = client.get(url, params={"as_of": later}).json()
    assert now["version"] > 2
    assert client.get(url, params={"version": 999, "as_of": later}).json() == now
    assert client.get(url).json() == now


def test_a_malformed_instant_is_a_client_error_without_a_trace(
    demo: tuple[TestClient[Litestar], str],
) -> None:
    client, plan_id = demo
    response = client.get(f"/api/v1/plans/{plan_id}/history", params={"as_of": "yesterday"})
    assert response.status_code == 422
    assert "Traceback" not in response.text


def test_timeline_lists_every_event_with_actor_and_summary(
    demo: tuple[TestClient[Litestar], str],
) -> None:
    client, plan_id = demo
    entries = client.get(f"/api/v1/plans/{plan_id}/timeline").json()
    assert [e["version"] for e in entries] == list(range(1, 10))
    assert entries[0]["actor"]["name"] == "Kari Stafettholder"
    assert entries[0]["actor"]["role"] == "coordinator"
    assert entries[7]["actor"]["role"] == "relative"
    assert entries[7]["summary"] == "Kommentar skrevet"


def test_the_timeline_in_pages_newest_first_adds_up_to_the_whole(
    demo: tuple[TestClient[Litestar], str],
) -> None:
    client, plan_id = demo
    url = f"/api/v1/plans/{plan_id}/timeline"
    whole = client.get(url).json()
    pages: list[list[int]] = []
    next_page: str | None = f"{url}?limit=4"
    while next_page is not None:
        answer = client.get(next_page)
        assert answer.status_code == 200, answer.text
        pages.append([e["version"] for e in answer.json()])
        link = answer.headers.get("link")
        next_page = link.split(">")[0].lstrip("<") if link else None
    assert pages == [[9, 8, 7, 6], [5, 4, 3, 2], [1]]
    by_version = {e["version"]: e for e in whole}
    assert client.get(f"{url}?limit=2&before=9").json() == [by_version[8], by_version[7]]
    assert client.get(f"{url}?limit=3&before=1").json() == []


def test_before_alone_is_a_page_of_the_largest_size(demo: tuple[TestClient[Litestar], str]) -> None:
    client, plan_id = demo
    url = f"/api/v1/plans/{plan_id}/timeline"
    page = client.get(f"{url}?before=3")
    assert page.status_code == 200, page.text
    assert page.json() == client.get(f"{url}?limit=500&before=3").json()
    assert [e["version"] for e in page.json()] == [2, 1]


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=2&before=0"])
def test_a_timeline_page_out_of_range_is_a_client_error(
    demo: tuple[TestClient[Litestar], str], query: str
) -> None:
    client, plan_id = demo
    answer = client.get(f"/api/v1/plans/{plan_id}/timeline?{query}")
    assert answer.status_code in (400, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_an_unknown_plan_is_not_found_on_every_read_route(
    demo: tuple[TestClient[Litestar], str],
) -> None:
    client, _ = demo
    unknown = uuid4()
    for path in (f"/api/v1/plans/{unknown}/timeline", f"/api/v1/plans/{unknown}/history"):
        response = client.get(path, params={"version": 1} if "history" in path else None)
        assert response.status_code == 404, path


def test_history_needs_a_login(web: Web) -> None:
    demo = ensure_demo(web.plans, web.accounts)
    response = web.client.get(f"/api/v1/plans/{demo.plan_id}/timeline")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_participant_who_is_not_coordinator_may_not_read_the_history(web: Web) -> None:
    demo = ensure_demo(web.plans, web.accounts)
    web.login("anne", dict(demo.credentials)["anne"])
    assert web.client.get(f"/api/v1/plans/{demo.plan_id}/timeline").status_code == 403


def test_someone_outside_the_plan_is_told_it_does_not_exist(web: Web) -> None:
    demo = ensure_demo(web.plans, web.accounts)
    web.create_user("stranger", coordinator=True)
    web.login("stranger")
    inside = web.client.get(f"/api/v1/plans/{demo.plan_id}/timeline")
    missing = web.client.get(f"/api/v1/plans/{uuid4()}/timeline")
    assert inside.status_code == missing.status_code == 404
    assert inside.json() == missing.json()


def test_an_auditor_reads_any_plans_history(web: Web) -> None:
    demo = ensure_demo(web.plans, web.accounts)
    web.create_user("revisor", auditor=True)
    web.login("revisor")
    response = web.client.get(f"/api/v1/plans/{demo.plan_id}/history", params={"version": 2})
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_the_openapi_schema_lists_exactly_the_served_routes(
    demo: tuple[TestClient[Litestar], str],
) -> None:
    client, _ = demo
    schema = client.get("/schema/openapi.json").json()
    assert set(schema["paths"]) == {
        "/health",
        "/api/v1/session",
        "/api/v1/session/otp",
        "/api/v1/session/otp/resend",
        "/api/v1/session/step-up",
        "/api/v1/session/step-up/code",
        "/api/v1/session/terms",
        "/api/v1/password-reset",
        "/api/v1/password-reset/{token}",
        "/api/v1/me",
        "/api/v1/me/password",
        "/api/v1/me/details",
        "/api/v1/me/totp",
        "/api/v1/me/totp/confirm",
        "/api/v1/me/mobile/code",
        "/api/v1/me/mobile/confirm",
        "/api/v1/me/photo",
        "/api/v1/me/sessions",
        "/api/v1/me/sessions/{handle}",
        "/api/v1/plans/{plan_id}/history",
        "/api/v1/plans/{plan_id}/timeline",
        "/api/v1/plans/{plan_id}/export",
        "/api/v1/plans/{plan_id}/access-log",
        "/api/v1/plans/{plan_id}/archives",
        "/api/v1/archives/{archive_id}",
        "/api/v1/archive-keys",
        "/api/v1/persons",
        "/api/v1/plans",
        "/api/v1/plans/{plan_id}",
        "/api/v1/plans/{plan_id}/participants",
        "/api/v1/plans/{plan_id}/participants/{participant_id}",
        "/api/v1/plans/{plan_id}/participants/{participant_id}/account",
        "/api/v1/plans/{plan_id}/participants/{participant_id}/account/activation",
        "/api/v1/plans/{plan_id}/participants/{participant_id}/photo",
        "/api/v1/plans/{plan_id}/participants/{participant_id}/notifications",
        "/api/v1/admin/notifications/dead-letters",
        "/api/v1/admin/notifications/{notice_id}/retry",
        "/api/v1/plans/{plan_id}/coordinator",
        "/api/v1/plans/{plan_id}/coordinator/offer",
        "/api/v1/plans/{plan_id}/coordinator/offer/acceptance",
        "/api/v1/plans/{plan_id}/consent",
        "/api/v1/plans/{plan_id}/consent/withdrawal",
        "/api/v1/plans/{plan_id}/goals",
        "/api/v1/plans/{plan_id}/goals/{goal_id}",
        "/api/v1/plans/{plan_id}/goals/{goal_id}/evaluations",
        "/api/v1/plans/{plan_id}/activities",
        "/api/v1/plans/{plan_id}/activities/{activity_id}",
        "/api/v1/plans/{plan_id}/minutes",
        "/api/v1/plans/{plan_id}/comments",
        "/api/v1/plans/{plan_id}/messages",
        "/api/v1/plans/{plan_id}/calendar",
        "/api/v1/plans/{plan_id}/close",
        "/api/v1/plans/{plan_id}/reopen",
        "/api/v1/reports",
        "/api/v1/reports/log-control",
        "/api/v1/audit/plans",
    }


def test_health_shows_the_event_the_plan_list_keeps_retrying_until_it_succeeds(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    def is_poisoned(event: object, _: object) -> bool:
        return isinstance(event, Plan.Created) and event.short_name == "Giftig"

    failing = FailingUntilReleased(monkeypatch, is_poisoned)
    make_group(web.plans, short_name="Giftig")  # stored past the HTTP edge
    created = web.plans.recorder.max_notification_id()
    assert created is not None
    eventually(lambda: "plan_list_fault" in web.client.get("/health").json())
    body = web.client.get("/health").json()
    assert body["status"] == "ok"
    assert body["plan_list_lag"] >= 1
    fault = body["plan_list_fault"]
    assert set(fault) == {"notification_id", "attempts", "since"}
    assert 0 < fault["notification_id"] <= created
    assert fault["attempts"] >= 1
    assert datetime.fromisoformat(fault["since"]).tzinfo is not None

    failing.released.set()
    eventually(lambda: web.client.get("/health").json() == {"status": "ok", "plan_list_lag": 0})
    assert failing.applied[fault["notification_id"]] == 1
