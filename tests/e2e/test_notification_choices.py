"""Notification choices over HTTP (api.md: PUT …/participants/{pid}/notifications)."""

from typing import Any
from uuid import UUID

from tests.e2e.conftest import Web
from tests.e2e.test_plan_api import Group, group, log_in

__all__ = ["group"]

NONE: dict[str, Any] = {
    "new_message": [],
    "new_goal_or_activity": [],
    "new_comment": [],
    "new_calendar_entry": [],
    "new_participant": [],
}
# What the plan view shows: the body's kinds and the digest choice (decision 0022).
SHOWN = NONE | {"email_digest": False}


def notices_url(g: Group, participant: str) -> str:
    return g.url(f"/participants/{participant}/notifications")


def members(web: Web, g: Group) -> dict[str, dict[str, Any]]:
    answer = web.client.get(g.url())
    assert answer.status_code == 200, answer.text
    return {m["participant_id"]: m for m in answer.json()["participants"]}


def test_a_participant_chooses_their_own_and_the_coordinator_sees_them(
    web: Web, group: Group
) -> None:
    headers = log_in(web, "anne")
    chosen = NONE | {"new_message": ["email", "sms"], "new_comment": ["sms"]}
    answer = web.client.put(notices_url(group, group.relative), json=chosen, headers=headers)
    assert answer.status_code == 200, answer.text
    version = answer.json()["version"]
    assert answer.json() == {"version": version}
    seen = members(web, group)
    # one's own choices, each channel once, SMS first; nobody else's
    assert seen[group.relative]["notifications"] == SHOWN | {
        "new_message": ["sms", "email"],
        "new_comment": ["sms"],
    }
    assert "notifications" not in seen[group.provider]
    assert "notifications" not in seen[group.coordinator]

    log_in(web, "kari")
    seen = members(web, group)
    assert seen[group.relative]["notifications"]["new_message"] == ["sms", "email"]
    assert seen[group.provider]["notifications"] == SHOWN
    # the same choice again adds no version
    headers = log_in(web, "anne")
    again = web.client.put(notices_url(group, group.relative), json=chosen, headers=headers)
    assert again.json() == {"version": version}


def test_only_the_participant_or_the_coordinator_may_choose(web: Web, group: Group) -> None:
    body = NONE | {"new_participant": ["email"]}
    headers = log_in(web, "per")
    refused = web.client.put(notices_url(group, group.relative), json=body, headers=headers)
    assert refused.status_code == 403, refused.text
    headers = log_in(web, "kari")
    allowed = web.client.put(notices_url(group, group.relative), json=body, headers=headers)
    assert allowed.status_code == 200, allowed.text
    plan = web.plans.get_plan(UUID(group.plan_id))
    assert plan.version == allowed.json()["version"]

    web.create_user("ola")
    headers = log_in(web, "ola")
    outside = web.client.put(notices_url(group, group.relative), json=body, headers=headers)
    assert outside.status_code == 404, outside.text


def test_unknown_channels_and_participants_are_refused(web: Web, group: Group) -> None:
    headers = log_in(web, "kari")
    wrong = web.client.put(
        notices_url(group, group.relative), json=NONE | {"new_message": ["fax"]}, headers=headers
    )
    assert wrong.status_code == 422, wrong.text
    extra = web.client.put(
        notices_url(group, group.relative), json=NONE | {"digest": ["sms"]}, headers=headers
    )
    assert extra.status_code in (400, 422), extra.text
    nobody = web.client.put(
        notices_url(group, "00000000-0000-4000-8000-000000000000"), json=NONE, headers=headers
    )
    assert nobody.status_code == 404, nobody.text


def test_the_hourly_digest_is_an_optional_field_of_the_same_body(web: Web, group: Group) -> None:
    headers = log_in(web, "anne")
    url = notices_url(group, group.relative)
    chosen = NONE | {"new_comment": ["email"], "email_digest": True}
    assert web.client.put(url, json=chosen, headers=headers).status_code == 200
    assert members(web, group)[group.relative]["notifications"] == SHOWN | {
        "new_comment": ["email"],
        "email_digest": True,
    }
    # the body as api.md gives it, without the field, chooses no digest
    assert web.client.put(url, json=NONE, headers=headers).status_code == 200
    assert members(web, group)[group.relative]["notifications"] == SHOWN
    wrong = web.client.put(url, json=NONE | {"email_digest": "hourly"}, headers=headers)
    assert wrong.status_code == 422, wrong.text
