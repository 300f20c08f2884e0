"""GET /api/v1/plans/{id}: field-level rights, consent at the instant, fail closed.

SEC-AC-04 (a response carries only the parts the caller may read: no key for the
rest), SEC-AC-05 (rights from current state on every request: expiry at the
municipal day's end, reset, removal and rights changes count from the next
request), SEC-AC-09 (an error in the policy answers with no plan data).
"""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from stafett.aggregates import policy
from tests.e2e.conftest import Web
from tests.e2e.test_logging import Terminal, captured_logs
from tests.e2e.test_plan_api import PLANS, Group, group, log_in, rights

__all__ = ["group"]  # the fixture, imported for this module's tests

OVERVIEW_KEYS = {
    "id",
    "version",
    "modified_at",
    "type",
    "short_name",
    "owner_person_id",
    "owner_name",
    "start_date",
    "end_date",
    "level",
    "review_on",
    "baton_offered_to",  # decision 0052
    "baton_offered_at",
    "status",
    "closed_reason",
    "consent",
    "me",
    "participants",
    "archives",
    "comments",
}
CONTENT_KEYS = {"goals", "activities", "calendar", "minutes", "messages"}


def add_content(web: Web, g: Group) -> str:
    """A goal with a comment, and a message to the provider; the goal's id."""
    headers = log_in(web, "kari")
    goal = web.client.post(g.url("/goals"), json={"title": "Lese bedre"}, headers=headers)
    assert goal.status_code == 201, goal.text
    note = {"on": {"kind": "goal", "id": goal.json()["goal_id"]}, "text": "Bra start"}
    assert web.client.post(g.url("/comments"), json=note, headers=headers).status_code == 201
    message = {"to": [g.provider], "subject": "Til Per", "body": "Bare til deg"}
    assert web.client.post(g.url("/messages"), json=message, headers=headers).status_code == 201
    goal_id: str = goal.json()["goal_id"]
    return goal_id


def test_a_relative_without_goal_rights_gets_no_goal_key_and_no_goal_comments(
    web: Web, group: Group
) -> None:
    add_content(web, group)
    log_in(web, "anne")
    answer = web.client.get(group.url())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == OVERVIEW_KEYS | (CONTENT_KEYS - {"goals"})
    assert body["comments"] == []  # the only comment is on a goal
    assert body["messages"] == []  # the message went to the provider only
    assert "Lese bedre" not in answer.text
    assert "Bare til deg" not in answer.text
    assert body["me"]["readable"] == ["activities", "minutes", "messages"]
    assert "given_by" in body["consent"]  # the family sees who gave consent


def test_a_provider_sees_goals_and_their_own_messages_but_not_who_gave_consent(
    web: Web, group: Group
) -> None:
    goal_id = add_content(web, group)
    log_in(web, "per")
    body = web.client.get(group.url()).json()
    assert set(body) == OVERVIEW_KEYS | CONTENT_KEYS
    assert [(g["goal_id"], g["title"]) for g in body["goals"]] == [(goal_id, "Lese bedre")]
    assert body["comments"][0]["on_id"] == goal_id
    assert [m["body"] for m in body["messages"]] == ["Bare til deg"]
    assert len(body["comments"]) == 1
    assert "given_by" not in body["consent"]
    others = [p for p in body["participants"] if p["participant_id"] != group.provider]
    assert all("rights" not in p for p in others)  # only the coordinator sees others' rights
    mine = next(p for p in body["participants"] if p["participant_id"] == group.provider)
    assert mine["rights"]["goals"] == "write"


def test_readers_of_one_version_each_get_only_their_own_messages(web: Web, group: Group) -> None:
    """The messages a reader gets are kept encoded per version and reader: of two readers
    of the same version, the second never gets the first's (and the first gets theirs
    again from what was kept)."""
    add_content(web, group)
    seen: dict[str, set[int]] = {}
    for name in ("per", "anne", "per", "kari", "anne"):
        log_in(web, name)
        body = web.client.get(group.url()).json()
        seen.setdefault(name, set()).add(body["version"])
        bodies = [m["body"] for m in body["messages"]]
        assert bodies == ([] if name == "anne" else ["Bare til deg"]), name
    assert len(set().union(*seen.values())) == 1  # one version, read by all


def test_the_coordinator_sees_everyones_rights_and_responsibilities(web: Web, group: Group) -> None:
    log_in(web, "kari")
    body = web.client.get(group.url()).json()
    anne = next(p for p in body["participants"] if p["participant_id"] == group.relative)
    assert anne["rights"]["goals"] == "none"
    assert anne["responsibility"] == "Mor"
    assert anne["role"] == "relative"
    assert anne["name"] == "Anne Testesen"


def test_a_rights_change_counts_from_the_next_request(web: Web, group: Group) -> None:
    add_content(web, group)
    log_in(web, "per")
    assert "goals" in web.client.get(group.url()).json()
    headers = log_in(web, "kari")
    changed = web.client.patch(
        group.url(f"/participants/{group.provider}"),
        json={"rights": rights(goals="none")},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    log_in(web, "per")
    after = web.client.get(group.url())
    assert "goals" not in after.json()
    assert "Lese bedre" not in after.text


def test_removal_and_consent_reset_count_from_the_next_request(web: Web, group: Group) -> None:
    log_in(web, "per")
    assert web.client.get(group.url()).status_code == 200
    headers = log_in(web, "kari")
    assert web.client.delete(group.url("/consent"), headers=headers).status_code == 200
    log_in(web, "per")
    assert web.client.get(group.url()).status_code == 403  # provider: consent is gone
    log_in(web, "anne")
    assert web.client.get(group.url()).status_code == 200  # the family keeps its plan
    headers = log_in(web, "kari")
    removed = web.client.delete(group.url(f"/participants/{group.relative}"), headers=headers)
    assert removed.status_code == 200
    log_in(web, "anne")
    gone = web.client.get(group.url())
    unknown = web.client.get(f"{PLANS}/{UUID(int=5)}")
    assert gone.status_code == unknown.status_code == 404
    assert gone.json() == unknown.json()


def test_consent_expires_for_providers_at_the_end_of_its_last_municipal_day(
    web: Web, group: Group
) -> None:
    """Consent runs to 2026-09-30 (Europe/Oslo, UTC+2 then): allowed at 23:59:59, not at 00:00."""
    last_second = datetime(2026, 9, 30, 21, 59, 59, tzinfo=UTC)
    web.clock.now = last_second
    log_in(web, "per")  # a session started at the test's instant stays live through it
    assert web.client.get(group.url()).status_code == 200
    web.clock.now = last_second + timedelta(seconds=1)
    refused = web.client.get(group.url())
    assert refused.status_code == 403
    assert refused.json()["title"] == "Samtykket gjelder ikke"
    assert "Ola" not in refused.text
    log_in(web, "anne")
    assert web.client.get(group.url()).status_code == 200


def test_an_error_in_the_policy_answers_without_plan_data(
    web: Web, group: Group, monkeypatch: pytest.MonkeyPatch
) -> None:
    """And its trace, logged in the development console format, shows no local values."""
    log_in(web, "kari")

    def broken(*args: object, **kwargs: object) -> policy.Decision:
        raise RuntimeError("policy store unavailable")

    monkeypatch.setattr("stafett.aggregates.plan_state.decide", broken)
    with captured_logs(json_lines=False, stream=Terminal()) as logged:  # for people
        answer = web.client.get(group.url())
    assert "unhandled_error" in logged.getvalue()
    assert "policy store unavailable" in logged.getvalue()  # the trace is there
    assert web.client.cookies["__Host-sid"] not in logged.getvalue()  # its locals are not
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "Ola" not in answer.text
    assert "policy store" not in answer.text


def test_the_family_withdraws_consent_and_providers_lose_the_plan_at_once(
    web: Web, group: Group
) -> None:
    headers = log_in(web, "per")
    assert web.client.get(group.url()).status_code == 200
    refused = web.client.post(group.url("/consent/withdrawal"), headers=headers)
    assert refused.status_code == 403  # a provider cannot withdraw the family's consent
    headers = log_in(web, "anne")
    withdrawn = web.client.post(group.url("/consent/withdrawal"), headers=headers)
    assert withdrawn.status_code == 200, withdrawn.text
    assert web.client.get(group.url()).json()["consent"]["status"] == "withdrawn"
    log_in(web, "per")
    assert web.client.get(group.url()).status_code == 403
    headers = log_in(web, "kari")
    goal = web.client.post(group.url("/goals"), json={"title": "Nytt"}, headers=headers)
    assert goal.status_code == 403  # no content without consent, not even the coordinator's
