"""The consent age on the pages and the API (decision 0055), on both stores: the plan's
owner, 16 today, withdraws the consent; their parent is told who decides and is refused
by the page and the API alike; a child's parent withdraws it and the child is told who
decides. The pages ask the same policy table, with the owner's age from the directory."""

from dataclasses import replace
from datetime import date, timedelta
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


def came_of_age_told(web: Web, path: str) -> str | None:
    """The text of the page at `path` from the note that the owner now decides (None
    when it has none)."""
    page = web.client.get(path)
    assert page.status_code == 200, page.text
    text = html_text(page.text)
    start = text.find("Samtykket som gjelder, ble gitt")
    return None if start < 0 else text[start:]


def test_the_coordinator_is_told_when_the_owner_comes_of_age_after_the_consent(
    web: Web,
) -> None:
    """Decision 0056: ola turns 16 after the parents' consent was given; the coordinator's
    home and manage pages say so, and ola's home tells ola, until ola's own consent is
    written down; the relative is not told (they do not manage the plan)."""
    plan_id, _ = plan_of(web, date(2010, 3, 20))  # 15 on the clock's day, 2026-03-02
    home, manage = f"/plans/{plan_id}/", f"/plans/{plan_id}/manage"
    web.page_login("kari")
    assert came_of_age_told(web, home) is None
    assert came_of_age_told(web, manage) is None

    web.clock.advance(timedelta(days=18))  # 2026-03-20: ola's sixteenth birthday
    web.client.cookies.clear()
    web.page_login("kari")
    expected = (
        "Samtykket som gjelder, ble gitt 02.03.2026, før Ola Testesen fylte 16 år "
        "20.03.2026. Fra 16 år bestemmer Ola Testesen selv over samtykket"
    )
    for path in (home, manage):
        told = came_of_age_told(web, path)
        assert told is not None, path
        assert told.startswith(expected), told
    assert "Ola Testesen bestemmer nå selv over samtykket" in html_text(web.client.get(home).text)
    assert f'href="{manage}?dates=new#consent-heading"' in web.client.get(home).text

    web.client.cookies.clear()
    web.page_login("anne")
    assert came_of_age_told(web, home) is None
    assert "bestemmer nå selv over samtykket" not in html_text(web.client.get(home).text)

    web.client.cookies.clear()
    web.page_login("ola")
    assert came_of_age_told(web, home) is None  # the coordinator's words are not the owner's
    owners = html_text(web.client.get(home).text)
    assert "Nå bestemmer du selv over samtykket" in owners
    assert "Du fylte 16 år 20.03.2026, etter at samtykket til dette samarbeidet ble gitt" in owners

    web.client.cookies.clear()
    web.page_login("kari")
    action = f"/plans/{plan_id}/manage/consent"
    fields = form_on(web, f"{manage}?dates=new", action) | {"given_by": "Ola Testesen"}
    saved = web.submit(action, fields)
    assert saved.status_code == 303, saved.text
    assert web.plans.get_plan(plan_id).consent.given_on == date(2026, 3, 20)
    assert came_of_age_told(web, home) is None
    assert came_of_age_told(web, manage) is None
    web.client.cookies.clear()
    web.page_login("ola")
    assert "Nå bestemmer du selv" not in html_text(web.client.get(home).text)


def test_the_new_plan_form_says_who_gives_the_consent(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.page_login("kari")
    page = web.client.get("/plans/new")
    assert page.status_code == 200
    assert (
        "Hvem som ga samtykke: ungdommen selv fra 16 år, ellers foreldrene eller de foresatte."
        in html_text(page.text)
    )
