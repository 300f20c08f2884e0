"""The person directory on a real store: registration, search, changes and erasure."""

from dataclasses import replace
from datetime import date, timedelta
from uuid import uuid4

import pytest

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.person import PersonDetails
from stafett.applications.plans import PlanApplication
from stafett.applications.results import PersonNotFoundError
from stafett.persistence.directory import DETAIL_FIELDS
from tests.conftest import ManualClock, person
from tests.integration.support import count_rows

BIRTH = date(2016, 5, 17)


def test_a_registered_person_can_be_read_back(plans: PlanApplication) -> None:
    details = person(
        "  Kari ",
        "Nordmann",
        birth_date=BIRTH,
        workplace="Solbakken skole",
        position="Sosiallærer",
        email=" kari@example.no ",
        mobile="+4791234567",
        phone="+4722334455",
        street_address="Storgata 1",
        postcode="0155",
        place="Oslo",
        hide_phone=True,
        restrict_search=True,
    )

    registered = plans.register_person(details, by=None)
    found = plans.get_person(registered.person_id)

    assert registered.likely_duplicates == ()
    assert found.person_id == registered.person_id
    assert found.details == replace(details, first_name="Kari", email="kari@example.no")
    assert found.full_name == "Kari Nordmann"
    assert plans.directory.changes_of(registered.person_id) == [("registered", DETAIL_FIELDS)]


def test_an_unknown_person_is_not_found(plans: PlanApplication) -> None:
    plans.register_person(person(), by=None)

    with pytest.raises(PersonNotFoundError):
        plans.get_person(uuid4())


def test_the_same_name_and_birth_date_is_reported_as_a_likely_duplicate(
    plans: PlanApplication,
) -> None:
    first = plans.register_person(person("Kari", "Nordmann", birth_date=BIRTH), by=None)

    second = plans.register_person(person("KARI", "nordmann", birth_date=BIRTH), by=None)
    other_day = plans.register_person(
        person("Kari", "Nordmann", birth_date=BIRTH + timedelta(days=1)), by=None
    )

    assert second.likely_duplicates == (first.person_id,)
    assert second.person_id != first.person_id
    assert other_day.likely_duplicates == ()
    assert {p.person_id for p in plans.find_persons("kari nordmann")} == {
        first.person_id,
        second.person_id,
        other_day.person_id,
    }


def test_without_a_birth_date_no_duplicates_are_reported(plans: PlanApplication) -> None:
    plans.register_person(person("Kari", "Nordmann"), by=None)
    plans.register_person(person("Kari", "Nordmann", birth_date=BIRTH), by=None)

    again = plans.register_person(person("Kari", "Nordmann"), by=None)

    assert again.likely_duplicates == ()
    assert len(plans.find_persons("Kari Nordmann")) == 3


def test_a_name_search_matches_every_word_without_regard_to_case(plans: PlanApplication) -> None:
    kari = plans.register_person(person("Kari", "Nordmann"), by=None).person_id
    ola = plans.register_person(person("Ola", "Nordmann"), by=None).person_id
    karianne = plans.register_person(person("Karianne", "Hansen"), by=None).person_id

    def found(text: str) -> set[object]:
        return {p.person_id for p in plans.directory.find_by_name(text)}

    assert found("nordmann") == {kari, ola}
    assert found("KARI") == {kari, karianne}
    assert found("kari NORD") == {kari}
    assert found("  nordmann   ola ") == {ola}
    assert found("kari hansen") == {karianne}
    assert found("kari olsen") == set()
    assert found("   ") == set()


@pytest.mark.parametrize("query", ["%", "_", "k%i", "k_ri", "%nordmann", "kari_nordmann"])
def test_percent_and_underscore_in_a_name_search_are_not_wildcards(
    plans: PlanApplication, query: str
) -> None:
    plans.register_person(person("Kari", "Nordmann"), by=None)
    plans.register_person(person("Ola", "Nordmann"), by=None)

    assert plans.directory.find_by_name(query) == []


def test_percent_and_underscore_in_a_name_search_match_themselves(
    plans: PlanApplication,
) -> None:
    plans.register_person(person("Kari", "Nordmann"), by=None)
    literal = plans.register_person(person("Anne_Marie", "Hansen"), by=None).person_id

    assert [p.person_id for p in plans.directory.find_by_name("anne_marie")] == [literal]
    assert [p.person_id for p in plans.directory.find_by_name("e_m")] == [literal]


@pytest.mark.parametrize(
    ("field", "details"),
    [
        ("email", person(email="kari@")),
        ("email", person(email="kari nordmann@example.no")),
        ("mobile", person(mobile="1234")),
        ("phone", person(phone="22 33 44")),
        ("birth_date", person(birth_date=date(2026, 3, 3))),
        ("first_name", person(first="   ")),
        ("last_name", person(last="")),
    ],
)
def test_invalid_details_are_refused_with_the_field_named_and_nothing_stored(
    plans: PlanApplication, field: str, details: PersonDetails
) -> None:
    with pytest.raises(ValidationError) as refused:
        plans.register_person(details, by=None)

    assert refused.value.field == field
    assert count_rows(plans, "persons") == 0
    assert count_rows(plans, "person_changes") == 0


@pytest.mark.parametrize("mobile", ["91234567", "912 34 567", "912-34-567", "+47 912 34 567"])
def test_a_norwegian_mobile_number_is_stored_with_the_country_code(
    plans: PlanApplication, mobile: str
) -> None:
    registered = plans.register_person(person(mobile=mobile, phone="22 33 44 55"), by=None)

    stored = plans.get_person(registered.person_id).details
    assert stored.mobile == "+4791234567"
    assert stored.phone == "+4722334455"


def test_a_foreign_number_is_kept_in_e164_form(plans: PlanApplication) -> None:
    registered = plans.register_person(person(mobile="+46 70 123 45 67"), by=None)

    assert plans.get_person(registered.person_id).details.mobile == "+46701234567"


def test_an_update_logs_the_names_of_the_changed_fields_but_never_their_values(
    plans: PlanApplication, clock: ManualClock
) -> None:
    editor = plans.register_person(person("Kari", "Stafettholder"), by=None).person_id
    anne = plans.register_person(
        person("Anne", "Nordmann", email="anne@example.no"), by=editor
    ).person_id
    old = plans.get_person(anne).details
    new = replace(old, email="anne.ny@example.no", mobile="+4798765432", hide_mobile=True)

    clock.advance()
    plans.directory.update(anne, old, new, actor_id=editor, at=clock.now)
    plans.directory.update(anne, old, new, actor_id=editor, at=clock.now)  # nothing changes

    assert plans.get_person(anne).details == new
    changes = plans.directory.changes_of(anne)
    assert changes == [
        ("registered", DETAIL_FIELDS),
        ("changed", ("email", "mobile", "hide_mobile")),
    ]
    logged = {name for _, names in changes for name in names}
    assert logged <= set(DETAIL_FIELDS)
    assert not {"anne@example.no", "anne.ny@example.no", "+4798765432"} & logged


def test_renaming_a_person_changes_how_they_are_found(
    plans: PlanApplication, clock: ManualClock
) -> None:
    anne = plans.register_person(person("Anne", "Nordmann"), by=None).person_id

    before = plans.get_person(anne).details
    renamed = replace(before, last_name="Hansen")
    plans.directory.update(anne, before, renamed, actor_id=None, at=clock.now)

    assert plans.directory.find_by_name("anne nordmann") == []
    assert [p.person_id for p in plans.directory.find_by_name("anne hansen")] == [anne]
    assert plans.directory.changes_of(anne)[-1] == ("changed", ("last_name",))


def test_changes_based_on_one_older_read_keep_each_other(
    plans: PlanApplication, clock: ManualClock
) -> None:
    """The coordinator and the person both opened the details before either saved: each
    save writes only the fields it changed, so neither puts the other's old values back."""
    anne = plans.register_person(
        person("Anne", "Nordmann", email="anne@example.no", mobile="+4791234567"), by=None
    ).person_id
    seen = plans.get_person(anne).details  # both forms were filled in from this

    own = replace(seen, mobile="+4798765432", hide_mobile=True, first_name="Anna")
    plans.directory.update(anne, seen, own, actor_id=anne, at=clock.now)
    coordinators = replace(seen, email="anne.ny@example.no", last_name="Hansen")
    saved = plans.directory.update(anne, seen, coordinators, actor_id=None, at=clock.now)

    expected = replace(
        seen,
        mobile="+4798765432",
        hide_mobile=True,
        first_name="Anna",
        email="anne.ny@example.no",
        last_name="Hansen",
    )
    assert plans.get_person(anne).details == expected
    assert saved.details == expected
    assert [p.person_id for p in plans.directory.find_by_name("anna hansen")] == [anne]
    assert plans.directory.changes_of(anne)[1:] == [
        ("changed", ("first_name", "mobile", "hide_mobile")),
        ("changed", ("last_name", "email")),
    ]


def test_an_erased_person_is_gone_but_the_change_log_keeps_that_it_happened(
    plans: PlanApplication, clock: ManualClock
) -> None:
    editor = plans.register_person(person("Kari", "Stafettholder"), by=None).person_id
    anne = plans.register_person(
        person("Anne", "Nordmann", email="anne@example.no", birth_date=BIRTH), by=editor
    ).person_id
    persons_before = count_rows(plans, "persons")

    plans.directory.erase(anne, actor_id=editor, at=clock.now, kind="erased")

    with pytest.raises(KeyError):
        plans.directory.get(anne)
    with pytest.raises(PersonNotFoundError):
        plans.get_person(anne)
    assert plans.directory.get_many([anne, editor]).keys() == {editor}
    assert plans.find_persons("anne") == []
    assert count_rows(plans, "persons") == persons_before - 1
    assert plans.directory.changes_of(anne) == [
        ("registered", DETAIL_FIELDS),
        ("erased", DETAIL_FIELDS),
    ]
    again = plans.register_person(person("Anne", "Nordmann", birth_date=BIRTH), by=editor)
    assert again.likely_duplicates == ()


def test_likely_duplicates_can_be_asked_for_before_registering(plans: PlanApplication) -> None:
    first = plans.register_person(person("Kari", "Nordmann", birth_date=BIRTH), by=None)
    plans.register_person(person("Kari", "Nordmann", birth_date=BIRTH + timedelta(days=1)), by=None)

    found = plans.likely_duplicates(person(" kari ", "NORDMANN", birth_date=BIRTH))

    assert [p.person_id for p in found] == [first.person_id]
    assert plans.likely_duplicates(person("Kari", "Nordmann")) == []
    with pytest.raises(ValidationError):
        plans.likely_duplicates(person("Kari", "Nordmann", birth_date=date(2999, 1, 1)))


def test_a_directory_from_before_the_fax_field_gets_it_on_start(plans: PlanApplication) -> None:
    directory = plans.directory
    kept = plans.register_person(person("Kari", "Nordmann"), by=None).person_id
    directory.create([f"ALTER TABLE {directory.persons} DROP COLUMN fax"])  # as it was

    directory.create_tables()
    directory.create_tables()  # a second start finds nothing to add

    assert plans.get_person(kept).details.fax == ""
    added = plans.register_person(person("Per", "Faks", fax="22 33 44 55"), by=None)
    assert plans.get_person(added.person_id).details.fax == "+4722334455"
