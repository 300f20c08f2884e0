"""The person directory over HTTP: cross-plan fields only, hidden numbers, restricted search."""

from datetime import date, timedelta
from uuid import UUID

import pytest

from stafett.aggregates.person import PersonDetails
from stafett.aggregates.values import Consent, PlanType, local_date
from stafett.applications.accounts import OtpChannel
from stafett.applications.parts import ConsentIn, CreatePlan, PersonIn
from tests.e2e.conftest import PASSWORD, Web
from tests.e2e.test_logging import captured_json_logs, lines

PERSONS = "/api/v1/persons"
KEYS = {
    "person_id",
    "first_name",
    "last_name",
    "workplace",
    "position",
    "email",
    "phone",
    "mobile",
    "fax",
}


def register(web: Web, first: str, last: str, **more: object) -> UUID:
    details = PersonDetails(first_name=first, last_name=last, **more)  # type: ignore[arg-type]
    return web.plans.register_person(details, by=None).person_id


@pytest.fixture
def searcher(web: Web) -> UUID:
    me = web.create_user("kari", coordinator=True)
    web.login("kari")
    return me


def search(web: Web, name: str) -> list[dict[str, str]]:
    response = web.client.get(PERSONS, params={"name": name})
    assert response.status_code == 200, response.text
    body: list[dict[str, str]] = response.json()
    return body


def test_a_person_is_found_with_cross_plan_fields_only(web: Web, searcher: UUID) -> None:
    ola = register(
        web,
        "Ola",
        "Fjellheim",
        birth_date=date(2015, 5, 1),
        workplace="Solbakken skole",
        position="Lærer",
        email="ola@example.no",
        mobile="+4791234567",
        phone="+4722334455",
        street_address="Storgata 1",
        postcode="0155",
        place="Oslo",
    )
    today = local_date(web.plans.clock())
    plan_id = web.plans.create_plan(
        CreatePlan(
            type=PlanType.RELAY_LOG,
            short_name="Planens kortnavn",
            start_date=today,
            owner=PersonIn.of(ola),
            consent=ConsentIn.of(
                Consent(
                    given_by="Mor",
                    given_on=today,
                    expires_on=today + timedelta(days=90),
                    scope="Alt",
                )
            ),
        ),
        by=searcher,
    ).plan_id

    found = search(web, "fjellheim")

    assert found == [
        {
            "person_id": str(ola),
            "first_name": "Ola",
            "last_name": "Fjellheim",
            "workplace": "Solbakken skole",
            "position": "Lærer",
            "email": "ola@example.no",
            "phone": "+4722334455",
            "mobile": "+4791234567",
            "fax": "",
        }
    ]
    response = web.client.get(PERSONS, params={"name": "fjellheim"})
    for leaked in (str(plan_id), "Planens kortnavn", "owner", "2015", "Storgata", "0155"):
        assert leaked not in response.text


def test_hidden_numbers_are_answered_as_no_number(web: Web, searcher: UUID) -> None:
    register(web, "Hanne", "Skjult", mobile="+4798765432", phone="+4722000000", hide_phone=True)
    register(web, "Mona", "Skjult", mobile="+4798765433", phone="+4722000001", hide_mobile=True)

    found = {p["first_name"]: p for p in search(web, "skjult")}

    assert set(found["Hanne"]) == set(found["Mona"]) == KEYS
    assert (found["Hanne"]["phone"], found["Hanne"]["mobile"]) == ("", "+4798765432")
    assert (found["Mona"]["phone"], found["Mona"]["mobile"]) == ("+4722000001", "")


def test_a_fax_number_is_answered_as_it_is_visible_across_plans(web: Web, searcher: UUID) -> None:
    register(web, "Frida", "Faksen", fax="+4722112233")

    [found] = search(web, "faksen")

    assert found["fax"] == "+4722112233"


def test_people_who_restrict_search_are_not_found_by_others(web: Web, searcher: UUID) -> None:
    register(web, "Synlig", "Lunde")
    register(web, "Skjermet", "Lunde", restrict_search=True)
    assert [p["first_name"] for p in search(web, "lunde")] == ["Synlig"]


def test_a_person_who_restricts_search_still_finds_themself(web: Web) -> None:
    me = web.accounts.create_account(
        username="sigrid",
        password=PASSWORD,
        details=PersonDetails(
            first_name="Sigrid",
            last_name="Skjermet",
            email="sigrid@example.no",
            restrict_search=True,
        ),
        otp_channel=OtpChannel.EMAIL,
        is_coordinator=True,
    )
    web.login("sigrid")
    assert [p["person_id"] for p in search(web, "Sigrid Skjermet")] == [str(me)]


def test_every_word_must_match_and_case_does_not_matter(web: Web, searcher: UUID) -> None:
    register(web, "Kari", "Nordmann")
    register(web, "Kari", "Sørmann")
    assert [p["last_name"] for p in search(web, "KARI nord")] == ["Nordmann"]


def test_at_most_fifty_people_are_answered(web: Web, searcher: UUID) -> None:
    for i in range(55):
        register(web, f"Mange{i:02d}", "Massesen")
    assert len(search(web, "massesen")) == 50


@pytest.mark.parametrize("name", ["a", " a ", "x" * 101, ""])
def test_a_name_outside_2_to_100_characters_is_refused(web: Web, searcher: UUID, name: str) -> None:
    response = web.client.get(PERSONS, params={"name": name})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_name_is_required(web: Web, searcher: UUID) -> None:
    assert web.client.get(PERSONS).status_code == 422


def test_the_directory_needs_a_login(web: Web) -> None:
    register(web, "Ola", "Fjellheim")
    response = web.client.get(PERSONS, params={"name": "fjellheim"})
    assert response.status_code == 401
    assert "Fjellheim" not in response.text


def test_a_search_is_logged_with_actor_and_count_but_not_the_text(web: Web, searcher: UUID) -> None:
    register(web, "Ola", "Fjellheim")
    register(web, "Per", "Fjellheim")
    with captured_json_logs() as stream:
        assert len(search(web, "fjellheim")) == 2
    records = lines(stream)
    searches = [r for r in records if r["event"] == "person_search"]
    assert [(r["actor"], r["results"]) for r in searches] == [(str(searcher), 2)]
    assert "fjellheim" not in stream.getvalue().casefold()
