"""Every body `shared/docs/api.md` documents is accepted as written (both stores).

api.md is the contract acceptance tests use: a documented body must keep working,
with only the fields it names. Each request below is such a body, in the order a
plan lives, and must answer 2xx. (Routes api.md lists for later work — participant
notifications — are not built yet and are not walked here.)
"""

from typing import Any

import httpx

from tests.e2e.conftest import PASSWORD, Web
from tests.e2e.test_plan_list_api import LIST_FIELDS

PLANS = "/api/v1/plans"


def ok(response: httpx.Response, *statuses: int) -> Any:
    """The decoded JSON body (an object, or a list where the API answers one); {} if none."""
    assert response.status_code in (statuses or (200, 201, 202, 204)), response.text
    if response.status_code == 204 or not response.content:
        return {}
    return response.json()


def test_the_login_bodies_of_api_md_are_accepted(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    client = web.client
    step = ok(client.post("/api/v1/session", json={"username": "kari", "password": PASSWORD}))
    assert step["next"] == "otp"
    step = ok(client.post("/api/v1/session/otp", json={"code": web.last_code()}))
    assert step["next"] == "terms"
    assert ok(client.post("/api/v1/session/terms", json={"accept": True})) == {"next": "done"}
    me = ok(client.get("/api/v1/me"))
    assert set(me) >= {"person_id", "username", "name", "roles", "csrf"}
    csrf = {me["csrf"]["header"]: me["csrf"]["token"]}
    ok(client.post("/api/v1/password-reset", json={"username": "kari"}), 202)
    ok(client.delete("/api/v1/session", headers=csrf), 204)


def test_the_plan_bodies_of_api_md_are_accepted_as_written(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    anne = web.create_user("anne")
    web.login("kari")
    headers = web.csrf_headers()
    client = web.client

    def send(method: str, suffix: str, body: dict[str, Any] | None = None) -> Any:
        return ok(client.request(method, f"{PLANS}{suffix}", json=body, headers=headers))

    created = send(
        "POST",
        "",
        {
            "type": "SL",
            "short_name": "Ola 2026",
            "start_date": "2026-03-02",
            "owner": {"first_name": "Ola", "last_name": "Nordmann", "birth_date": "2015-05-17"},
            "consent": {
                "given_by": "Mor og far",
                "given_on": "2026-03-01",
                "expires_on": "2026-12-31",
            },
        },
    )
    assert set(created) == {"id", "version"}
    plan = f"/{created['id']}"
    listed = send("GET", "?first_name=Ola&last_name=Nordmann&include_closed=false")
    assert set(listed[0]) >= LIST_FIELDS
    relative = send(
        "POST",
        f"{plan}/participants",
        {
            "person": {"person_id": str(anne)},
            "role": "relative",
            "responsibility": "Mor",
            "rights": {
                "goals": "read",
                "activities": "write",
                "minutes": "none",
                "messages": "write",
                "print": True,
                "edit_person": False,
            },
        },
    )["participant_id"]
    provider = send(
        "POST",
        f"{plan}/participants",
        {
            "person": {"first_name": "Per", "last_name": "Lærer"},
            "role": "provider",
            "responsibility": "Kontaktlærer",
            "rights": {
                "goals": "write",
                "activities": "write",
                "minutes": "write",
                "messages": "write",
                "print": True,
                "edit_person": False,
            },
        },
    )["participant_id"]
    send("PATCH", f"{plan}/participants/{relative}", {"responsibility": "Mor og verge"})
    goal = send("POST", f"{plan}/goals", {"title": "Trives på skolen"})["goal_id"]
    send("PATCH", f"{plan}/goals/{goal}", {"title": "Trives godt på skolen"})
    send("POST", f"{plan}/goals/{goal}/evaluations", {"status": "achieved", "text": "Nådd"})
    activity = send(
        "POST",
        f"{plan}/activities",
        {
            "title": "Samtale",
            "description": "Ukentlig",
            "responsible_participant_id": provider,
            "due_on": "2026-04-01",
            "goal_id": goal,
        },
    )["activity_id"]
    send("PATCH", f"{plan}/activities/{activity}", {"status": "completed"})
    send(
        "POST",
        f"{plan}/minutes",
        {
            "met_on": "2026-03-02",
            "attendee_ids": [provider],
            "notes": "Møte",
            "decisions": "Videre",
        },
    )
    send("POST", f"{plan}/comments", {"on": {"kind": "goal", "id": goal}, "text": "Bra"})
    send("POST", f"{plan}/messages", {"to": "all", "subject": "Hei", "body": "Velkommen"})
    send("POST", f"{plan}/messages", {"to": [relative], "subject": "Til mor", "body": "Hei"})
    send(
        "POST",
        f"{plan}/calendar",
        {
            "title": "Møte",
            "starts_at": "2026-03-10T09:00:00+01:00",
            "ends_at": "2026-03-10T10:00:00+01:00",
            "location": "Skolen",
        },
    )
    send("DELETE", f"{plan}/consent")  # reset: it must be given again
    send(
        "PUT",
        f"{plan}/consent",
        {
            "given_by": "Mor og far",
            "given_on": "2026-03-02",
            "expires_on": "2027-03-01",
            "scope": "Alle ser det samme",
        },
    )
    assert set(send("GET", plan)) >= {"id", "version", "goals", "participants", "consent"}
    assert send("GET", f"{plan}/history?version=2")["version"] == 2
    assert send("GET", f"{plan}/history?as_of=2026-03-02T10:00:00%2B01:00")["version"] >= 1
    timeline = client.get(f"{PLANS}{plan}/timeline").json()
    documented = {"version", "at", "actor", "type", "summary"}  # api.md's fields
    assert set(timeline[0]) == documented | {"subject", "details"}  # added, optional
    assert set(timeline[0]["actor"]) == {"person_id", "name", "role"}
    assert client.get(f"{PLANS}{plan}/access-log").status_code == 200
    assert client.get("/api/v1/persons?name=Per").status_code == 200
    send("DELETE", f"{plan}/participants/{relative}")
    send("POST", f"{plan}/coordinator", {"participant_id": provider})
    web.login("kari")  # still in the group as a provider, no longer coordinator
    assert client.get(f"{PLANS}{plan}").json()["me"]["standing"] == "provider"


def test_closing_takes_the_documented_body(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.login("kari")
    headers = web.csrf_headers()
    created = ok(
        web.client.post(
            PLANS,
            json={
                "type": "IP",
                "short_name": "Plan",
                "start_date": "2026-03-02",
                "owner": {"first_name": "Kim", "last_name": "Nordmann", "birth_date": "2012-01-02"},
                "consent": {
                    "given_by": "Kim",
                    "given_on": "2026-03-02",
                    "expires_on": "2026-10-01",
                },
            },
            headers=headers,
        )
    )
    closed = ok(
        web.client.post(
            f"{PLANS}/{created['id']}/close",
            json={"ended_on": "2026-03-02", "reason": "Målene er nådd"},
            headers=headers,
        )
    )
    assert closed["version"] == 2
    plan = f"{PLANS}/{created['id']}"
    [auto] = ok(web.client.get(f"{plan}/archives"))  # closing sealed it
    sealed = ok(web.client.post(f"{plan}/archives", headers=headers), 201)
    assert set(sealed) == {"archive_id", "sealed_at", "digest"}
    assert [r["archive_id"] for r in ok(web.client.get(f"{plan}/archives"))] == [
        auto["archive_id"],
        sealed["archive_id"],
    ]
    record = web.client.get(f"/api/v1/archives/{sealed['archive_id']}")
    assert record.status_code == 200
    assert record.content.startswith(b"PK")
    [key] = ok(web.client.get("/api/v1/archive-keys"))["keys"]
    assert set(key) == {"key_id", "algorithm", "public_key", "current"}
