"""`Idempotency-Key` on API POSTs (decision 0028), on every store: a retry gets the first
answer and writes nothing; the same key for another request is refused; keys are the
person's own; a bad key is refused at the edge; the answer is kept in the events'
transaction; keys expire."""

from typing import Any
from uuid import UUID, uuid4

import pytest
from litestar.openapi.spec import Parameter

from stafett.aggregates.plan_events import GoalSet
from stafett.persistence.idempotency import LIFETIME, Answer, Kept
from stafett.web.app import create_app
from tests.e2e.conftest import Web
from tests.e2e.test_plan_api import PLANS, Group, group, log_in, plan_body

__all__ = ["group"]  # the fixture, used here by name

KEY = "Idempotency-Key"


def goals_titled(web: Web, plan_id: str, title: str) -> int:
    events = web.plans.events.get(UUID(plan_id))
    return sum(1 for e in events if isinstance(e, GoalSet) and e.title == title)


def test_a_retry_with_the_same_key_gets_the_first_answer_and_writes_nothing(
    web: Web, group: Group
) -> None:
    key = {KEY: str(uuid4())}
    first = web.client.post(
        group.url("/goals"), json={"title": "Lese"}, headers=group.headers | key
    )
    assert first.status_code == 201, first.text
    version = web.plans.get_plan(UUID(group.plan_id)).version

    again = web.client.post(
        group.url("/goals"), json={"title": "Lese"}, headers=group.headers | key
    )

    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert web.plans.get_plan(UUID(group.plan_id)).version == version
    assert goals_titled(web, group.plan_id, "Lese") == 1
    # Without a key the same body is a new request, as before.
    plain = web.client.post(group.url("/goals"), json={"title": "Lese"}, headers=group.headers)
    assert plain.status_code == 201
    assert goals_titled(web, group.plan_id, "Lese") == 2


def test_a_new_plan_is_made_once_per_key(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari") | {KEY: "plan-key-0001"}
    first = web.client.post(PLANS, json=plan_body(), headers=headers)
    again = web.client.post(PLANS, json=plan_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(web.plans.plan_ids()) == 1


def test_the_same_key_for_another_request_is_refused_and_changes_nothing(
    web: Web, group: Group
) -> None:
    key = {KEY: "key-for-one-goal"}
    first = web.client.post(group.url("/goals"), json={"title": "Én"}, headers=group.headers | key)
    assert first.status_code == 201
    version = web.plans.get_plan(UUID(group.plan_id)).version

    other_body = web.client.post(
        group.url("/goals"), json={"title": "To"}, headers=group.headers | key
    )
    other_route = web.client.post(
        group.url("/activities"),
        json={"title": "To", "responsible_participant_id": group.coordinator},
        headers=group.headers | key,
    )

    for refused in (other_body, other_route):
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["field"] == KEY
    assert web.plans.get_plan(UUID(group.plan_id)).version == version


def test_keys_are_each_persons_own(web: Web, group: Group) -> None:
    key = {KEY: "shared-key-123"}
    kari = web.client.post(group.url("/goals"), json={"title": "Kari"}, headers=group.headers | key)
    assert kari.status_code == 201
    per = log_in(web, "per")  # the provider, with the right to write goals
    same = web.client.post(group.url("/goals"), json={"title": "Kari"}, headers=per | key)
    assert same.status_code == 201
    assert same.json() != kari.json()
    assert "idempotent-replayed" not in same.headers
    assert goals_titled(web, group.plan_id, "Kari") == 2


@pytest.mark.parametrize("bad", ["short", "x" * 65, "has space in it", "æøå-æøå-æøå"])
def test_a_key_of_the_wrong_form_is_refused_at_the_edge(web: Web, group: Group, bad: str) -> None:
    version = web.plans.get_plan(UUID(group.plan_id)).version
    answer = web.client.post(
        group.url("/goals"),
        json={"title": "Nei"},
        # bytes, which httpx sends as they are
        headers={k.encode(): v.encode() for k, v in group.headers.items()}
        | {b"idempotency-key": bad.encode()},
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert web.plans.get_plan(UUID(group.plan_id)).version == version


def test_the_answer_is_kept_in_the_events_transaction(web: Web, group: Group) -> None:
    """A key already kept (as by a request that raced this one) makes the whole save
    fail: no event without its answer, and the caller is told to try again (409)."""
    keys = web.plans.idempotency
    assert keys is not None
    version = web.plans.get_plan(UUID(group.plan_id)).version
    person = web.accounts.authenticate(web.client.cookies["__Host-sid"])
    assert person is not None
    real_find = keys.find
    keys.find = lambda scope, key: None  # type: ignore[method-assign]  # the race: both looked
    try:
        keys.keep(person.person_id, "raced-key-0001", Kept("other", Answer(201, "x", b"{}")))
        answer = web.client.post(
            group.url("/goals"),
            json={"title": "Kappløp"},
            headers=group.headers | {KEY: "raced-key-0001"},
        )
    finally:
        keys.find = real_find  # type: ignore[method-assign]
    assert answer.status_code == 409, answer.text
    assert web.plans.get_plan(UUID(group.plan_id)).version == version
    assert goals_titled(web, group.plan_id, "Kappløp") == 0


def test_a_kept_answer_expires(web: Web, group: Group) -> None:
    keys = web.plans.idempotency
    assert keys is not None
    key = {KEY: "expiring-key-1"}
    first = web.client.post(group.url("/goals"), json={"title": "Gml"}, headers=group.headers | key)
    assert first.status_code == 201
    real_clock = keys.clock
    keys.clock = lambda: real_clock() + LIFETIME.total_seconds() + 60
    try:
        later = web.client.post(
            group.url("/goals"), json={"title": "Gml"}, headers=group.headers | key
        )
    finally:
        keys.clock = real_clock
    assert later.status_code == 201
    assert "idempotent-replayed" not in later.headers
    assert goals_titled(web, group.plan_id, "Gml") == 2


def test_the_schema_documents_the_key_where_answers_are_kept_and_nowhere_else() -> None:
    """Plan commands and body-less answers keep theirs; a TOTP enrolment (a secret), a
    sealed record's or an account's answer are never stored, so no key is offered."""
    unused: Any = None
    schema = create_app(unused, unused, access_log=unused, secret_key="k" * 40).openapi_schema
    documented: list[str] = []
    for path, item in (schema.paths or {}).items():
        for operation in (item.get, item.put, item.patch, item.delete, item.post):
            names = {getattr(p, "name", None) for p in (operation and operation.parameters) or ()}
            if operation is None or KEY not in names:
                continue
            assert operation is item.post, path
            documented.append(path)
            header = next(p for p in operation.parameters or () if getattr(p, "name", "") == KEY)
            assert isinstance(header, Parameter)
            assert header.schema is not None
            assert getattr(header.schema, "pattern", None) == "^[A-Za-z0-9_.:-]{8,64}$"
            assert "409" in (operation.responses or {}), path  # a key used for another request
    for kept in ("/api/v1/plans", "/api/v1/plans/{plan_id}/goals", "/api/v1/me/mobile/confirm"):
        assert kept in documented
    for never in ("/api/v1/me/totp", "/api/v1/session", "/api/v1/plans/{plan_id}/archives"):
        assert never not in documented


def test_a_route_without_an_answer_body_keeps_its_204(web: Web) -> None:
    """Not a plan command: the answer is kept before it is sent (`KeptAnswerMiddleware`), so a
    retry with the key sends no second code."""
    web.create_user("mia", mobile_confirmed=False)
    headers = log_in(web, "mia") | {KEY: "mobile-code-01"}
    sent = len(web.messages())
    first = web.client.post("/api/v1/me/mobile/code", headers=headers)
    again = web.client.post("/api/v1/me/mobile/code", headers=headers)
    assert first.status_code == again.status_code == 204, first.text
    assert again.headers["idempotent-replayed"] == "true"
    assert len(web.messages()) == sent + 1
    plain = web.client.post("/api/v1/me/mobile/code", headers=headers | {KEY: "mobile-code-02"})
    assert plain.status_code == 204
    assert len(web.messages()) == sent + 2
