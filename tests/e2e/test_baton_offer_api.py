"""The baton offered, and passing when the new holder accepts (decision 0052), over
HTTP on every store: `POST …/coordinator/offer`, `POST …/coordinator/offer/acceptance`,
`DELETE …/coordinator/offer`; the documented `POST …/coordinator` still hands over."""

from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx

from tests.e2e.conftest import Web
from tests.e2e.test_plan_api import Group, group, log_in, rights

__all__ = ["group"]  # the fixture, imported for this module's tests

STALE = timedelta(minutes=5, seconds=1)


def send(web: Web, method: str, url: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return web.client.request(method, url, json=body, headers=web.csrf_headers())


def offer_to_per(web: Web, group: Group) -> None:
    log_in(web, "kari")
    offered = send(web, "POST", group.url("/coordinator/offer"), {"participant_id": group.provider})
    assert offered.status_code == 200, offered.text


def coordinator_of(web: Web, group: Group) -> str:
    return str(web.plans.get_plan(UUID(group.plan_id)).coordinator_participant_id)


def test_after_an_offer_the_coordinator_still_manages_and_accepting_swaps_the_roles(
    web: Web, group: Group
) -> None:
    offer_to_per(web, group)
    assert coordinator_of(web, group) == group.coordinator
    assert send(web, "PATCH", group.url(), {"level": 1}).status_code == 200  # kari manages
    for who in ("anne", "per"):  # everyone who opens the plan sees the offer
        log_in(web, who)
        assert web.client.get(group.url()).json()["baton_offered_to"] == group.provider
    assert send(web, "PATCH", group.url(), {"level": 2}).status_code == 403  # per: not yet

    accepted = send(web, "POST", group.url("/coordinator/offer/acceptance"))
    assert accepted.status_code == 200, accepted.text
    assert coordinator_of(web, group) == group.provider
    assert web.client.get(group.url()).json()["baton_offered_to"] is None
    assert send(web, "PATCH", group.url(), {"level": 2}).status_code == 200  # per manages
    log_in(web, "kari")
    assert send(web, "PATCH", group.url(), {"level": 3}).status_code == 403


def test_the_offered_provider_declines_and_the_coordinator_withdraws(
    web: Web, group: Group
) -> None:
    offer_to_per(web, group)
    log_in(web, "per")
    declined = send(web, "DELETE", group.url("/coordinator/offer"), {})
    assert declined.status_code == 200, declined.text
    assert web.client.get(group.url()).json()["baton_offered_to"] is None
    gone = send(web, "POST", group.url("/coordinator/offer/acceptance"))
    assert gone.status_code == 409, gone.text  # nothing to accept any more
    offer_to_per(web, group)
    withdrawn = send(web, "DELETE", group.url("/coordinator/offer"))
    assert withdrawn.status_code == 200, withdrawn.text
    assert coordinator_of(web, group) == group.coordinator
    assert web.client.get(group.url()).json()["baton_offered_to"] is None
    entries = web.client.get(group.url("/timeline")).json()[-4:]
    assert [e["summary"] for e in entries] == [
        "Stafettpinnen tilbudt",
        "Tilbudet om stafettpinnen avslått",
        "Stafettpinnen tilbudt",
        "Tilbudet om stafettpinnen trukket tilbake",
    ]
    assert [e["subject"]["name"] for e in entries] == ["Per Testesen"] * 4  # whom each is about
    assert len({e["subject"]["person_id"] for e in entries}) == 1


def test_no_one_else_accepts_or_declines_an_offer(web: Web, group: Group) -> None:
    pia = web.create_user("pia")
    web.create_user("ute")
    log_in(web, "kari")
    added = send(
        web,
        "POST",
        group.url("/participants"),
        {"person": {"person_id": str(pia)}, "role": "provider", "rights": rights()},
    )
    assert added.status_code == 201, added.text
    offer_to_per(web, group)
    version = web.plans.get_plan(UUID(group.plan_id)).version
    for who, status in (("kari", 403), ("anne", 403), ("pia", 409), ("ute", 404)):
        log_in(web, who)
        accepted = send(web, "POST", group.url("/coordinator/offer/acceptance"))
        assert accepted.status_code == status, (who, accepted.text)
        if who != "kari":  # who withdraws it
            declined = send(web, "DELETE", group.url("/coordinator/offer"))
            assert declined.status_code == status, (who, declined.text)
    assert web.plans.get_plan(UUID(group.plan_id)).version == version
    assert coordinator_of(web, group) == group.coordinator


def test_an_offer_goes_only_to_a_provider_one_at_a_time(web: Web, group: Group) -> None:
    log_in(web, "kari")
    url = group.url("/coordinator/offer")
    to_relative = send(web, "POST", url, {"participant_id": group.relative})
    assert to_relative.status_code == 409, to_relative.text
    assert send(web, "POST", url, {"participant_id": group.provider}).status_code == 200
    again = send(web, "POST", url, {"participant_id": group.provider})
    assert again.status_code == 409, again.text


def test_the_documented_direct_handover_still_passes_the_baton_at_once(
    web: Web, group: Group
) -> None:
    """api.md's `POST …/coordinator {"participant_id"}`, unchanged: for a handover agreed
    outside the service; a pending offer ends with it."""
    offer_to_per(web, group)
    handed = send(web, "POST", group.url("/coordinator"), {"participant_id": group.provider})
    assert handed.status_code == 200, handed.text
    assert coordinator_of(web, group) == group.provider
    assert web.client.get(group.url()).json()["baton_offered_to"] is None


def test_accepting_the_baton_needs_a_recent_code_and_offering_does_not(
    web: Web, group: Group
) -> None:
    log_in(web, "kari")
    web.clock.advance(STALE)
    offered = send(web, "POST", group.url("/coordinator/offer"), {"participant_id": group.provider})
    assert offered.status_code == 200, offered.text
    log_in(web, "per")
    web.clock.advance(STALE)
    refused = send(web, "POST", group.url("/coordinator/offer/acceptance"))
    assert refused.status_code == 401, refused.text
    assert refused.json()["step_up_required"] is True
    assert coordinator_of(web, group) == group.coordinator
    web.step_up()
    accepted = send(web, "POST", group.url("/coordinator/offer/acceptance"), {})
    assert accepted.status_code == 200, accepted.text
    assert coordinator_of(web, group) == group.provider
