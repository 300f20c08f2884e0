"""Auditors over HTTP, on both stores: "what did the school know on 3 March?".

A plan is made on 2 March under a consent that runs out on 12 March; the school
(a provider) may write goals at first, loses its goal right on 4 March, and after
12 March may not open the plan at all. An auditor finds the plan by the owner's
name and birth date (the search is recorded), then asks what the school could see on
3, 5 and 13 March: the plan's history as that participant saw it, through the same
rules as the live plan. Non-auditors are refused, and every auditor read is in the
plan's access log on the grounds `audit`.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from structlog.testing import capture_logs

from tests.e2e.conftest import Web
from tests.e2e.test_plan_api import log_in, rights

PLANS = "/api/v1/plans"
SEARCH = "/api/v1/audit/plans"
GOAL = "Lese tjue minutter hver dag"
OWNER = {"first_name": "Ola", "last_name": "Nordmann", "birth_date": "2015-05-17"}
CONSENT = {
    "given_by": "Mor og far",
    "given_on": "2026-03-01",
    "expires_on": "2026-03-12",
    "scope": "Full deling i plangruppen",
}


@dataclass
class Story:
    plan_id: str
    school: str  # the school's participant id
    anne: str  # the mother's
    late: str  # a provider added on 10 March

    def url(self, suffix: str = "") -> str:
        return f"{PLANS}/{self.plan_id}{suffix}"


def at(day: int, hour: int = 12) -> datetime:
    """An instant in March 2026 (UTC; 12:00 UTC is 13:00 in Oslo)."""
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def as_participant(web: Web, story: Story, participant: str, when: str) -> Any:
    return web.client.get(
        story.url("/history"), params={"as_of": when, "as_participant": participant}
    )


@pytest.fixture
def story(web: Web) -> Story:
    web.create_user("kari", coordinator=True)
    web.create_user("anne")
    web.create_user("skole")
    web.create_user("sen")
    web.create_user("revisor", auditor=True)
    web.create_user("ute")
    web.clock.now = at(2, 9)
    headers = log_in(web, "kari")
    created = web.client.post(
        PLANS,
        json={
            "type": "SL",
            "short_name": "Ola 2026",
            "start_date": "2026-03-02",
            "owner": OWNER,
            "consent": CONSENT,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    plan = f"{PLANS}/{created.json()['id']}"

    def add(username: str, role: str, **given: str) -> str:
        person = str(web.accounts.accounts.by_username(username).person_id)  # type: ignore[union-attr]
        added = web.client.post(
            f"{plan}/participants",
            json={"person": {"person_id": person}, "role": role, "rights": rights(**given)},
            headers=headers,
        )
        assert added.status_code == 201, added.text
        participant: str = added.json()["participant_id"]
        return participant

    anne = add("anne", "relative")
    school = add("skole", "provider")
    assert web.client.post(f"{plan}/goals", json={"title": GOAL}, headers=headers).is_success
    to_school = {"to": [school], "subject": "Om Ola", "body": "Til skolen"}
    assert web.client.post(f"{plan}/messages", json=to_school, headers=headers).is_success
    anne_headers = log_in(web, "anne")
    private = {"to": [school], "subject": "Fra mor", "body": "Bare til skolen"}
    assert web.client.post(f"{plan}/messages", json=private, headers=anne_headers).is_success

    web.clock.now = at(4, 9)
    headers = log_in(web, "kari")
    changed = web.client.patch(
        f"{plan}/participants/{school}", json={"rights": rights(goals="none")}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    web.clock.now = at(10, 9)
    headers = log_in(web, "kari")
    late = add("sen", "provider")
    web.clock.now = at(15, 9)  # the consent ran out on 12 March
    return Story(created.json()["id"], school, anne, late)


def test_the_auditor_finds_the_plan_and_sees_what_the_school_knew_on_each_day(
    web: Web, story: Story
) -> None:
    log_in(web, "skole")
    assert web.client.get(story.url()).status_code == 403  # today: no consent, no plan

    log_in(web, "revisor")
    assert web.client.get(story.url()).status_code == 404  # outside the plan group
    with capture_logs() as logs:
        found = web.client.get(SEARCH, params={"last_name": "nord", "birth_date": "2015-05-17"})
    assert found.status_code == 200, found.text
    assert [p["id"] for p in found.json()["plans"]] == [story.plan_id]
    assert found.json()["plans"][0]["owner_name"] == "Ola Nordmann"
    assert found.json()["more"] is False
    other_day = web.client.get(SEARCH, params={"last_name": "nord", "birth_date": "2015-05-18"})
    assert other_day.json() == {"plans": [], "more": False}
    revisor = web.accounts.accounts.by_username("revisor")
    assert revisor is not None
    assert web.accounts.accounts.facts_of(revisor.person_id)[-2:] == [
        ("audit_search", "last_name,birth_date found=1"),
        ("audit_search", "last_name,birth_date found=0"),
    ]
    searched = [e for e in logs if e["event"] == "audit_search"]
    assert searched == [
        {
            "event": "audit_search",
            "log_level": "info",
            "actor": str(revisor.person_id),
            "terms": "last_name,birth_date",
            "found": 1,
            "more": False,
        }
    ]

    on_3 = as_participant(web, story, story.school, "2026-03-03T12:00:00+01:00")
    assert on_3.status_code == 200, on_3.text
    seen = on_3.json()
    assert seen["could_open"] is True
    assert seen["name"] == "Skole Testesen"
    assert seen["role"] == "provider"
    assert seen["plan"]["me"]["rights"]["goals"] == "write"
    assert [g["title"] for g in seen["plan"]["goals"]] == [GOAL]
    assert {m["subject"] for m in seen["plan"]["messages"]} == {"Om Ola", "Fra mor"}
    assert "messages_limited" not in seen  # an auditor reads every message
    assert seen["plan"]["consent"]["valid_now"] is True
    assert seen["plan"]["consent"]["expires_in_days"] == 9
    assert "contact" not in str(seen["plan"]["participants"])  # not historised: left out

    on_5 = as_participant(web, story, story.school, "2026-03-05T12:00:00+01:00").json()
    assert on_5["could_open"] is True
    assert on_5["plan"]["me"]["rights"]["goals"] == "none"
    assert "goals" not in on_5["plan"]  # the right was taken away on 4 March
    assert "activities" in on_5["plan"]

    on_13 = as_participant(web, story, story.school, "2026-03-13T12:00:00+01:00").json()
    assert on_13["could_open"] is False
    assert on_13["refused"] == "consent"
    assert "plan" not in on_13
    assert GOAL not in str(on_13)

    mother = as_participant(web, story, story.anne, "2026-03-13T12:00:00+01:00").json()
    assert mother["could_open"] is True  # the family keeps reading without consent
    assert {m["subject"] for m in mother["plan"]["messages"]} == {"Fra mor"}

    whole = web.client.get(story.url("/history"), params={"as_of": "2026-03-03T12:00:00+01:00"})
    assert {m["subject"] for m in whole.json()["messages"]} == {"Om Ola", "Fra mor"}

    entries = [e for e in web.access_log.entries(UUID(story.plan_id)) if e.role == "auditor"]
    assert [e.sections for e in entries] == [("search",)] + [("history",)] * 5
    assert {e.grounds for e in entries} == {"audit"}
    assert {e.reader_person_id for e in entries} == {revisor.person_id}
    assert web.access_log.verify(UUID(story.plan_id)) == []


def test_a_participant_who_was_not_in_the_group_then_is_a_clear_409(web: Web, story: Story) -> None:
    log_in(web, "revisor")
    before_joining = as_participant(web, story, story.late, "2026-03-05T12:00:00+01:00")
    assert before_joining.status_code == 409  # refused for what is stored (decision 0023)
    assert before_joining.headers["content-type"].startswith("application/problem+json")
    assert before_joining.json()["field"] == "as_participant"
    assert "not in the plan group" in before_joining.json()["detail"]
    assert as_participant(web, story, story.late, "2026-03-11T12:00:00+01:00").status_code == 200
    unknown = as_participant(web, story, str(uuid4()), "2026-03-05T12:00:00+01:00")
    assert unknown.status_code == 409
    before_the_plan = as_participant(web, story, story.school, "2026-02-01T12:00:00+01:00")
    assert before_the_plan.status_code == 404  # the plan did not exist then
    future = as_participant(web, story, story.school, "2026-04-01T12:00:00+02:00")
    assert future.status_code == 409  # refused for today's date (decision 0023)
    assert future.json()["field"] == "as_of"
    assert future.json()["reason"] == "in_the_future"  # a word a client can act on
    with_version = web.client.get(
        story.url("/history"), params={"version": 2, "as_participant": story.school}
    )
    assert with_version.status_code == 409  # (decision 0023)
    assert with_version.json()["field"] == "as_participant"


def test_the_coordinator_may_ask_too_and_reads_only_their_own_messages_in_history(
    web: Web, story: Story
) -> None:
    log_in(web, "kari")
    seen = as_participant(web, story, story.school, "2026-03-03T12:00:00+01:00")
    assert seen.status_code == 200, seen.text
    assert seen.json()["plan"]["goals"][0]["title"] == GOAL
    assert {m["subject"] for m in seen.json()["plan"]["messages"]} == {"Om Ola"}
    assert seen.json()["messages_limited"] is True  # the mother's note to the school is hers
    whole = web.client.get(story.url("/history"), params={"as_of": "2026-03-03T12:00:00+01:00"})
    assert {m["subject"] for m in whole.json()["messages"]} == {"Om Ola"}  # not the mother's
    last = web.access_log.entries(UUID(story.plan_id))[-1]
    assert last.role == "coordinator"
    assert last.grounds.startswith("participant:")


def test_non_auditors_are_refused_by_the_policy_table(web: Web, story: Story) -> None:
    query = {"last_name": "Nordmann"}
    for username in ("kari", "anne", "skole", "ute"):
        log_in(web, username)
        refused = web.client.get(SEARCH, params=query)
        assert refused.status_code == 403, username
        assert "Nordmann" not in refused.text
    log_in(web, "anne")
    assert as_participant(web, story, story.school, "2026-03-03T12:00:00+01:00").status_code == 403
    log_in(web, "ute")
    outside = as_participant(web, story, story.school, "2026-03-03T12:00:00+01:00")
    assert outside.status_code == 404
    assert GOAL not in outside.text
    web.logout()
    assert web.client.get(SEARCH, params=query).status_code == 401
    auditor_reads = [e for e in web.access_log.entries(UUID(story.plan_id)) if e.role == "auditor"]
    assert auditor_reads == []


def test_the_search_narrows_by_status_and_period_and_needs_a_narrowing_term(
    web: Web, story: Story
) -> None:
    log_in(web, "revisor")

    def ids(**query: str) -> list[str]:
        answer = web.client.get(SEARCH, params=query)
        assert answer.status_code == 200, answer.text
        return [p["id"] for p in answer.json()["plans"]]

    assert ids(first_name="OLA") == [story.plan_id]
    assert ids(first_name="Ola", status="open") == [story.plan_id]
    assert ids(first_name="Ola", status="closed") == []
    assert ids(**{"from": "2026-01-01", "to": "2026-02-28"}) == []  # before it started
    assert ids(**{"from": "2026-03-01", "to": "2026-03-02"}) == [story.plan_id]
    assert ids(**{"from": "2030-01-01"}) == [story.plan_id]  # open: still active
    assert ids(last_name="%") == []  # a wildcard is a letter like any other
    for query in ({}, {"status": "open"}, {"from": "2026-03-05", "to": "2026-03-01"}):
        refused = web.client.get(SEARCH, params=query)
        assert refused.status_code == 422, query
        assert refused.headers["content-type"].startswith("application/problem+json")
