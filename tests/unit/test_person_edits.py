"""A details form changes only what was edited in it (`web/pages/person_edits.py`)."""

from dataclasses import replace

from stafett.aggregates.person import PersonDetails
from stafett.web.pages.person_edits import SHOWN, edits_of, form_values, shown_field

SHOWN_THEN = PersonDetails("Anne", "Nordmann", mobile="+4791234567", place="Bø")


def sent(details: PersonDetails, shown: str | None, **typed: str | bool) -> dict[str, str]:
    """The form as a browser sends it: text fields, ticked boxes only, the hidden field."""
    values = form_values(details) | typed
    form = {k: v for k, v in values.items() if not isinstance(v, bool)}
    form |= {k: "on" for k, v in values.items() if v is True}
    return form | ({SHOWN: shown} if shown is not None else {})


def test_untouched_fields_are_not_edits_even_when_stored_values_moved_on() -> None:
    stored = replace(SHOWN_THEN, mobile="+4798765432", hide_mobile=True)  # someone else's
    edits = edits_of(sent(SHOWN_THEN, shown_field(SHOWN_THEN), workplace="Skolen"), stored)
    assert edits.edited == {"workplace"}
    assert edits.clashes == {}
    assert edits.refill["mobile"] == "+4798765432"
    assert edits.refill["hide_mobile"] is True
    assert edits.refill["workplace"] == "Skolen"
    assert edits.shown == shown_field(stored)


def test_a_field_edited_here_and_changed_there_is_a_clash_unless_both_agree() -> None:
    stored = replace(SHOWN_THEN, place="Oslo", workplace="Skolen")
    form = sent(SHOWN_THEN, shown_field(SHOWN_THEN), place="Bergen", workplace="Skolen")
    edits = edits_of(form, stored)
    assert edits.edited == {"place", "workplace"}
    assert edits.clashes == {"place": "Oslo"}
    assert set(edits.messages()) == {"place"}
    assert "Oslo" in edits.messages()["place"]


def test_an_unticked_box_and_an_emptied_field_are_edits() -> None:
    shown = replace(SHOWN_THEN, hide_phone=True)
    edits = edits_of(sent(shown, shown_field(shown), hide_phone=False, place=""), shown)
    assert edits.edited == {"hide_phone", "place"}
    assert edits.clashes == {}


def test_a_form_without_a_readable_shown_field_edits_what_differs_from_the_store() -> None:
    stored = replace(SHOWN_THEN, mobile="+4798765432")
    for shown in (None, "", "not json", '{"first_name": "Anne"}', shown_field(SHOWN_THEN)[:-1]):
        edits = edits_of(sent(SHOWN_THEN, shown, workplace="Skolen"), stored)
        assert edits.edited == {"workplace", "mobile"}, shown
        assert edits.clashes == {}
    flags_as_text = shown_field(SHOWN_THEN).replace('"hide_phone":false', '"hide_phone":"x"')
    assert edits_of(sent(SHOWN_THEN, flags_as_text), stored).edited == {"mobile"}
