"""The auditor's pages, on both stores: the search on the plans page, and the History tab
showing the plan as one participant could see it then (the story of `test_audit.py`)."""

from uuid import UUID

from tests.e2e.conftest import Web
from tests.e2e.test_audit import GOAL, Story, story

__all__ = ["story"]


def history(web: Web, story: Story, **query: str) -> tuple[int, str]:
    answer = web.client.get(f"/plans/{story.plan_id}/history", params=query)
    return answer.status_code, answer.text


def test_an_auditor_finds_a_plan_on_the_plans_page_and_the_search_is_logged(
    web: Web, story: Story
) -> None:
    web.page_login("revisor")
    start = web.client.get("/plans")
    assert start.status_code == 200
    assert "Finn en plan å revidere" in start.text
    assert "Du er ikke selv med i noen plangruppe" in start.text

    query = {"search": "all", "last_name": "nordmann", "birth_date": "17.05.2015"}
    found = web.client.get("/plans", params=query)
    assert found.status_code == 200, found.text
    assert f'href="/plans/{story.plan_id}/history">Nordmann, Ola</a>' in found.text
    assert "Planer funnet: 1." in found.text
    assert 'value="17.05.2015"' in found.text  # the form keeps what was typed
    entry = web.access_log.entries(UUID(story.plan_id))[-1]
    assert (entry.role, entry.sections, entry.grounds) == ("auditor", ("search",), "audit")

    none = web.client.get("/plans", params=query | {"birth_date": "2015-05-18"})
    assert "Ingen planer passer med søket" in none.text
    empty = web.client.get("/plans", params={"search": "all", "status": "open"})
    assert empty.status_code == 422
    assert "Oppgi planeierens navn, fødselsdato eller en periode." in empty.text
    wrong_day = web.client.get("/plans", params={"search": "all", "from": "snart"})
    assert wrong_day.status_code == 422
    assert 'aria-invalid="true" aria-describedby="f-from-error"' in wrong_day.text


def test_others_see_no_search_and_are_refused_one(web: Web, story: Story) -> None:
    web.page_login("kari")
    own = web.client.get("/plans")
    assert "Finn en plan å revidere" not in own.text
    refused = web.client.get("/plans", params={"search": "all", "last_name": "Nordmann"})
    assert refused.status_code == 403
    assert "Nordmann, Ola" not in refused.text
    assert all(e.role != "auditor" for e in web.access_log.entries(UUID(story.plan_id)))


def test_the_history_tab_shows_what_the_school_could_see_on_each_day(
    web: Web, story: Story
) -> None:
    web.page_login("revisor")
    status, whole = history(web, story, on="2026-03-03", at="13:00")
    assert status == 200, whole
    assert "Dette er planen slik den var 03.03.2026 13:00" in whole
    assert GOAL in whole
    assert "Fra mor" in whole  # an auditor reads every message of the history
    assert f'<option value="{story.school}">Skole Testesen (tjenesteyter)</option>' in whole
    assert story.late not in whole  # not in the plan group yet

    status, then = history(web, story, on="2026-03-03", at="13:00", participant=story.school)
    assert status == 200, then
    assert "Planen slik Skole Testesen kunne se den 03.03.2026 13:00" in then
    assert "og dette er ikke det Skole Testesen ser i dag" in then
    assert GOAL in then
    assert "Om Ola" in then
    assert "Fra mor" in then  # sent to the school
    assert "/plan/goals" not in then  # read-only: no forms

    status, later = history(web, story, on="05.03.2026", participant=story.school)
    assert status == 200
    assert "Planen slik Skole Testesen kunne se den 05.03.2026 23:59" in later
    assert "Kunne lese</dt><dd>aktiviteter og kalender, møtereferater, meldinger til" in later
    assert GOAL not in later.split('class="timeline"')[0]  # the goal right was gone

    status, lapsed = history(web, story, on="2026-03-13", participant=story.school)
    assert status == 200
    assert "Skole Testesen kunne ikke åpne planen da: samtykket gjaldt ikke" in lapsed
    assert "Om Ola" not in lapsed.split('class="timeline"')[0]

    entries = [e for e in web.access_log.entries(UUID(story.plan_id)) if e.role == "auditor"]
    assert entries
    assert {e.grounds for e in entries} == {"audit"}


def test_the_history_form_refuses_what_it_cannot_show(web: Web, story: Story) -> None:
    web.page_login("revisor")
    status, page = history(web, story, on="2026-03-03", at="25:61")
    assert status == 422
    assert "Skriv klokkeslettet som tt:mm" in page
    status, page = history(web, story, on="2026-03-05", participant=story.late)
    assert status == 422
    assert "Var ikke i plangruppen da." in page
    status, page = history(web, story, on="2026-03-05", participant="ikke-en-id")
    assert status == 422
    assert "Velg en deltaker fra listen." in page


def test_the_coordinator_sees_only_their_own_messages_in_the_whole_plan(
    web: Web, story: Story
) -> None:
    web.page_login("kari")
    status, whole = history(web, story, on="2026-03-03")
    assert status == 200
    assert "Om Ola" in whole
    assert "Fra mor" not in whole  # between the mother and the school
    status, seen = history(web, story, on="2026-03-03", participant=story.anne)
    assert status == 200
    assert "Planen slik Anne Testesen kunne se den" in seen
    assert "Fra mor" not in seen  # her message to the school is still not the coordinator's
    assert "bare de du selv sendte eller mottok" in seen
    web.page_login("anne")
    assert history(web, story, on="2026-03-03")[0] == 403
