"""What a notice says: the kind of change, the plan unless its name names the child,
the login page; bokmål, or English when the person chose it."""

import pytest

from stafett.aggregates.values import DutyKind, NoticeKind, ReminderKind
from stafett.applications.notice_text import (
    Addressing,
    NoticeText,
    digest_text,
    notice_text,
    plan_name,
)

URL = "https://stafett.kommune.no/login"


def test_bokmal_by_default_and_english_when_chosen() -> None:
    nb = notice_text(
        NoticeKind.NEW_COMMENT, Addressing("Trivsel 2026", ("Ola", "Nordmann"), URL, None)
    )
    assert nb.subject == "Stafett: Ny kommentar i planen «Trivsel 2026»"
    assert (
        nb.body
        == f"Ny kommentar i planen «Trivsel 2026».\nLogg inn i Stafett for å lese mer: {URL}\n"
    )
    en = notice_text(NoticeKind.NEW_CALENDAR_ENTRY, Addressing("Trivsel 2026", ("Ola",), URL, "en"))
    assert en.subject == "Stafett: A new calendar entry in the plan “Trivsel 2026”"
    assert URL in en.body


@pytest.mark.parametrize(
    "short_name", ["Ola 2026", "OLAS PLAN", "Plan for Nordmann", "nordmann-ola", "  "]
)
def test_a_short_name_that_names_the_owner_or_nothing_is_left_out(short_name: str) -> None:
    assert plan_name(short_name, ("Ola", "Nordmann"), "nb") == "en plan du deltar i"
    text = notice_text(
        NoticeKind.NEW_MESSAGE, Addressing(short_name, ("Ola", "Nordmann"), URL, "nb")
    )
    assert "ola" not in (text.subject + text.body).casefold()
    assert "nordmann" not in (text.subject + text.body).casefold()


def test_every_kind_has_a_headline_in_both_languages() -> None:
    for kind in (*NoticeKind, *ReminderKind, *DutyKind):
        for language in ("nb", "en"):
            text = notice_text(kind, Addressing("X1", (), URL, language))
            assert text.subject.startswith("Stafett: ")
            assert "«X1»" in text.subject or "“X1”" in text.subject


def test_reminders_say_what_is_due_in_both_languages() -> None:
    def text(kind: ReminderKind, language: str | None) -> NoticeText:
        return notice_text(kind, Addressing("Trivsel 2026", ("Ola",), URL, language))

    consent = text(ReminderKind.CONSENT_EXPIRES_7, None)
    assert consent.subject == "Stafett: Samtykket for planen «Trivsel 2026» utløper innen 7 dager"
    late = text(ReminderKind.ACTIVITY_OVERDUE, "en")
    assert late.body == (
        "An activity you are responsible for in the plan “Trivsel 2026” is past its due date.\n"
        f"Log in to Stafett to read more: {URL}\n"
    )


def test_an_offer_of_the_baton_says_what_accepting_means_and_where_to_answer() -> None:
    nb = notice_text(DutyKind.BATON_OFFERED, Addressing("Trivsel 2026", ("Ola",), URL, None))
    assert nb.subject == "Stafett: Du er tilbudt stafettpinnen i planen «Trivsel 2026»"
    assert nb.body == (
        "Du er tilbudt stafettpinnen i planen «Trivsel 2026».\n"
        "Du blir koordinator for planen når du tar imot. "
        "Du tar imot eller avslår under Hjem i planen.\n"
        f"Logg inn i Stafett for å lese mer: {URL}\n"
    )
    declined = notice_text(
        DutyKind.BATON_OFFER_DECLINED, Addressing("Trivsel 2026", ("Ola",), URL, "en")
    )
    assert declined.body.splitlines()[1] == (
        "You are still the coordinator. You may offer the baton to another service provider."
    )
    waiting = notice_text(
        ReminderKind.BATON_OFFER_WAITING, Addressing("Trivsel 2026", ("Ola",), URL, None)
    )
    assert waiting.body.splitlines()[1] == nb.body.splitlines()[1]  # the offer's next step
    withdrawn = notice_text(DutyKind.BATON_OFFER_WITHDRAWN, Addressing("X1", (), URL, "nb"))

    assert len(withdrawn.body.splitlines()) == 2  # asks nothing: headline and login only


def test_the_owners_coming_of_age_asks_the_coordinator_to_talk_to_them_and_names_nobody() -> None:
    """Decision 0056: what the coordinator is asked to do; the owner's name is not in it
    (the plan's short name is, as in every notice, when the coordinator gave one)."""
    nb = notice_text(ReminderKind.OWNER_CAME_OF_AGE, Addressing("Trivsel 2026", (), URL, None))
    assert (
        nb.subject == "Stafett: Planeieren i planen «Trivsel 2026» bestemmer nå selv over samtykket"
    )
    assert nb.body == (
        "Planeieren i planen «Trivsel 2026» bestemmer nå selv over samtykket.\n"
        "Planeieren har nådd samtykkealderen etter at samtykket ble gitt. Snakk med "
        "planeieren om samtykket, og skriv ned samtykket planeieren gir under "
        "Administrer plan.\n"
        f"Logg inn i Stafett for å lese mer: {URL}\n"
    )
    en = notice_text(ReminderKind.OWNER_CAME_OF_AGE, Addressing("Trivsel 2026", (), URL, "en"))
    assert (
        en.subject == "Stafett: The owner of the plan “Trivsel 2026” now decides over the consent"
    )


def test_a_digest_lists_kinds_and_counts_in_a_fixed_order_and_nothing_more() -> None:
    counts = {"new_comment": 3, "activity_overdue": 1, "new_message": 2}
    nb = digest_text(counts, Addressing("Ola 2026", ("Ola",), URL, "nb"))
    assert nb.subject == "Stafett: Dette har skjedd i en plan du deltar i"
    assert nb.body == (
        "Dette har skjedd i en plan du deltar i:\n"
        "- Nye meldinger til deg: 2\n"
        "- Nye kommentarer: 3\n"
        "- Aktiviteter du har ansvar for som har passert fristen: 1\n"
        f"Logg inn i Stafett for å lese mer: {URL}\n"
    )
    en = digest_text({"new_participant": 1}, Addressing("Gruppe", (), URL, "en"))
    assert en.body.startswith("What has happened in the plan “Gruppe”:\n- New participants")
