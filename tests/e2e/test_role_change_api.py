"""A participant's role changed over HTTP (decision 0054), on every store: the plan, its
list (the projection) and the timeline follow, and what the rules refuse stores nothing."""

from datetime import timedelta
from uuid import UUID

from stafett.aggregates.values import Role
from tests.e2e.conftest import Web
from tests.e2e.test_plan_api import Group, group, log_in, version_of

__all__ = ["group"]  # the fixture, used by name


def role_of(web: Web, g: Group, participant_id: str) -> Role:
    plan = web.plans.get_plan(UUID(g.plan_id))
    [found] = [p.role for p in plan.participants if str(p.participant_id) == participant_id]
    return found


def listed(web: Web, username: str) -> list[str]:
    log_in(web, username)
    return [row["id"] for row in web.client.get("/api/v1/plans").json()]


def test_a_relative_made_provider_and_a_provider_made_relative_after_consent_expired(
    web: Web, group: Group
) -> None:
    web.clock.advance(timedelta(days=220))  # past the consent's 2026-09-30
    assert listed(web, "anne") == [group.plan_id]  # a relative keeps the plan
    assert listed(web, "per") == []  # a provider needs valid consent
    headers = log_in(web, "kari")
    version = version_of(web, group.plan_id)
    for participant_id, role in ((group.relative, "provider"), (group.provider, "relative")):
        changed = web.client.patch(
            group.url(f"/participants/{participant_id}"), json={"role": role}, headers=headers
        )
        assert changed.status_code == 200, changed.text
    assert version_of(web, group.plan_id) == version + 2
    assert role_of(web, group, group.relative) is Role.PROVIDER
    assert role_of(web, group, group.provider) is Role.RELATIVE
    summaries = [e["summary"] for e in web.client.get(group.url("/timeline")).json()]
    assert "Deltakerens rolle endret til tjenesteyter" in summaries
    assert "Deltakerens rolle endret til pårørende" in summaries
    # the list and the plan follow the roles: now per keeps it, anne needs the consent
    assert listed(web, "anne") == []
    assert web.client.get(group.url()).status_code == 403
    assert listed(web, "per") == [group.plan_id]
    assert web.client.get(group.url()).status_code == 200


def test_the_owner_and_the_coordinator_keep_their_roles_and_nothing_is_stored(
    web: Web, group: Group
) -> None:
    owner = next(
        str(p.participant_id)
        for p in web.plans.get_plan(UUID(group.plan_id)).participants
        if p.role is Role.OWNER
    )
    version = version_of(web, group.plan_id)
    for participant_id in (owner, group.coordinator):
        refused = web.client.patch(
            group.url(f"/participants/{participant_id}"),
            json={"role": "relative", "responsibility": "Lagres ikke"},
            headers=group.headers,
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["field"] == "role"
    assert version_of(web, group.plan_id) == version


def test_a_role_that_is_not_relative_or_provider_is_refused_naming_it(
    web: Web, group: Group
) -> None:
    for role in ("owner", "coordinator", "auditor", ""):
        refused = web.client.patch(
            group.url(f"/participants/{group.relative}"), json={"role": role}, headers=group.headers
        )
        assert refused.status_code == 422, refused.text
        assert "role" in refused.text
    assert role_of(web, group, group.relative) is Role.RELATIVE


def test_only_the_coordinator_changes_a_role(web: Web, group: Group) -> None:
    headers = log_in(web, "per")
    refused = web.client.patch(
        group.url(f"/participants/{group.relative}"), json={"role": "provider"}, headers=headers
    )
    assert refused.status_code == 403, refused.text
    assert role_of(web, group, group.relative) is Role.RELATIVE
