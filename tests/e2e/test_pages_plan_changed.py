"""The walk-through's leak, on both stores: 'Plan endret' and the home tab's 'Planen er
endret siden sist du var her' say a plan changed only in what the reader may read now.

Helga is a provider whose rights on activities and messages are `none`. She opens the
plan; the coordinator then adds an activity, comments on it and writes to the mother.
Nothing Helga may read is new, so neither her list nor the plan's home may say the plan
changed: it would tell her when something hidden from her (a child-welfare message)
was written (decision 0050). A new goal, which she reads, does.
"""

from datetime import timedelta
from uuid import UUID

from tests.e2e.conftest import Web
from tests.e2e.test_pages_plans import rows_of
from tests.e2e.test_plan_api import PLANS, log_in, plan_body, rights

UNCHANGED = "Ingenting er endret siden sist du var her"
CHANGED = "Planen er endret siden sist du var her"


def test_helga_is_not_told_of_changes_she_may_not_read(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    mor, helga = web.create_user("mor"), web.create_user("helga")
    headers = log_in(web, "kari")
    created = web.client.post(PLANS, json=plan_body(), headers=headers)
    assert created.status_code == 201, created.text
    plan = created.json()["id"]
    added = {}
    for name, person_id, role, given in (
        ("mor", mor, "relative", rights()),
        ("helga", helga, "provider", rights(activities="none", messages="none")),
    ):
        answer = web.client.post(
            f"{PLANS}/{plan}/participants",
            json={"person": {"person_id": str(person_id)}, "role": role, "rights": given},
            headers=headers,
        )
        assert answer.status_code == 201, answer.text
        added[name] = answer.json()["participant_id"]

    def as_helga() -> tuple[str, str]:
        """Her list's 'Plan endret', and what the plan's home says is new (a visit)."""
        web.clock.advance(timedelta(minutes=5))
        web.page_login("helga")
        [row] = rows_of(web.client.get("/plans").text)
        home = web.client.get(f"/plans/{plan}").text
        new = home.split('id="new-heading"')[1].split("</section>")[0]
        return row["Plan endret"], new

    def as_kari(path: str, body: dict[str, object]) -> None:
        web.clock.advance(timedelta(minutes=5))
        kari = log_in(web, "kari")
        answer = web.client.post(f"{PLANS}/{plan}{path}", json=body, headers=kari)
        assert answer.status_code == 201, answer.text

    changed, _ = as_helga()  # her first visit
    assert changed == "Ja"
    changed, new = as_helga()
    assert (changed, UNCHANGED in new) == ("Nei", True)

    as_kari("/activities", {"title": "Svømming", "responsible_participant_id": added["mor"]})
    activity = web.plans.get_plan(UUID(plan)).activities[0].activity_id
    as_kari("/comments", {"on": {"kind": "activity", "id": str(activity)}, "text": "Badetøy"})
    message: dict[str, object] = {
        "to": [added["mor"]],
        "subject": "Bekymringsmelding",
        "body": "Fortrolig",
    }
    as_kari("/messages", message)
    changed, new = as_helga()
    assert (changed, UNCHANGED in new, CHANGED in new) == ("Nei", True, False)

    web.page_login("mor")  # the mother reads all of it: for her the plan changed
    [row] = rows_of(web.client.get("/plans").text)
    assert row["Plan endret"] == "Ja"

    as_kari("/goals", {"title": "Lese hver dag"})  # a goal: Helga reads the goals
    changed, new = as_helga()
    assert (changed, CHANGED in new) == ("Ja", True)
    changed, new = as_helga()  # and seen now
    assert (changed, UNCHANGED in new) == ("Nei", True)
