"""record.pdf: a plan made through the application on the in-memory store, rendered once.

Read back with pypdf: the text people see (owner, every goal, Sámi letters, hostile
text as literal text, page numbers, header), and what makes it PDF/A (the XMP
declaration, the sRGB OutputIntent, every font embedded).
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from pypdf import PdfReader

from stafett.aggregates.plan import Plan
from stafett.aggregates.plan_state import PlanState
from stafett.aggregates.values import (
    Access,
    ActivityStatus,
    CommentTarget,
    ConsentStatus,
    GoalStatus,
    PlanStatus,
    PlanType,
    Rights,
    Role,
)
from stafett.applications.commands import (
    AddActivity,
    AddCalendarEntry,
    AddParticipant,
    ClosePlan,
    CompleteActivity,
    EvaluateGoal,
    PostComment,
    RecordMinutes,
    RemoveParticipant,
    SendMessage,
    SetGoal,
)
from stafett.applications.parts import CommentOn, ConsentIn, CreatePlan, PersonIn, RightsIn
from stafett.applications.plans import PlanApplication
from stafett.applications.results import TimelineEntry
from stafett.archive import pdf
from stafett.archive.pdf import FontsMissingError, record_data, record_pdf, shown
from stafett.archive.record_words import Words
from stafett.bootstrap import build_plans
from stafett.settings import Settings
from tests.conftest import ManualClock, consent_for, person
from tests.pdfa import assert_declares_pdfa_2b, assert_fonts_embedded_and_inter

SEALED_AT = datetime(2026, 9, 1, 10, 30, tzinfo=UTC)  # 12:30 in Oslo (summer time)
OWNER = "Ánte Niillas Čuđe"
SAMI = "Æ Ø Å æ ø å č đ ŋ š ŧ ž Č Đ Ŋ Š Ŧ Ž"
HOSTILE_GOAL = '<script>alert("mål")</script>'
HOSTILE_COMMENT = "</div></td><b>ikke fet</b> & mer"
# Typst's markup and code, which the template must show as the characters they are.
TYPST_GOAL = "#set page(width: 2cm) *fet* _kursiv_ $x^2$ @ref <merke> [lenke] \\ `kode`"
TYPST_COMMENT = '#import "/record.typ": doc\n#eval("1 + 1") #read("/record.typ") \\#x ]['
TYPST_NAME = "Vikar #strong[fet] $y$"
GOALS = ("Ánte leser med glede", f"Språk: {SAMI}", HOSTILE_GOAL, TYPST_GOAL)


@dataclass(frozen=True)
class Sample:
    plan_id: UUID
    state: PlanState
    names: dict[UUID, str]
    timeline: list[TimelineEntry]

    def render(self, **changes: Any) -> bytes:
        arguments: dict[str, Any] = {
            "names": self.names,
            "timeline": self.timeline,
            "sealed_at": SEALED_AT,
        } | changes
        state = arguments.pop("state", self.state)
        return record_pdf(state, **arguments)


def build_sample(plans: PlanApplication, clock: ManualClock) -> Sample:
    """A closed relay log with everything a record shows, Sámi names and hostile texts."""

    def register(first: str, last: str) -> UUID:
        return plans.register_person(person(first, last), by=None).person_id

    def tick() -> None:
        clock.advance(timedelta(hours=5))

    kari = register("Kari", "Stafettholder")
    owner_first, owner_last = OWNER.rsplit(" ", 1)
    today = plans.today()
    plan_id = plans.create_plan(
        CreatePlan(
            type=PlanType.RELAY_LOG,
            short_name="Ánte – trivsel og språk",
            start_date=today,
            owner=PersonIn(first_name=owner_first, last_name=owner_last),
            consent=ConsentIn.of(consent_for(today)),
        ),
        by=kari,
    ).plan_id

    def do(command: Any, by: UUID = kari) -> UUID | None:
        tick()
        return plans.handle(plan_id, command, by=by).created_id

    mother_person = register("Siŋŋá", "Čuđe")
    mother = do(AddParticipant(person=PersonIn.of(mother_person), role="relative"))
    teacher_person = register("Žanna", "Ŧorgá-Ødegård")
    teacher = do(
        AddParticipant(
            person=PersonIn.of(teacher_person),
            role="provider",
            responsibility="Kontaktlærer\nLeseopplæring",
            rights=RightsIn.of(Rights(minutes=Access.READ, goals=Access.NONE)),
        )
    )
    gone = do(AddParticipant(person=PersonIn.of(register("Per", TYPST_NAME)), role="provider"))
    assert mother
    assert teacher
    assert gone
    do(RemoveParticipant(participant_id=gone))
    goals: list[UUID] = []
    for title in GOALS:
        goal = do(SetGoal(title=title, description=f"Beskrivelse av «{title}».", due_on=today))
        assert goal
        goals.append(goal)
    do(EvaluateGoal(goal_id=goals[0], status=GoalStatus.PARTLY_ACHIEVED, text="Bedre.\nFint."))
    do(EvaluateGoal(goal_id=goals[0], status=GoalStatus.ACHIEVED, text="Nådd i juni."))
    activity = do(
        AddActivity(
            title="Lesekvarter hver morgen",
            responsible_participant_id=teacher,
            goal_id=goals[0],
            due_on=today + timedelta(days=30),
        )
    )
    do(AddActivity(title="Samisk språkbad", responsible_participant_id=mother))
    assert activity
    do(CompleteActivity(activity_id=activity))
    minutes = do(
        RecordMinutes(
            met_on=today,
            attendee_ids=[mother, teacher],
            notes="Oppstartsmøte.\nVi ble enige om mål.",
            decisions="Žanna følger opp.",
        )
    )
    assert minutes
    do(PostComment(on=CommentOn(kind=CommentTarget.GOAL, id=goals[1]), text="Buorre! Čuđe."))
    do(PostComment(on=CommentOn(kind=CommentTarget.MINUTES, id=minutes), text=HOSTILE_COMMENT))
    do(PostComment(on=CommentOn(kind=CommentTarget.GOAL, id=goals[3]), text=TYPST_COMMENT))
    do(SendMessage(to="all", subject="Neste møte", body="Torsdag kl. 14?"), by=mother_person)
    do(SendMessage(to=[mother], subject="Lesing", body="Han leste høyt i dag."), by=teacher_person)
    start = clock.now + timedelta(days=7)
    do(
        AddCalendarEntry(
            title="Oppfølgingsmøte",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            location="Solbakken skole, rom 2",
        )
    )
    do(ClosePlan(ended_on=plans.today(), reason="Målene er nådd."))

    loaded: object = plans.repository.get(plan_id)
    assert isinstance(loaded, Plan)
    people = {p.person_id for p in loaded.state.participants.values()} | {
        loaded.state.owner_person_id
    }
    return Sample(plan_id, loaded.state, plans.person_names(people), plans.timeline(plan_id))


@pytest.fixture(scope="module")
def sample() -> Iterator[Sample]:
    clock = ManualClock()
    plans = build_plans(Settings(database_url="memory://"), clock=clock)
    try:
        yield build_sample(plans, clock)
    finally:
        plans.close()


@pytest.fixture(scope="module")
def record(sample: Sample) -> PdfReader:
    return PdfReader(BytesIO(sample.render()))


def flat(text: str) -> str:
    return " ".join(text.split())


def page_texts(reader: PdfReader) -> list[str]:
    return [flat(page.extract_text()) for page in reader.pages]


def test_the_record_holds_the_owner_and_every_goal_title_letters_intact(
    record: PdfReader, sample: Sample
) -> None:
    text = " ".join(page_texts(record))
    assert OWNER in text
    assert "Siŋŋá Čuđe" in text
    assert "Žanna Ŧorgá-Ødegård" in text
    for title in GOALS:
        assert flat(title) in text
    assert SAMI in text
    # Every section, and every event of the timeline by its summary.
    for heading in ("Deltakere", "Samtykke", "Mål", "Aktiviteter", "Møtereferater"):
        assert heading in text
    for heading in ("Kommentarer", "Meldinger", "Kalender", "Tidslinje"):
        assert heading in text
    for entry in sample.timeline:
        assert flat(shown(entry.summary)) in text


def test_the_cover_page_says_what_the_plan_is_and_when_it_was_sealed(record: PdfReader) -> None:
    cover = page_texts(record)[0]
    assert "STAFETTLOGG" in cover  # shown in capitals
    assert "Ánte – trivsel og språk" in cover
    assert OWNER in cover
    assert "Avsluttet" in cover
    assert "Målene er nådd." in cover
    assert "01.09.2026 kl. 12:30 (norsk tid)" in cover  # Oslo time, not UTC


def test_every_page_has_its_number_of_the_whole_and_later_pages_the_plan_title(
    record: PdfReader,
) -> None:
    pages = page_texts(record)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Side {number} av {len(pages)}" in text
        if number > 1:
            assert "Stafettlogg: Ánte – trivsel og språk" in text


def test_the_record_declares_pdfa_2b_in_its_xmp_and_has_an_srgb_output_intent(
    record: PdfReader,
) -> None:
    assert_declares_pdfa_2b(record, created="2026-09-01T10:30:00+00:00")  # the sealing


def test_every_font_is_embedded_and_inter_is_the_one_used(record: PdfReader) -> None:
    assert_fonts_embedded_and_inter(record)


def test_hostile_text_is_literal_text_not_markup(record: PdfReader, sample: Sample) -> None:
    text = " ".join(page_texts(record))
    for hostile in (HOSTILE_GOAL, HOSTILE_COMMENT, TYPST_GOAL, TYPST_COMMENT, TYPST_NAME):
        assert flat(hostile) in text
    assert f"Mål: {TYPST_GOAL}" in text  # what the comment is about, literal too
    # The texts reach Typst as JSON data, as they were stored; the template places them
    # as values and never reads a string as markup or code.
    document = pdf.record_document(
        sample.state, names=sample.names, timeline=sample.timeline, sealed_at=SEALED_AT
    )
    data = json.loads(record_data(document))
    goals = [goal["title"] for goal in data["document"]["goals"]]
    assert goals == list(GOALS)
    assert TYPST_COMMENT in [c["text"] for c in data["document"]["comments"]]
    lines = (pdf.TEMPLATE_DIR / pdf.TEMPLATE).read_text().splitlines()
    code = "\n".join(line.split("//")[0] for line in lines)  # without its comments
    assert "json(bytes(sys.inputs.data))" in code
    for reads_text_as_code in ("eval(", "read(", "include", "import"):
        assert reads_text_as_code not in code


def test_control_and_direction_characters_are_shown_not_obeyed(sample: Sample) -> None:
    owner = sample.state.owner_person_id
    names = sample.names | {owner: "Ola\u202egnaL\x07 Nordmann"}
    state = replace(sample.state, short_name="Plan\x00\u202dnavn")
    reader = PdfReader(BytesIO(sample.render(names=names, state=state)))
    cover = page_texts(reader)[0]
    assert "Ola[U+202E]gnaL[U+0007] Nordmann" in cover
    assert "Plan[U+0000][U+202D]navn" in cover
    assert "\u202e" not in cover
    assert shown("linje én\n\tlinje to") == "linje én\n\tlinje to"  # free text keeps these


def test_letters_inter_has_no_glyph_for_are_shown_as_code_points(sample: Sample) -> None:
    # PDF/A allows no missing glyph (Typst refuses to write one): an emoji, Arabic or
    # Chinese name is written as its code points rather than failing the seal.
    owner = sample.state.owner_person_id
    names = sample.names | {owner: "Ola 👍 محمد 中文"}
    cover = page_texts(PdfReader(BytesIO(sample.render(names=names))))[0]
    assert "Ola [U+1F44D] [U+0645][U+062D][U+0645][U+062F] [U+4E2D][U+6587]" in cover
    assert shown("Áŋŧ «æ» – ok") == "Áŋŧ «æ» – ok"  # what Inter has stays as it is


def test_a_long_unbroken_word_wraps_instead_of_running_off_the_page(sample: Sample) -> None:
    word = "Langtnavnutenmellomrom" * 8
    names = sample.names | {sample.state.owner_person_id: f"Ola {word}"}
    cover = PdfReader(BytesIO(sample.render(names=names))).pages[0].extract_text()
    assert word not in cover  # broken over lines
    assert word in "".join(cover.split())  # every letter there, in order
    assert shown(word).replace("\u200b", "") == word
    assert shown("Kontaktlærer Leseopplæring") == "Kontaktlærer Leseopplæring"


def test_the_same_plan_sealed_at_the_same_instant_gives_the_same_bytes(sample: Sample) -> None:
    first, second = sample.render(), sample.render()
    assert first == second
    # The PDF's dates are to the second, as the sealing instant is shown.
    assert sample.render(sealed_at=SEALED_AT + timedelta(microseconds=999_999)) == first
    assert sample.render(sealed_at=SEALED_AT + timedelta(seconds=1)) != first


def test_the_english_record_has_english_words(sample: Sample) -> None:
    reader = PdfReader(BytesIO(sample.render(language="en")))
    pages = page_texts(reader)
    assert "RELAY LOG" in pages[0]
    assert "2026-09-01 12:30 (Norwegian time)" in pages[0]
    text = " ".join(pages)
    for heading in ("Participants", "Goals", "Activities", "Comments", "Messages", "Timeline"):
        assert heading in text
    assert f"Page 2 of {len(pages)}" in pages[1]


def test_an_erased_person_is_named_as_erased(sample: Sample) -> None:
    names = {pid: n for pid, n in sample.names.items() if n != OWNER}
    document = pdf.record_document(
        sample.state, names=names, timeline=sample.timeline, sealed_at=SEALED_AT
    )
    assert document.cover[0].value == "(slettet person)"


def test_the_words_name_every_value_in_both_languages() -> None:
    for language in ("nb", "en"):
        words = Words(language)
        for enum in (PlanType, PlanStatus, Role, Access, ConsentStatus, GoalStatus):
            for member in enum:
                assert words.of(member)
        for member in (*ActivityStatus, *CommentTarget):
            assert words.of(member)
    assert Words("nb").labels().keys() == Words("en").labels().keys()


def test_bad_arguments_are_refused(sample: Sample) -> None:
    with pytest.raises(ValueError, match="time zone"):
        sample.render(sealed_at=datetime(2026, 9, 1, 10, 30))
    with pytest.raises(ValueError, match="nb or en"):
        sample.render(language="sv")


def test_missing_fonts_are_an_error_not_a_silent_fallback(
    sample: Sample, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pdf, "FONT_DIR", tmp_path)
    with pytest.raises(FontsMissingError, match="make install"):
        sample.render()
