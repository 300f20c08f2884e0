"""The plan list, create-plan and reports pages, in bokmål, on both stores."""

import re
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any
from uuid import UUID

from structlog.testing import capture_logs

from stafett.aggregates.values import PlanType
from tests.conftest import person
from tests.e2e.conftest import Web
from tests.e2e.test_plan_api import PLANS, log_in, plan_body, rights

NEW_PLAN = {
    "consent_given_by": "Mor og far",
    "consent_given_on": "2026-03-01",
    "consent_expires_on": "2027-03-01",
    "consent_scope": "Alle ser det samme",
    "owner_choice": "new",
    "owner_first_name": "Ola",
    "owner_last_name": "Nordmann",
    "owner_birth_date": "2015-05-17",
    "type": "IP",
    "short_name": "Skole 2026",
    "start_date": "2026-03-02",
    "end_date": "2026-12-31",
    "action": "create",
}


class Cells(HTMLParser):
    """The rows of a page's tables: each row's cells by their data-label."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self._label: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append({})
        if tag == "td":
            self._label = dict(attrs).get("data-label") or "(none)"
            self.rows[-1][self._label] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            row = self.rows[-1]
            row[self._label] = " ".join(f"{row[self._label]} {data}".split())


def rows_of(html: str) -> list[dict[str, str]]:
    parser = Cells()
    parser.feed(html)
    return [row for row in parser.rows if row]


def make_plan(web: Web, headers: dict[str, str], **changes: Any) -> str:
    created = web.client.post(PLANS, json=plan_body(**changes), headers=headers)
    assert created.status_code == 201, created.text
    plan_id: str = created.json()["id"]
    return plan_id


def add_provider(web: Web, headers: dict[str, str], plan_id: str, person_id: UUID) -> None:
    added = web.client.post(
        f"{PLANS}/{plan_id}/participants",
        json={"person": {"person_id": str(person_id)}, "role": "provider", "rights": rights()},
        headers=headers,
    )
    assert added.status_code == 201, added.text


def field_error(html: str, name: str) -> str:
    found = re.search(rf'id="f-{name}-error">([^<]*)<', html)
    assert found is not None, f"no message at {name}"
    return found.group(1)


def value_of(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert found is not None, f"no field {name}"
    return found.group(1)


# ------------------------------------------------------------------ the list


def test_the_list_shows_every_column_for_my_plans_and_nothing_of_others(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.create_user("berit", coordinator=True)
    per = web.create_user("per")
    headers = log_in(web, "berit")
    other = make_plan(web, headers, owner={"first_name": "Siri", "last_name": "Annensen"})
    headers = log_in(web, "kari")
    mine = make_plan(web, headers)
    add_provider(web, headers, mine, per)

    web.page_login("per")
    with capture_logs() as logs:
        page = web.client.get("/plans")
    assert page.status_code == 200
    [row] = rows_of(page.text)
    assert row == {
        "Planeier": "Planeier, Ola",
        "Kortnavn": "Ola 2026",
        "Type": "SL",
        "Født": "01.05.2015",
        "Plan endret": "Ja",
        "Ny melding": "Nei",
        "Samtykke utgår": "30.09.2026",
        "Startdato": "02.03.2026",
        "Sluttdato": "",
        "Sist arkivert": "",
        "(none)": "",
    }
    assert f'href="/plans/{mine}"' in page.text
    assert '<abbr title="Stafettlogg">SL</abbr>' in page.text
    assert "Type: SL er stafettlogg, IP er individuell plan." in page.text  # a phone cannot hover
    assert "/manage" not in page.text  # a provider does not manage the plan
    assert other not in page.text
    assert "Annensen" not in page.text
    assert 'href="/plans/new"' not in page.text  # per may not create plans
    [read] = [e for e in logs if e["event"] == "plan_list_read"]
    assert read["count"] == 1

    web.page_login("kari")
    page = web.client.get("/plans")
    assert f'href="/plans/{mine}/manage"' in page.text
    assert 'href="/plans/new"' in page.text
    assert other not in page.text


def test_search_by_first_and_last_name_narrows_the_list_and_keeps_the_form(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    make_plan(web, headers)
    make_plan(web, headers, owner={"first_name": "Siri", "last_name": "Annensen"})

    web.page_login("kari")
    assert len(rows_of(web.client.get("/plans").text)) == 2
    page = web.client.get("/plans", params={"first_name": "sir"})
    assert [r["Planeier"] for r in rows_of(page.text)] == ["Annensen, Siri"]
    assert value_of(page.text, "first_name") == "sir"
    page = web.client.get("/plans", params={"last_name": "planeier"})
    assert [r["Planeier"] for r in rows_of(page.text)] == ["Planeier, Ola"]
    page = web.client.get("/plans", params={"first_name": "siri", "last_name": "planeier"})
    assert rows_of(page.text) == []
    assert "Ingen planer passer med søket" in page.text
    for query in ({"first_name": "x" * 201}, {"include_closed": "kanskje"}):
        unread = web.client.get("/plans", params=query)
        assert unread.status_code == 400, query
        assert unread.headers["content-type"].startswith("text/html")
        assert "Ola" not in unread.text


def test_closed_plans_are_listed_only_when_asked_for(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    plan_id = make_plan(web, headers)
    closing = {"ended_on": "2026-03-02", "reason": "Målene er nådd"}
    assert web.client.post(f"{PLANS}/{plan_id}/close", json=closing, headers=headers).is_success

    web.page_login("kari")
    assert rows_of(web.client.get("/plans").text) == []
    page = web.client.get("/plans", params={"include_closed": "true"})
    assert [(r["Kortnavn"], r["Sluttdato"]) for r in rows_of(page.text)] == [
        ("Ola 2026", "02.03.2026 Avsluttet")  # the day it ended, and that it is closed
    ]
    assert re.search(r'name="include_closed" value="true" checked', page.text)
    # The coordinator opens it again from its manage page, linked from the row.
    assert f'href="/plans/{plan_id}/manage">Administrer plan' in page.text
    assert web.client.get(f"/plans/{plan_id}/manage").status_code == 200


def test_a_close_consent_expiry_is_said_in_days_and_a_passed_one_as_expired(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    per = web.create_user("per")
    headers = log_in(web, "kari")
    plan_id = make_plan(web, headers)  # consent expires 2026-09-30
    add_provider(web, headers, plan_id, per)

    web.clock.advance(timedelta(days=202))  # 2026-09-20
    web.page_login("per")
    [row] = rows_of(web.client.get("/plans").text)
    assert row["Samtykke utgår"] == "utgår om 10 dager"
    web.clock.advance(timedelta(days=9))
    web.page_login("per")  # the session timed out meanwhile
    [row] = rows_of(web.client.get("/plans").text)
    assert row["Samtykke utgår"] == "utgår i morgen"

    web.clock.advance(timedelta(days=2))  # 2026-10-01: the consent has expired
    web.page_login("per")
    page = web.client.get("/plans")
    assert rows_of(page.text) == []  # a provider no longer sees the plan at all
    assert "Du er ikke med i noen plan ennå" in page.text
    assert 'href="/plans?include_closed=true">Avsluttede planer er skjult' in page.text
    web.page_login("kari")
    [row] = rows_of(web.client.get("/plans").text)
    assert row["Samtykke utgår"] == "utløpt 30.09.2026"  # the coordinator renews it


def test_a_plan_quiet_for_90_days_says_so_to_its_coordinator_until_it_changes(web: Web) -> None:
    """product.md: "many plans go inactive with nobody noticing". The days count from the
    newest change the reader may read; only whoever may manage the plan is told on the
    page, where they can close it; the API gives every reader their own count."""
    web.create_user("kari", coordinator=True)
    per = web.create_user("per")
    headers = log_in(web, "kari")
    plan_id = make_plan(web, headers)
    add_provider(web, headers, plan_id, per)
    web.clock.advance(timedelta(days=89))
    web.page_login("kari")
    [row] = rows_of(web.client.get("/plans").text)
    assert "Ingen endringer" not in row["Plan endret"]
    web.clock.advance(timedelta(days=1))
    web.page_login("kari")
    [row] = rows_of(web.client.get("/plans").text)
    assert row["Plan endret"] == "Ja Ingen endringer på 90 dager"  # Ja: never opened
    headers = log_in(web, "kari")
    [item] = web.client.get(PLANS, headers=headers).json()
    assert item["quiet_days"] == 90
    web.page_login("per")
    [row] = rows_of(web.client.get("/plans").text)
    assert "Ingen endringer" not in row["Plan endret"]  # per does not manage the plan

    headers = log_in(web, "kari")
    goal = web.client.post(f"{PLANS}/{plan_id}/goals", json={"title": "Lese"}, headers=headers)
    assert goal.status_code == 201, goal.text
    [item] = web.client.get(PLANS, headers=headers).json()
    assert item["quiet_days"] == 0
    web.page_login("kari")
    [row] = rows_of(web.client.get("/plans").text)
    assert "Ingen endringer" not in row["Plan endret"]


def test_an_empty_list_says_what_to_do(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.create_user("ola")
    web.page_login("ola")
    page = web.client.get("/plans")
    assert "Når en koordinator legger deg til i en plan" in page.text
    assert "<table" not in page.text
    web.page_login("kari")
    assert "Når samtykke er gitt, lager du en plan" in web.client.get("/plans").text


def test_names_and_short_names_are_shown_as_text(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    make_plan(web, headers, short_name=hostile, owner={"first_name": hostile, "last_name": "X"})
    web.page_login("kari")
    page = web.client.get("/plans").text
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_list_needs_a_login(web: Web) -> None:
    answer = web.client.get("/plans", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fplans"


# ------------------------------------------------------------ creating a plan


def test_a_coordinator_creates_a_plan_that_appears_in_the_list(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.page_login("kari")
    form = web.client.get("/plans/new")
    assert form.status_code == 200
    assert value_of(form.text, "consent_given_on") == "2026-03-02"  # today, to start from
    assert "Alle i plangruppen får tilgang til den samme informasjonen" in form.text

    created = web.submit("/plans/new", NEW_PLAN)
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    found = re.fullmatch(r"/plans/([0-9a-f-]{36})\?saved=plan_created", location)
    assert found is not None, location
    plan = web.plans.get_plan(UUID(found.group(1)))
    assert plan.plan_type is PlanType.INDIVIDUAL_PLAN
    assert plan.short_name == "Skole 2026"
    assert (plan.start_date, plan.end_date) == (date(2026, 3, 2), date(2026, 12, 31))
    assert plan.consent.given_by == "Mor og far"
    assert plan.consent.scope == "Alle ser det samme"
    owner = web.plans.get_person(plan.owner_person_id)
    assert (owner.full_name, owner.details.birth_date) == ("Ola Nordmann", date(2015, 5, 17))

    listed = web.client.get("/plans?saved=plan_created")
    assert "Planen er laget, og du er koordinator for den." in listed.text
    [row] = rows_of(listed.text)
    assert (row["Planeier"], row["Type"], row["Kortnavn"]) == ("Nordmann, Ola", "IP", "Skole 2026")
    assert row["Sluttdato"] == "31.12.2026"


def test_the_owner_can_be_picked_from_the_directory(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    ola = web.plans.register_person(
        person("Ola", "Nordmann", workplace="Solbakken skole"), by=None
    ).person_id
    hidden = web.plans.register_person(
        person("Ola", "Skjult", restrict_search=True), by=None
    ).person_id
    web.page_login("kari")

    page = web.client.get("/plans/new", params={"owner_search": "ola"})
    assert f'value="{ola}"' in page.text
    assert "Nordmann, Ola" in page.text
    assert "Solbakken skole" in page.text
    assert str(hidden) not in page.text
    assert "Skjult" not in page.text

    typed = NEW_PLAN | {"owner_search": "nordm", "owner_first_name": "", "action": "search"}
    searched = web.submit("/plans/new", typed)
    assert searched.status_code == 200
    assert f'value="{ola}"' in searched.text
    assert value_of(searched.text, "consent_given_by") == "Mor og far"  # nothing typed is lost
    assert value_of(searched.text, "short_name") == "Skole 2026"
    assert rows_of(web.client.get("/plans").text) == []  # a search creates nothing

    created = web.submit("/plans/new", typed | {"owner_choice": str(ola), "action": "create"})
    assert created.status_code == 303, created.text
    [row] = rows_of(web.client.get("/plans").text)
    assert row["Planeier"] == "Nordmann, Ola"
    assert len(web.plans.find_persons("ola nordmann")) == 1


def test_a_likely_duplicate_owner_is_shown_before_a_second_person_is_made(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    first = web.plans.register_person(
        person("Ola", "Nordmann", birth_date=date(2015, 5, 17), position="Elev"), by=None
    ).person_id
    web.page_login("kari")

    warned = web.submit("/plans/new", NEW_PLAN)
    assert warned.status_code == 200
    assert "Er planeier allerede registrert?" in warned.text
    assert "samme navn og fødselsdato (17.05.2015)" in warned.text
    assert f'value="{first}"' in warned.text
    assert 'name="owner_confirm_new" value="yes"' in warned.text
    assert value_of(warned.text, "short_name") == "Skole 2026"
    assert rows_of(web.client.get("/plans").text) == []  # nothing made yet

    created = web.submit("/plans/new", NEW_PLAN | {"owner_confirm_new": "yes"})
    assert created.status_code == 303, created.text
    people = web.plans.find_persons("ola nordmann")
    assert len(people) == 2
    [row] = rows_of(web.client.get("/plans").text)
    assert row["Planeier"] == "Nordmann, Ola"
    owner_id = web.plans.get_plan(UUID(created.headers["location"][7:43])).owner_person_id
    assert owner_id != first


def test_choosing_the_likely_duplicate_makes_no_second_person(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    first = web.plans.register_person(
        person("Ola", "Nordmann", birth_date=date(2015, 5, 17)), by=None
    ).person_id
    web.page_login("kari")
    assert web.submit("/plans/new", NEW_PLAN).status_code == 200
    created = web.submit("/plans/new", NEW_PLAN | {"owner_choice": str(first)})
    assert created.status_code == 303, created.text
    plan = web.plans.get_plan(UUID(created.headers["location"][7:43]))
    assert plan.owner_person_id == first
    assert len(web.plans.find_persons("ola nordmann")) == 1


def test_bad_input_comes_back_with_everything_typed_and_a_message_at_the_field(
    web: Web,
) -> None:
    web.create_user("kari", coordinator=True)
    web.page_login("kari")
    cases = [
        ({"short_name": ""}, "short_name", "Fyll ut dette feltet."),
        ({"end_date": "2026-03-01"}, "end_date", "Sluttdatoen kan ikke være før startdatoen."),
        ({"owner_birth_date": "1850-01-01"}, "owner_birth_date", "Skriv en dato mellom 1900"),
        ({"start_date": "1850-01-01"}, "start_date", "Skriv en dato mellom 1900"),
        ({"consent_expires_on": "2026-02-01"}, "consent_expires_on", "Samtykket må utgå etter"),
        ({"owner_last_name": ""}, "owner_last_name", "Fyll ut dette feltet."),
        ({"owner_choice": "not-an-id"}, "owner_choice", "Velg planeier"),
    ]
    for change, name, message in cases:
        answer = web.submit("/plans/new", NEW_PLAN | change)
        assert answer.status_code == 422, (change, answer.text[:300])
        assert field_error(answer.text, name).startswith(message), change
        assert f'href="#f-{name}"' in answer.text  # the summary leads to the field
        assert value_of(answer.text, "consent_given_by") == "Mor og far"
        assert value_of(answer.text, "owner_first_name") == "Ola"
        for typed in ("short_name", "end_date", "start_date"):
            assert value_of(answer.text, typed) == (NEW_PLAN | change)[typed]
    several = web.submit("/plans/new", NEW_PLAN | {"short_name": "", "consent_given_by": ""})
    assert field_error(several.text, "short_name") == "Fyll ut dette feltet."
    assert field_error(several.text, "consent_given_by") == "Fyll ut dette feltet."
    # every wrong field of one part at once, not the first of each part
    wrong = {"consent_given_by": "", "consent_given_on": "31.02.2026", "consent_expires_on": ""}
    all_of_a_part = web.submit("/plans/new", NEW_PLAN | wrong | {"owner_last_name": ""})
    assert field_error(all_of_a_part.text, "consent_given_by") == "Fyll ut dette feltet."
    assert field_error(all_of_a_part.text, "consent_given_on") == (
        "Den datoen finnes ikke. Sjekk dag og måned."
    )
    assert field_error(all_of_a_part.text, "consent_expires_on") == "Fyll ut dette feltet."
    assert field_error(all_of_a_part.text, "owner_last_name") == "Fyll ut dette feltet."
    assert web.plans.find_persons("ola nordmann") == []  # a failed attempt leaves nobody behind
    assert rows_of(web.client.get("/plans").text) == []


def test_norwegian_dates_are_read_too(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.page_login("kari")
    typed = NEW_PLAN | {"start_date": "2.3.2026", "end_date": "31.12.2026"}
    assert web.submit("/plans/new", typed).status_code == 303
    [row] = rows_of(web.client.get("/plans").text)
    assert (row["Startdato"], row["Sluttdato"]) == ("02.03.2026", "31.12.2026")


def test_creating_a_plan_is_for_coordinators_and_needs_the_form_token(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.create_user("admin", org_admin=True)
    web.page_login("admin")
    refused = web.client.get("/plans/new")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "Ikke tillatt" in refused.text
    assert web.submit("/plans/new", NEW_PLAN).status_code == 403
    assert 'href="/plans/new"' not in web.client.get("/plans").text

    web.page_login("kari")
    assert web.submit("/plans/new", NEW_PLAN, token=False).status_code == 403
    assert web.plans.find_persons("ola nordmann") == []


# ------------------------------------------------------------------ reports


def test_reports_are_tables_for_organisation_administrators_only(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.create_user("admin", org_admin=True)
    headers = log_in(web, "kari")
    make_plan(web, headers)
    make_plan(web, headers, type="IP", short_name="Snart utløpt", consent=CONSENT_SOON)

    web.page_login("kari")
    refused = web.client.get("/reports")
    assert refused.status_code == 403
    assert 'href="/reports"' not in web.client.get("/plans").text

    web.page_login("admin")
    page = web.client.get("/reports")
    assert page.status_code == 200
    for heading in (
        "Planer etter type og status",
        "Samtykker som utgår innen 30 dager",
        "Planer uten aktivitet",
        "Aldri arkivert",
    ):
        assert heading in page.text
    rows = rows_of(page.text)
    counts = [r for r in rows if "Antall planer" in r]
    assert counts == [
        {"Type": "IP", "Status": "Åpen", "Antall planer": "1"},
        {"Type": "SL", "Status": "Åpen", "Antall planer": "1"},
    ]
    expiring = [r for r in rows if r.get("Samtykke utgår")]
    assert expiring == [
        {"Kortnavn": "Snart utløpt", "Type": "IP", "Status": "Åpen", "Samtykke utgår": "20.03.2026"}
    ]
    never = [r for r in rows if "Opprettet" in r]
    assert sorted(r["Kortnavn"] for r in never) == ["Ola 2026", "Snart utløpt"]
    assert "Planeier" not in page.text  # reports name no persons


CONSENT_SOON = {"given_by": "Mor", "given_on": "2026-03-01", "expires_on": "2026-03-20"}
