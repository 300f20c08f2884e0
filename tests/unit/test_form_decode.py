"""A form decoded into its command says every wrong field at once (`pages/forms.py`)."""

import pytest

from stafett.applications.commands import AddCalendarEntry
from stafett.applications.parts import ConsentIn, PersonIn
from stafett.web.pages.forms import FormError, decode

FILL_IN = "Fyll ut dette feltet."
A_DATE = "Skriv datoen som dd.mm.åååå, eller velg en."


def refused(kind: type, fields: dict[str, str]) -> dict[str, str]:
    with pytest.raises(FormError) as caught:
        decode(kind, fields)
    return caught.value.errors


def test_every_missing_and_malformed_field_is_named_with_its_own_words() -> None:
    assert refused(ConsentIn, {}) == {
        "given_by": FILL_IN,
        "given_on": FILL_IN,
        "expires_on": FILL_IN,
    }
    wrong = {"given_by": "Mor\u202e", "given_on": "2026-13-01", "expires_on": "later"}
    errors = refused(ConsentIn, wrong)
    assert errors["given_on"] == errors["expires_on"] == A_DATE
    assert errors["given_by"] != FILL_IN  # the text rule's own refusal (a direction override)
    assert set(errors) == {"given_by", "given_on", "expires_on"}


def test_only_wrong_fields_are_named_and_optional_ones_left_out_are_not() -> None:
    errors = refused(AddCalendarEntry, {"title": "Møte", "starts_at": "soon"})
    assert errors == {"starts_at": A_DATE, "ends_at": FILL_IN}  # `location` may be left out


def test_a_rule_between_fields_still_speaks_when_each_field_alone_is_right() -> None:
    errors = refused(PersonIn, {"first_name": "Ola"})  # a new person needs a last name too
    assert errors == {"last_name": FILL_IN}
    errors = refused(PersonIn, {"first_name": "Ola", "birth_date": "17.05"})
    assert errors == {"birth_date": A_DATE}  # a field's own refusal comes first


def test_a_right_form_decodes() -> None:
    given = {"given_by": "Mor", "given_on": "2026-03-01", "expires_on": "2027-03-01"}
    assert decode(ConsentIn, given).given_by == "Mor"
