"""The consent age on the pages and the API (decision 0055), on both stores: the plan's
owner, 16 today, withdraws the consent; their parent is told who decides and is refused
by the page and the API alike; a child's parent withdraws it and the child is told who
decides. The pages ask the same policy table, with the owner's age from the directory."""

from dataclasses import replace
from datetime import date
from uuid import UUID

import pytest

from stafett.applications.parts import PersonIn
from tests.e2e.conftest import Web
from tests.e2e.test_pages_participants import add, form_on, html_text


def plan_of(web: Web, born: date) -> tuple[UUID, UUID]:
    """A plan of ola's, born on `born`, with anne as a relative: (plan id, ola's id)."""
    kari = web.create_user("kari", coordinator=True)
    ola = web.create_user("ola")
    anne = web.create_user("anne")
    before = web.plans.get_person(ola).details
    web.plans.directory.update(
        ola, before, replace(before, birth_date=born), actor_id=None, at=web.clock()
    )
    plan_id = web.olas_plan(kari, owner=PersonIn(person_id=ola))
    add(web, plan_id, kari, PersonIn(person_id=anne), "relative")
    return plan_id, ola


def withdrawal_offered(web: Web, plan_id: UUID) -> tuple[bool, str]:
    page = web.client.get(f"/plans/{plan_id}/participants")
    assert page.status_code == 200
    return f"/plans/{plan_id}/consent/withdrawal" in page.text, html_text(page.text)


def test_a_sixteen_year_old_withdraws_it_and_the_parent_is_told_who_decides(web: Web) -> None:
    plan_id, _ = plan_of(web, date(2010, 3, 2))  # 16 on the clock's day, 2026-03-02
    confirm = f"/plans/{plan_id}/consent/withdrawal"
    web.page_login("anne")
    offered, text = withdrawal_offered(web, plan_id)
    assert not offered
    assert "Ola Testesen er 16 år eller eldre og bestemmer selv over samtykket" in text
    assert web.client.get(confirm).status_code == 403
    refused = web.submit(confirm, {"confirm_withdraw": "yes"} | {"csrf_token": web.page_token()})
    assert refused.status_code == 403
    api = web.client.post(f"/api/v1/plans/{plan_id}/consent/withdrawal", headers=web.csrf_headers())
    assert api.status_code == 403, api.text
    assert web.plans.get_plan(plan_id).consent.status.value == "active"

    web.client.cookies.clear()
    web.page_login("ola")
    offered, text = withdrawal_offered(web, plan_id)
    assert offered
    assert "bestemmer selv" not in text
    withdrawn = web.submit(confirm, form_on(web, confirm, confirm) | {"confirm_withdraw": "yes"})
    assert withdrawn.status_code == 303, withdrawn.text
    assert web.plans.get_plan(plan_id).consent.status.value == "withdrawn"


@pytest.mark.parametrize("who", ["ola", "anne"])
def test_for_a_child_the_parent_withdraws_it_and_the_child_is_told_who_decides(
    web: Web, who: str
) -> None:
    plan_id, _ = plan_of(web, date(2014, 6, 1))  # 11
    web.page_login(who)
    offered, text = withdrawal_offered(web, plan_id)
    told = "Til du er 16 år, er det foreldrene eller de foresatte som bestemmer over samtykket"
    assert offered is (who == "anne")
    assert (told in text) is (who == "ola")
    api = web.client.post(f"/api/v1/plans/{plan_id}/consent/withdrawal", headers=web.csrf_headers())
    assert api.status_code == (200 if who == "anne" else 403), api.text


@pytest.mark.parametrize(
    ("born", "told"),
    [
        (date(2010, 3, 2), "Ola Testesen er 16 år eller eldre og gir samtykket selv."),
        (date(2014, 6, 1), "Ola Testesen er under 16 år: foreldrene eller de foresatte gir"),
    ],
)
def test_the_consent_form_says_who_gives_the_consent(web: Web, born: date, told: str) -> None:
    plan_id, _ = plan_of(web, born)
    web.page_login("kari")
    manage = web.client.get(f"/plans/{plan_id}/manage")
    assert manage.status_code == 200
    assert told in html_text(manage.text)
