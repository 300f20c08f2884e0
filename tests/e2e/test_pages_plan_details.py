"""The plan's details on the pages (decision 0051): the manage page's "Plandetaljer" card,
the level and review date of a new plan, and both in the plan's heading, on both stores.

The card is the coordinator's (the policy's MANAGE row: plan open); it is filled in with
the details on record, sends every detail as the form holds it (the plan keeps in its
event only those that changed) and says so when nothing changed, writing nothing.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

import pytest

from stafett.aggregates.values import local_date
from stafett.applications.commands import AddParticipant, ClosePlan
from stafett.applications.parts import PersonIn
from tests.e2e.conftest import Web
from tests.e2e.test_pages_participants import field_error, form_on, html_text
from tests.e2e.test_pages_plans import NEW_PLAN, rows_of

DETAILS = "/manage/details"
LEVEL_TWO = "Nivå 2 – Enkelt tverrfaglig samarbeid"


@dataclass
class Plan:
    id: UUID
    kari: UUID  # the coordinator's person id
    start: date

    def url(self, suffix: str = "") -> str:
        return f"/plans/{self.id}{suffix}"

    def version(self, web: Web) -> int:
        return web.plans.get_plan(self.id).version


@pytest.fixture
def plan(web: Web) -> Plan:
    """Olas plan, from today to the end of the year, at level 1, to be reviewed in June;
    anne (a relative) and per (a provider) in its group, each with a login."""
    kari = web.create_user("kari", coordinator=True)
    today = local_date(web.plans.clock())
    plan_id = web.olas_plan(
        kari, end_date=date(today.year, 12, 31), level=1, review_on=date(today.year, 6, 15)
    )
    for username, role in (("anne", "relative"), ("per", "provider")):
        person = web.create_user(username)
        web.plans.handle(
            plan_id,
            AddParticipant(person=PersonIn(person_id=person), role=role),  # type: ignore[arg-type]
            by=kari,
        )
    return Plan(plan_id, kari, today)


def details_form(web: Web, plan: Plan) -> dict[str, str]:
    return form_on(web, plan.url("/manage"), plan.url(DETAILS))


def test_only_the_coordinator_sees_the_plan_details_card(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    manage = web.client.get(plan.url("/manage")).text
    assert "Plandetaljer" in manage
    assert f'action="{plan.url(DETAILS)}"' in manage
    assert 'data-draft="plan-details"' in manage  # what is typed is kept through a login

    for other in ("anne", "per"):
        web.page_login(other)
        assert web.client.get(plan.url("/manage")).status_code == 403
        assert f'action="{plan.url(DETAILS)}"' not in web.client.get(plan.url()).text
        refused = web.submit(plan.url(DETAILS), {"short_name": "Annes plan"})
        assert refused.status_code == 403
    assert web.plans.get_plan(plan.id).short_name == "Olas plan"


def test_the_plan_details_form_holds_the_details_on_record(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    fields = details_form(web, plan)
    year = plan.start.year
    assert fields == {
        "csrf_token": fields["csrf_token"],
        "expected_version": str(plan.version(web)),
        "short_name": "Olas plan",
        "start_date": plan.start.isoformat(),
        "end_date": f"{year}-12-31",
        "level": "1",
        "review_on": f"{year}-06-15",
    }
    manage = web.client.get(plan.url("/manage")).text
    card = manage.split(f'action="{plan.url(DETAILS)}"')[1].split("</form>")[0]
    assert '<label class="ds-label" for="f-level-none">Ikke satt</label>' in card
    for level, words in enumerate(
        (
            "Avklare om det er grunn til bekymring",
            "Innsats i én tjeneste",
            "Enkelt tverrfaglig samarbeid",
            "Omfattende tverrfaglig samarbeid",
        )
    ):
        assert f'for="f-level-{level}">{level} – {words}</label>' in card


def test_changed_details_show_in_the_heading_the_list_and_the_history(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    before = plan.version(web)
    fields = details_form(web, plan) | {
        "short_name": "Olas skoleplan",
        "end_date": "30.06.2027",  # as Norwegians write it
        "level": "2",
        "review_on": "2026-09-01",
    }
    saved = web.submit(plan.url(DETAILS), fields)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == plan.url("/manage?saved=plan_details_saved")
    state = web.plans.get_plan(plan.id)
    assert (state.short_name, state.end_date) == ("Olas skoleplan", date(2027, 6, 30))
    assert (state.level, state.review_on, state.version) == (2, date(2026, 9, 1), before + 1)

    manage = web.client.get(saved.headers["location"]).text
    assert "Plandetaljene er lagret." in manage
    heading = html_text(plan_heading(manage))
    assert "Olas skoleplan" in heading
    assert LEVEL_TWO in heading
    assert "Neste evaluering 01.09.2026" in heading

    [row] = rows_of(web.client.get("/plans").text)
    assert (row["Kortnavn"], row["Sluttdato"]) == ("Olas skoleplan", "30.06.2027")
    history = web.client.get(plan.url("/history"))
    assert history.status_code == 200, history.text
    timeline = history.text.split('class="timeline"')[1]
    # What was corrected, in the plan's order; the start date was left as it was.
    assert "endret plandetaljene: kortnavn, sluttdato, nivå, neste evaluering<" in timeline


def test_emptied_fields_clear_the_end_date_the_level_and_the_review_date(
    web: Web, plan: Plan
) -> None:
    web.page_login("kari")
    emptied = details_form(web, plan) | {"end_date": "", "level": "", "review_on": ""}
    saved = web.submit(plan.url(DETAILS), emptied)
    assert saved.status_code == 303, saved.text
    state = web.plans.get_plan(plan.id)
    assert (state.short_name, state.end_date, state.level, state.review_on) == (
        "Olas plan",
        None,
        None,
        None,
    )
    heading = plan_heading(web.client.get(plan.url()).text)
    assert "Nivå" not in heading
    assert "Neste evaluering" not in heading
    fields = details_form(web, plan)
    assert (fields["end_date"], fields["level"], fields["review_on"]) == ("", "", "")


def test_a_form_that_changes_nothing_says_so_and_writes_nothing(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    before = plan.version(web)
    unchanged = web.submit(plan.url(DETAILS), details_form(web, plan))
    assert unchanged.status_code == 422
    assert 'id="f-plan_details"' in unchanged.text  # said at the form, not only above it
    assert "Ingenting er endret." in unchanged.text.split(f'action="{plan.url(DETAILS)}"')[1]
    assert plan.version(web) == before
    assert "endret plandetaljene" not in web.client.get(plan.url("/history")).text


def test_a_review_date_before_the_start_is_said_at_its_field_with_the_form_kept(
    web: Web, plan: Plan
) -> None:
    web.page_login("kari")
    before = plan.version(web)
    early = (plan.start - timedelta(days=1)).strftime("%d.%m.%Y")
    typed = details_form(web, plan) | {"short_name": "Nytt navn", "level": "3", "review_on": early}
    refused = web.submit(plan.url(DETAILS), typed)
    assert refused.status_code == 422
    assert field_error(refused.text, "review_on") == (
        "Evalueringsdatoen kan ikke være før startdatoen."
    )
    again = form_after(refused.text, plan)
    assert (again["short_name"], again["level"], again["review_on"]) == ("Nytt navn", "3", early)
    assert plan.version(web) == before


def test_a_level_out_of_range_is_refused_in_the_common_words(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    refused = web.submit(plan.url(DETAILS), details_form(web, plan) | {"level": "7"})
    assert refused.status_code == 422
    assert field_error(refused.text, "level") == "Sjekk denne verdien."
    assert web.plans.get_plan(plan.id).level == 1


def test_a_stale_details_form_is_shown_again_with_what_was_typed(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    stale = details_form(web, plan) | {"short_name": "Mitt navn"}
    meanwhile = details_form(web, plan) | {"level": "0"}
    assert web.submit(plan.url(DETAILS), meanwhile).status_code == 303
    conflict = web.submit(plan.url(DETAILS), stale)
    assert conflict.status_code == 409
    assert "Noen endret planen mens du skrev." in conflict.text
    assert form_after(conflict.text, plan)["short_name"] == "Mitt navn"
    assert web.plans.get_plan(plan.id).short_name == "Olas plan"


def test_a_closed_plan_has_no_plan_details_card(web: Web, plan: Plan) -> None:
    web.plans.handle(plan.id, ClosePlan(ended_on=plan.start), by=plan.kari)
    web.page_login("kari")
    manage = web.client.get(plan.url("/manage")).text
    assert "Åpne planen igjen" in manage  # the page is there: the coordinator may reopen
    assert f'action="{plan.url(DETAILS)}"' not in manage
    assert "Plandetaljer" not in manage


def test_a_plan_created_with_a_level_and_review_date_shows_them_in_its_heading(
    web: Web,
) -> None:
    web.create_user("kari", coordinator=True)
    web.page_login("kari")
    form = web.client.get("/plans/new").text
    # Each level shown whole, as a radio (a select cut "2 – Enkelt tverrfaglig sam…" short
    # at 360 px), "Ikke satt" first and chosen.
    level = form.split('id="f-level"')[1].split("</fieldset>")[0]
    assert re.findall(r'type="radio" id="f-level-(\w+)" name="level" value="(\d?)"', level) == [
        ("none", ""),
        ("0", "0"),
        ("1", "1"),
        ("2", "2"),
        ("3", "3"),
    ]
    assert 'value="" checked' in level
    assert (
        '<label class="ds-label" for="f-level-2">2 – Enkelt tverrfaglig samarbeid</label>' in level
    )
    assert 'name="review_on"' in form
    created = web.submit("/plans/new", NEW_PLAN | {"level": "2", "review_on": "01.09.2026"})
    assert created.status_code == 303, created.text
    heading = html_text(plan_heading(web.client.get(created.headers["location"]).text))
    assert LEVEL_TWO in heading
    assert "Neste evaluering 01.09.2026" in heading

    another = {"short_name": "Uten nivå", "owner_confirm_new": "yes"}  # the same Ola again
    without = web.submit("/plans/new", NEW_PLAN | another)
    assert without.status_code == 303, without.text
    heading = plan_heading(web.client.get(without.headers["location"]).text)
    assert "Nivå" not in heading
    assert "Neste evaluering" not in heading


def test_a_new_plan_reviewed_before_it_starts_is_refused_at_the_review_date(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.page_login("kari")
    refused = web.submit("/plans/new", NEW_PLAN | {"level": "1", "review_on": "2026-03-01"})
    assert refused.status_code == 422
    assert field_error(refused.text, "review_on") == (
        "Evalueringsdatoen kan ikke være før startdatoen."
    )
    assert 'name="level" value="1" checked' in refused.text  # the level as chosen


def plan_heading(html: str) -> str:
    return html.split('class="plan-heading"')[1].split("</header>", maxsplit=1)[0]


def form_after(html: str, plan: Plan) -> dict[str, str]:
    """The details form's text fields and level as a page shows them again."""
    form = html.split(f'action="{plan.url(DETAILS)}"')[1].split("</form>", maxsplit=1)[0]
    values = {}
    for name in ("short_name", "review_on"):
        start = form.split(f'name="{name}"')[1]
        values[name] = start.split('value="')[1].split('"')[0]
    chosen = re.findall(r'name="level" value="(\d?)" checked', form)
    values["level"] = chosen[0] if chosen else "(none chosen)"
    return values


def test_the_help_tells_the_levels_and_how_to_reply(web: Web) -> None:
    help_page = html_text(web.client.get("/help").text)
    assert "Plandetaljer: rett kortnavnet og perioden" in help_page
    assert "2: enkelt tverrfaglig samarbeid" in help_page
    assert "«Svar» under en melding åpner skjemaet med avsenderen og «Sv: …» fylt ut." in help_page
