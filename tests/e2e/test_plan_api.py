"""Writes to plans over HTTP (api.md: Plans and Conventions), on every store."""

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from stafett.aggregates.values import ActivityStatus, ConsentStatus, GoalStatus, PlanStatus
from tests.e2e.conftest import Web

PLANS = "/api/v1/plans"
NEW_PERSON = {"first_name": "Nyperson", "last_name": "Testesen"}
CONSENT = {
    "given_by": "Mor og far",
    "given_on": "2026-03-01",
    "expires_on": "2026-09-30",
    "scope": "Full deling i plangruppen",
}


def plan_body(**changes: Any) -> dict[str, Any]:
    body = {
        "type": "SL",
        "short_name": "Ola 2026",
        "start_date": "2026-03-02",
        "owner": {"first_name": "Ola", "last_name": "Planeier", "birth_date": "2015-05-01"},
        "consent": CONSENT,
    }
    return body | changes


def rights(**changes: Any) -> dict[str, Any]:
    every = {"goals": "write", "activities": "write", "minutes": "write", "messages": "write"}
    return every | {"print": True, "edit_person": False} | changes


def log_in(web: Web, username: str) -> dict[str, str]:
    """Log in as `username` (replacing any session) and return the CSRF header."""
    web.login(username)
    return web.csrf_headers()


def version_of(web: Web, plan_id: str) -> int:
    return web.plans.get_plan(UUID(plan_id)).version


def fields_named(response: httpx.Response) -> set[str]:
    """The fields a 422 names: one from a rule of the plan, any number from parsing."""
    problem = response.json()
    named = {e["field"] for e in problem.get("errors", [])}
    return named | ({problem["field"]} if "field" in problem else set())


@dataclass
class Group:
    """A plan made by kari (coordinator) with anne (relative, no goals) and per (provider)."""

    plan_id: str
    coordinator: str
    relative: str
    provider: str
    headers: dict[str, str]

    def url(self, suffix: str = "") -> str:
        return f"{PLANS}/{self.plan_id}{suffix}"


@pytest.fixture
def group(web: Web) -> Group:
    web.create_user("kari", coordinator=True)
    anne = web.create_user("anne")
    per = web.create_user("per")
    headers = log_in(web, "kari")
    created = web.client.post(PLANS, json=plan_body(), headers=headers)
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    relative = web.client.post(
        f"{PLANS}/{plan_id}/participants",
        json={
            "person": {"person_id": str(anne)},
            "role": "relative",
            "responsibility": "Mor",
            "rights": rights(goals="none"),
        },
        headers=headers,
    )
    provider = web.client.post(
        f"{PLANS}/{plan_id}/participants",
        json={"person": {"person_id": str(per)}, "role": "provider", "rights": rights()},
        headers=headers,
    )
    assert relative.status_code == provider.status_code == 201, relative.text + provider.text
    coordinator = web.plans.get_plan(UUID(plan_id)).coordinator_participant_id
    return Group(
        plan_id=plan_id,
        coordinator=str(coordinator),
        relative=relative.json()["participant_id"],
        provider=provider.json()["participant_id"],
        headers=headers,
    )


def test_a_plan_lives_from_creation_through_the_baton_to_closing(web: Web) -> None:
    kari = web.create_user("kari", coordinator=True)
    anne = web.create_user("anne")
    per = web.create_user("per")
    client = web.client
    headers = log_in(web, "kari")

    created = client.post(PLANS, json=plan_body(), headers=headers)
    assert created.status_code == 201
    plan_id = created.json()["id"]
    assert created.json() == {"id": plan_id, "version": 1}
    plan = web.plans.get_plan(UUID(plan_id))
    assert web.plans.get_person(plan.owner_person_id).full_name == "Ola Planeier"
    coordinator = next(p for p in plan.participants if p.person_id == kari)
    assert coordinator.participant_id == plan.coordinator_participant_id

    def write(
        method: str, suffix: str, body: dict[str, Any] | None = None, *, then: int = 0
    ) -> dict[str, Any]:
        """One write, one version; `then` more by the system after it (a close's seal)."""
        before = version_of(web, plan_id)
        response = client.request(method, f"{PLANS}/{plan_id}{suffix}", json=body, headers=headers)
        assert response.status_code in (200, 201), response.text
        answer: dict[str, Any] = response.json()
        assert answer["version"] == before + 1 == version_of(web, plan_id) - then
        return answer

    relative = write(
        "POST",
        "/participants",
        {
            "person": {"person_id": str(anne)},
            "role": "relative",
            "responsibility": "Mor",
            "rights": rights(goals="none"),
        },
    )["participant_id"]
    provider = write(
        "POST",
        "/participants",
        {
            "person": {"person_id": str(per)},
            "role": "provider",
            "responsibility": "Kontaktlærer",
            "rights": rights(edit_person=True),
        },
    )["participant_id"]
    goal = write("POST", "/goals", {"title": "Ola leser med glede", "due_on": "2026-06-20"})[
        "goal_id"
    ]

    headers = log_in(web, "per")
    activity = write(
        "POST",
        "/activities",
        {
            "title": "Lesestund hver dag",
            "description": "Tjue minutter etter skolen",
            "responsible_participant_id": provider,
            "due_on": "2026-05-01",
            "goal_id": goal,
        },
    )["activity_id"]
    minutes = write(
        "POST",
        "/minutes",
        {
            "met_on": "2026-03-02",
            "attendee_ids": [str(coordinator.participant_id), provider],
            "notes": "Vi ble enige om lesestunder.",
            "decisions": "Per følger opp.",
        },
    )["minutes_id"]
    comment = write("POST", "/comments", {"on": {"kind": "goal", "id": goal}, "text": "Godt mål!"})[
        "comment_id"
    ]
    message = write(
        "POST", "/messages", {"to": "all", "subject": "Møte", "body": "Vi ses på tirsdag."}
    )["message_id"]
    entry = write(
        "POST",
        "/calendar",
        {
            "title": "Oppfølgingsmøte",
            "starts_at": "2026-03-10T10:00:00+01:00",
            "ends_at": "2026-03-10T11:00:00+01:00",
            "location": "Skolen",
        },
    )["entry_id"]

    plan = web.plans.get_plan(UUID(plan_id))
    assert [str(g.goal_id) for g in plan.goals] == [goal]
    assert [(str(a.activity_id), str(a.goal_id)) for a in plan.activities] == [(activity, goal)]
    assert [str(m.minutes_id) for m in plan.minutes] == [minutes]
    assert [(str(c.comment_id), str(c.on_id)) for c in plan.comments] == [(comment, goal)]
    assert [str(m.message_id) for m in plan.messages] == [message]
    everyone_else = {str(p.participant_id) for p in plan.participants} - {provider}
    assert {str(r) for r in plan.messages[0].recipient_ids} == everyone_else
    assert [str(c.entry_id) for c in plan.calendar] == [entry]
    assert plan.calendar[0].starts_at.utcoffset() is not None

    headers = log_in(web, "kari")
    renewed = CONSENT | {"given_on": "2026-03-02", "expires_on": "2027-03-01", "scope": "Skolen"}
    write("PUT", "/consent", renewed)
    assert web.plans.get_plan(UUID(plan_id)).consent.scope == "Skolen"
    write("DELETE", "/consent")
    assert web.plans.get_plan(UUID(plan_id)).consent.status is ConsentStatus.RESET
    write("POST", "/coordinator", {"participant_id": provider})
    assert str(web.plans.get_plan(UUID(plan_id)).coordinator_participant_id) == provider

    headers = log_in(web, "per")
    write("POST", "/close", {"ended_on": "2026-06-20", "reason": "Målene er nådd"}, then=1)
    closed = web.plans.get_plan(UUID(plan_id))
    assert closed.status is PlanStatus.CLOSED
    assert len(closed.archives) == 1  # closing sealed it: the Archived event is the `then`
    assert closed.closed_reason == "Målene er nådd"

    late = client.post(f"{PLANS}/{plan_id}/goals", json={"title": "Etterpå"}, headers=headers)
    assert late.status_code == 409
    assert late.headers["content-type"].startswith("application/problem+json")
    assert version_of(web, plan_id) == closed.version
    in_group = {str(p.participant_id): p for p in closed.participants}
    assert in_group[relative].rights.goals.value == "none"
    assert in_group[relative].responsibility == "Mor"


def test_the_coordinator_changes_rights_and_responsibility_and_removes_a_participant(
    web: Web, group: Group
) -> None:
    version = version_of(web, group.plan_id)
    both = web.client.patch(
        group.url(f"/participants/{group.relative}"),
        json={"responsibility": "Mor og verge", "rights": rights(goals="read", print=False)},
        headers=group.headers,
    )
    assert both.status_code == 200
    assert both.json() == {"version": version + 2}  # one change each
    relative = next(
        p
        for p in web.plans.get_plan(UUID(group.plan_id)).participants
        if str(p.participant_id) == group.relative
    )
    assert relative.responsibility == "Mor og verge"
    assert relative.rights.goals.value == "read"
    assert relative.rights.print is False

    only_text = web.client.patch(
        group.url(f"/participants/{group.relative}"),
        json={"responsibility": "Mor"},
        headers=group.headers,
    )
    assert only_text.json() == {"version": version + 3}

    removed = web.client.delete(group.url(f"/participants/{group.relative}"), headers=group.headers)
    assert removed.status_code == 200
    assert removed.json() == {"version": version + 4}
    plan = web.plans.get_plan(UUID(group.plan_id))
    assert [p.active for p in plan.participants if str(p.participant_id) == group.relative] == [
        False
    ]


def test_goals_and_activities_change_only_the_fields_given_and_complete_through_their_command(
    web: Web, group: Group
) -> None:
    goal = web.client.post(
        group.url("/goals"),
        json={"title": "Ola leser", "description": "Hver dag", "due_on": "2026-06-01"},
        headers=group.headers,
    ).json()["goal_id"]
    revised = web.client.patch(
        group.url(f"/goals/{goal}"), json={"title": "Ola leser med glede"}, headers=group.headers
    )
    assert revised.status_code == 200
    evaluated = web.client.post(
        group.url(f"/goals/{goal}/evaluations"),
        json={"status": "partly_achieved", "text": "God fremgang"},
        headers=group.headers,
    )
    assert evaluated.status_code == 200
    assert evaluated.json() == {"version": revised.json()["version"] + 1}
    [stored_goal] = web.plans.get_plan(UUID(group.plan_id)).goals
    assert (stored_goal.title, stored_goal.description) == ("Ola leser med glede", "Hver dag")
    assert stored_goal.due_on is not None
    assert stored_goal.status is GoalStatus.PARTLY_ACHIEVED

    cleared = web.client.patch(
        group.url(f"/goals/{goal}"), json={"due_on": None}, headers=group.headers
    )
    assert cleared.status_code == 200
    assert web.plans.get_plan(UUID(group.plan_id)).goals[0].due_on is None

    activity = web.client.post(
        group.url("/activities"),
        json={"title": "Lesestund", "responsible_participant_id": group.provider},
        headers=group.headers,
    ).json()["activity_id"]
    started = web.client.patch(
        group.url(f"/activities/{activity}"),
        json={"status": "in_progress", "goal_id": goal},
        headers=group.headers,
    )
    assert started.status_code == 200
    completed = web.client.patch(
        group.url(f"/activities/{activity}"),
        json={"status": "completed", "description": "Ferdig i mai"},
        headers=group.headers,
    )
    assert completed.status_code == 200
    assert completed.json() == {"version": started.json()["version"] + 2}
    [stored] = web.plans.get_plan(UUID(group.plan_id)).activities
    assert stored.status is ActivityStatus.COMPLETED
    assert stored.completed_on is not None
    assert (stored.title, stored.description, str(stored.goal_id)) == (
        "Lesestund",
        "Ferdig i mai",
        goal,
    )


def test_a_closed_plan_can_be_reopened_by_its_coordinator(web: Web, group: Group) -> None:
    closed = web.client.post(
        group.url("/close"), json={"ended_on": "2026-03-02"}, headers=group.headers
    )
    assert closed.status_code == 200
    reopened = web.client.post(group.url("/reopen"), headers=group.headers)
    assert reopened.status_code == 200
    # The close's seal took the version after it (its Archived event).
    assert reopened.json() == {"version": closed.json()["version"] + 2}
    assert web.plans.get_plan(UUID(group.plan_id)).status is PlanStatus.OPEN


def test_a_reopening_may_say_why_and_the_timeline_tells_it(web: Web, group: Group) -> None:
    def close() -> None:
        closed = web.client.post(
            group.url("/close"), json={"ended_on": "2026-03-02"}, headers=group.headers
        )
        assert closed.status_code == 200, closed.text

    def last_reopening() -> dict[str, Any]:
        timeline = web.client.get(group.url("/timeline"), headers=group.headers)
        assert timeline.status_code == 200, timeline.text
        entry: dict[str, Any] = [e for e in timeline.json() if e["type"] == "Reopened"][-1]
        return entry

    close()
    bare = web.client.post(group.url("/reopen"), headers=group.headers)  # no body at all
    assert bare.status_code == 200, bare.text
    assert last_reopening()["summary"] == "Plan gjenåpnet"

    close()
    too_long = web.client.post(
        group.url("/reopen"), json={"reason": "x" * 10_001}, headers=group.headers
    )
    assert too_long.status_code == 422
    assert fields_named(too_long) == {"reason"}
    said = web.client.post(
        group.url("/reopen"), json={"reason": " Ny henvisning fra skolen "}, headers=group.headers
    )
    assert said.status_code == 200, said.text
    assert last_reopening()["summary"] == "Plan gjenåpnet: Ny henvisning fra skolen"
    assert web.plans.get_plan(UUID(group.plan_id)).status is PlanStatus.OPEN


def test_a_participant_can_be_added_as_a_new_person_from_their_details(
    web: Web, group: Group
) -> None:
    added = web.client.post(
        group.url("/participants"),
        json={
            "person": {
                "first_name": "Siri",
                "last_name": "Helsesøster",
                "workplace": "Helsestasjonen",
                "position": "Helsesykepleier",
                "email": "siri@example.no",
                "mobile": "912 34 567",
            },
            "role": "provider",
            "responsibility": "Helse",
            "rights": rights(messages="read"),
        },
        headers=group.headers,
    )
    assert added.status_code == 201
    participant = next(
        p
        for p in web.plans.get_plan(UUID(group.plan_id)).participants
        if str(p.participant_id) == added.json()["participant_id"]
    )
    person = web.plans.get_person(participant.person_id)
    assert person.details.workplace == "Helsestasjonen"
    assert person.details.mobile == "+4791234567"


def test_a_relative_without_goal_rights_may_not_set_a_goal(web: Web, group: Group) -> None:
    version = version_of(web, group.plan_id)
    headers = log_in(web, "anne")
    response = web.client.post(group.url("/goals"), json={"title": "Mitt mål"}, headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert version_of(web, group.plan_id) == version


def test_only_coordinator_accounts_create_plans(web: Web) -> None:
    web.create_user("anne")
    headers = log_in(web, "anne")
    response = web.client.post(PLANS, json=plan_body(), headers=headers)
    assert response.status_code == 403
    assert web.plans.plan_ids() == []


def stranger_routes(
    group: Group, person: UUID, goal: str, activity: str
) -> list[tuple[str, str, Any]]:
    """Every write route under a plan, with a body that passes parsing."""
    return [
        ("POST", "/participants", {"person": {"person_id": str(person)}, "role": "relative"}),
        ("PATCH", f"/participants/{group.relative}", {"responsibility": "Ingen"}),
        ("DELETE", f"/participants/{group.relative}", None),
        ("POST", "/coordinator", {"participant_id": group.provider}),
        ("PUT", "/consent", CONSENT),
        ("DELETE", "/consent", None),
        ("POST", "/goals", {"title": "Et mål"}),
        ("PATCH", f"/goals/{goal}", {"title": "Et annet mål"}),
        ("POST", f"/goals/{goal}/evaluations", {"status": "achieved", "text": "Nådd"}),
        ("POST", "/activities", {"title": "Noe", "responsible_participant_id": group.provider}),
        ("PATCH", f"/activities/{activity}", {"status": "completed"}),
        ("POST", "/minutes", {"met_on": "2026-03-02", "attendee_ids": [], "notes": "Møte"}),
        ("POST", "/comments", {"on": {"kind": "goal", "id": goal}, "text": "Hei"}),
        ("POST", "/messages", {"to": "all", "subject": "Hei", "body": "Hei alle"}),
        (
            "POST",
            "/calendar",
            {
                "title": "Møte",
                "starts_at": "2026-03-10T10:00:00+01:00",
                "ends_at": "2026-03-10T11:00:00+01:00",
            },
        ),
        ("POST", "/close", {"ended_on": "2026-03-02"}),
        ("POST", "/reopen", None),
    ]


def test_a_stranger_gets_the_answer_for_a_plan_that_does_not_exist_on_every_route(
    web: Web, group: Group
) -> None:
    goal = web.client.post(group.url("/goals"), json={"title": "Mål"}, headers=group.headers)
    activity = web.client.post(
        group.url("/activities"),
        json={"title": "Aktivitet", "responsible_participant_id": group.provider},
        headers=group.headers,
    )
    version = version_of(web, group.plan_id)
    stranger = web.create_user("fremmed", coordinator=True)
    headers = log_in(web, "fremmed")
    routes = stranger_routes(
        group, stranger, goal.json()["goal_id"], activity.json()["activity_id"]
    )
    for method, suffix, body in routes:
        for if_match in (None, f'"{version}"', '"1"'):
            sent = headers | ({"If-Match": if_match} if if_match else {})
            real = web.client.request(method, group.url(suffix), json=body, headers=sent)
            missing = web.client.request(
                method, f"{PLANS}/{uuid4()}{suffix}", json=body, headers=sent
            )
            assert real.status_code == missing.status_code == 404, (method, suffix, real.text)
            assert real.json() == missing.json(), (method, suffix, if_match)
    assert version_of(web, group.plan_id) == version


def test_a_stale_version_is_a_conflict_and_nothing_is_written(web: Web, group: Group) -> None:
    goal = web.client.post(group.url("/goals"), json={"title": "Mål"}, headers=group.headers)
    version = goal.json()["version"]
    stale = {"If-Match": f'"{version - 1}"'}
    attempts = [
        ("POST", "/goals", {"title": "Nytt mål"}, stale),
        ("POST", "/goals", {"title": "Nytt mål", "expected_version": version - 1}, {}),
        ("PATCH", f"/goals/{goal.json()['goal_id']}", {"title": "Endret"}, stale),
        ("PATCH", f"/participants/{group.relative}", {"responsibility": "Far"}, stale),
        ("DELETE", f"/participants/{group.relative}", None, {"If-Match": f"{version + 5}"}),
        ("POST", "/participants", {"person": NEW_PERSON, "role": "provider"}, stale),
    ]
    for method, suffix, body, headers in attempts:
        response = web.client.request(
            method, group.url(suffix), json=body, headers=group.headers | headers
        )
        assert response.status_code == 409, (method, suffix, response.text)
        assert f"the plan is at version {version}" in response.json()["detail"]
    plan = web.plans.get_plan(UUID(group.plan_id))
    assert plan.version == version
    assert [g.title for g in plan.goals] == ["Mål"]
    assert web.plans.find_persons("Nyperson") == []


@pytest.mark.parametrize("if_match", ['"{}"', "{}"])
def test_the_current_version_is_accepted_quoted_or_bare(
    web: Web, group: Group, if_match: str
) -> None:
    version = version_of(web, group.plan_id)
    response = web.client.post(
        group.url("/goals"),
        json={"title": "Mål", "expected_version": version},
        headers=group.headers | {"If-Match": if_match.format(version)},
    )
    assert response.status_code == 201
    assert response.json()["version"] == version + 1


@pytest.mark.parametrize(
    ("if_match", "in_body", "field"),
    [
        ('W/"3"', None, "If-Match"),
        ("*", None, "If-Match"),
        ('"tre"', None, "If-Match"),
        (None, 0, "expected_version"),
    ],
)
def test_a_version_that_is_not_a_version_is_refused_naming_it(
    web: Web, group: Group, if_match: str | None, in_body: int | None, field: str
) -> None:
    version = version_of(web, group.plan_id)
    body: dict[str, Any] = {"title": "Mål"}
    if in_body is not None:
        body["expected_version"] = in_body
    headers = group.headers | ({"If-Match": if_match} if if_match else {})
    response = web.client.post(group.url("/goals"), json=body, headers=headers)
    assert response.status_code == 422
    assert fields_named(response) == {field}
    assert version_of(web, group.plan_id) == version


def test_if_match_and_expected_version_that_disagree_are_a_conflict(web: Web, group: Group) -> None:
    """One of the two is not the plan's version, so the write is stale either way (0023)."""
    version = version_of(web, group.plan_id)
    headers = group.headers | {"If-Match": f'"{version}"'}
    body = {"title": "Mål", "expected_version": version + 1}
    response = web.client.post(group.url("/goals"), json=body, headers=headers)
    assert response.status_code == 409, response.text
    assert response.json()["detail"] == (
        f"If-Match says version {version}, expected_version {version + 1}"
    )
    assert version_of(web, group.plan_id) == version


BAD_BODIES: list[tuple[str, str, str, Any, str]] = [
    ("wrong type", "POST", "/goals", {"title": 7}, "title"),
    ("a name one character too long", "POST", "/goals", {"title": "x" * 201}, "title"),
    (
        "free text one character too long",
        "POST",
        "/goals",
        {"title": "Mål", "description": "x" * 10_001},
        "description",
    ),
    (
        "a date that is not ISO",
        "POST",
        "/goals",
        {"title": "Mål", "due_on": "20.06.2026"},
        "due_on",
    ),
    ("an empty name", "POST", "/goals", {"title": ""}, "title"),
    (
        "an invalid e-mail address",
        "POST",
        "/participants",
        {"person": NEW_PERSON | {"email": "ikke-en-adresse"}, "role": "provider"},
        "email",
    ),
    (
        "an invalid mobile number",
        "POST",
        "/participants",
        {"person": NEW_PERSON | {"mobile": "12 34"}, "role": "provider"},
        "mobile",
    ),
    (
        "a new person without a last name",
        "POST",
        "/participants",
        {"person": {"first_name": "Nyperson"}, "role": "provider"},
        "last_name",
    ),
    (
        "a person id together with new details",
        "POST",
        "/participants",
        {"person": {"person_id": str(uuid4()), "first_name": "Nyperson"}, "role": "provider"},
        "person",
    ),
    (
        "an unknown role",
        "POST",
        "/participants",
        {"person": NEW_PERSON, "role": "owner"},
        "role",
    ),
    (
        "consent that expires before it is given",
        "PUT",
        "/consent",
        CONSENT | {"given_on": "2026-03-02", "expires_on": "2026-03-01"},
        "expires_on",
    ),
    (
        "a calendar entry that ends before it starts",
        "POST",
        "/calendar",
        {
            "title": "Møte",
            "starts_at": "2026-03-10T11:00:00+01:00",
            "ends_at": "2026-03-10T10:00:00+01:00",
        },
        "ends_at",
    ),
    (
        "an instant without an offset",
        "POST",
        "/calendar",
        {"title": "Møte", "starts_at": "2026-03-10T10:00:00", "ends_at": "2026-03-10T11:00:00Z"},
        "starts_at",
    ),
    ("a message to nobody", "POST", "/messages", {"to": [], "subject": "S", "body": "B"}, "to"),
    (
        "rights with a level that does not exist",
        "PATCH",
        "/participants/{relative}",
        {"rights": rights(goals="all")},
        "rights.goals",
    ),
    ("a change of nothing", "PATCH", "/participants/{relative}", {}, "body"),
    ("a goal change of nothing", "PATCH", "/goals/{goal}", {"expected_version": 5}, "body"),
    ("an activity change of nothing", "PATCH", "/activities/{activity}", {}, "body"),
]


@pytest.mark.parametrize("case", BAD_BODIES, ids=[case[0] for case in BAD_BODIES])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    web: Web, group: Group, case: tuple[str, str, str, Any, str]
) -> None:
    _, method, suffix, body, field = case
    goal = web.client.post(group.url("/goals"), json={"title": "Mål"}, headers=group.headers)
    activity = web.client.post(
        group.url("/activities"),
        json={"title": "Aktivitet", "responsible_participant_id": group.provider},
        headers=group.headers,
    )
    version = version_of(web, group.plan_id)
    url = group.url(
        suffix.format(
            relative=group.relative,
            goal=goal.json()["goal_id"],
            activity=activity.json()["activity_id"],
        )
    )
    response = web.client.request(method, url, json=body, headers=group.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert fields_named(response) == {field}
    assert "Traceback" not in response.text
    assert version_of(web, group.plan_id) == version
    assert web.plans.find_persons("Nyperson") == []


def test_an_unknown_field_is_refused_by_name(web: Web, group: Group) -> None:
    version = version_of(web, group.plan_id)
    response = web.client.post(
        group.url("/goals"), json={"title": "Mål", "colour": "red"}, headers=group.headers
    )
    assert response.status_code == 422
    assert "`colour`" in response.json()["errors"][0]["message"]
    nested = web.client.post(
        group.url("/comments"),
        json={"on": {"kind": "goal", "id": str(uuid4()), "page": 2}, "text": "Hei"},
        headers=group.headers,
    )
    assert nested.status_code == 422
    assert nested.json()["errors"] == [
        {"field": "on", "message": "Object contains unknown field `page`"}
    ]
    assert version_of(web, group.plan_id) == version


def test_malformed_json_is_bad_input_and_nothing_is_written(web: Web, group: Group) -> None:
    version = version_of(web, group.plan_id)
    response = web.client.post(
        group.url("/goals"),
        content='{"title": "Mål",'.encode(),
        headers=group.headers | {"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text
    assert version_of(web, group.plan_id) == version


def test_names_and_texts_at_their_limits_are_accepted(web: Web, group: Group) -> None:
    response = web.client.post(
        group.url("/goals"),
        json={"title": "x" * 200, "description": "y" * 10_000},
        headers=group.headers,
    )
    assert response.status_code == 201
    [goal] = web.plans.get_plan(UUID(group.plan_id)).goals
    assert (len(goal.title), len(goal.description)) == (200, 10_000)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"short_name": "x" * 201}, "short_name"),
        ({"type": "XX"}, "type"),
        ({"consent": CONSENT | {"expires_on": "2026-02-01"}}, "expires_on"),
        ({"owner": {"first_name": "Nyperson", "last_name": "T", "email": "nei"}}, "email"),
        ({"start_date": "2026-03-02", "end_date": "2026-03-01"}, "end_date"),
    ],
)
def test_a_plan_with_bad_input_is_not_created_and_its_new_owner_not_kept(
    web: Web, changes: dict[str, Any], field: str
) -> None:
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    owner = {"owner": {"first_name": "Nyperson", "last_name": "Eier"}}
    response = web.client.post(PLANS, json=plan_body(**owner) | changes, headers=headers)
    assert response.status_code == 422, response.text
    assert fields_named(response) == {field}
    assert web.plans.plan_ids() == []
    assert web.plans.find_persons("Nyperson") == []


def test_a_write_without_the_csrf_token_is_refused(web: Web, group: Group) -> None:
    version = version_of(web, group.plan_id)
    response = web.client.post(group.url("/goals"), json={"title": "Mål"})
    assert response.status_code == 403
    assert version_of(web, group.plan_id) == version
    assert web.client.post(PLANS, json=plan_body()).status_code == 403
    assert len(web.plans.plan_ids()) == 1


def test_writes_to_plans_need_a_login(web: Web, group: Group) -> None:
    web.client.delete("/api/v1/session", headers=group.headers)
    response = web.client.post(group.url("/goals"), json={"title": "Mål"}, headers=group.headers)
    assert response.status_code == 401
    assert web.plans.get_plan(UUID(group.plan_id)).goals == ()


def test_the_openapi_schema_describes_every_plan_write(web: Web) -> None:
    paths = web.client.get("/schema/openapi.json").json()["paths"]
    expected = {
        PLANS: {"post", "get"},  # get: the plan list (web/api/lists.py)
        f"{PLANS}/{{plan_id}}": {"get", "patch"},  # get: the permitted view (plan_view.py)
        f"{PLANS}/{{plan_id}}/participants": {"post"},
        f"{PLANS}/{{plan_id}}/participants/{{participant_id}}": {"patch", "delete"},
        f"{PLANS}/{{plan_id}}/coordinator": {"post"},
        f"{PLANS}/{{plan_id}}/coordinator/offer": {"post", "delete"},  # decision 0052
        f"{PLANS}/{{plan_id}}/coordinator/offer/acceptance": {"post"},
        f"{PLANS}/{{plan_id}}/consent": {"put", "delete"},
        f"{PLANS}/{{plan_id}}/goals": {"post"},
        f"{PLANS}/{{plan_id}}/goals/{{goal_id}}": {"patch"},
        f"{PLANS}/{{plan_id}}/goals/{{goal_id}}/evaluations": {"post"},
        f"{PLANS}/{{plan_id}}/activities": {"post"},
        f"{PLANS}/{{plan_id}}/activities/{{activity_id}}": {"patch"},
        f"{PLANS}/{{plan_id}}/minutes": {"post"},
        f"{PLANS}/{{plan_id}}/comments": {"post"},
        f"{PLANS}/{{plan_id}}/messages": {"post"},
        f"{PLANS}/{{plan_id}}/calendar": {"post"},
        f"{PLANS}/{{plan_id}}/close": {"post"},
        f"{PLANS}/{{plan_id}}/reopen": {"post"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
        if path == PLANS:
            continue  # a new plan has no version yet
        for method in methods - {"get"}:
            names = {p["name"] for p in paths[path][method].get("parameters", [])}
            assert "If-Match" in names, (path, method)


def test_the_coordinator_corrects_the_plans_details_and_everyone_sees_them(
    web: Web, group: Group
) -> None:
    """PATCH /api/v1/plans/{id} (decision 0051): only the fields given change, null clears
    a level, review or end date; no one-time code is needed; the view shows them."""
    version = version_of(web, group.plan_id)
    body = {"short_name": "Ola Nordmann", "level": 2, "review_on": "2026-09-01"}
    changed = web.client.patch(
        group.url(), json=body, headers=group.headers | {"If-Match": f'"{version}"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"version": version + 1}
    for who in ("anne", "per"):
        log_in(web, who)
        seen = web.client.get(group.url()).json()
        assert (seen["short_name"], seen["level"], seen["review_on"]) == (
            "Ola Nordmann",
            2,
            "2026-09-01",
        )
        assert seen["start_date"] == "2026-03-02"
    headers = log_in(web, "kari")
    cleared = web.client.patch(group.url(), json={"level": None}, headers=headers)
    assert cleared.status_code == 200, cleared.text
    view = web.plans.get_plan(UUID(group.plan_id))
    assert (view.short_name, view.level, view.review_on) == ("Ola Nordmann", None, date(2026, 9, 1))
    corrections = web.client.get(group.url("/timeline")).json()[-2:]  # what each corrected
    assert [e["details"] for e in corrections] == [["short_name", "level", "review_on"], ["level"]]
    assert [e["subject"] for e in corrections] == [None, None]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"short_name": "Ola 2026"}, "body"),  # as it already is
        ({"level": 4}, "level"),
        ({"end_date": "2026-03-01"}, "end_date"),
        ({"review_on": "2026-03-01"}, "review_on"),
    ],
)
def test_a_details_change_that_changes_nothing_or_breaks_a_rule_is_refused(
    web: Web, group: Group, body: dict[str, Any], field: str
) -> None:
    version = version_of(web, group.plan_id)
    refused = web.client.patch(group.url(), json=body, headers=group.headers)
    assert refused.status_code in (400, 422), refused.text
    assert field in fields_named(refused) or field == "body"
    assert version_of(web, group.plan_id) == version


def test_only_the_coordinator_corrects_the_details(web: Web, group: Group) -> None:
    headers = log_in(web, "per")
    refused = web.client.patch(group.url(), json={"level": 1}, headers=headers)
    assert refused.status_code == 403, refused.text
    assert web.plans.get_plan(UUID(group.plan_id)).level is None


def test_a_plan_is_created_with_a_level_and_a_review_date(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    body = plan_body(level=3, review_on="2026-06-01")
    created = web.client.post(PLANS, json=body, headers=headers)
    assert created.status_code == 201, created.text
    view = web.plans.get_plan(UUID(created.json()["id"]))
    assert (view.level, view.review_on) == (3, date(2026, 6, 1))
    refused = web.client.post(PLANS, json=plan_body(level=5), headers=headers)
    assert refused.status_code in (400, 422), refused.text
    assert "level" in fields_named(refused)
