"""`record.pdf`: the part of a sealed record that people read, as PDF/A-2b (decision 0017).

`record_pdf` turns a plan's final state and its timeline into plain strings
(`RecordDocument`), and Typst lays them out from `templates/record.typ`. The strings
and the labels of the record's language reach Typst as JSON data (`sys.inputs`), never
as markup: the template only places values, so no text from the plan can act as Typst
code. Typst writes PDF/A-2b: XMP metadata with `pdfaid:part`/`pdfaid:conformance`, an
sRGB OutputIntent, every font embedded as a subset; its dates are the sealing instant.

Fonts: Inter, from the npm package `inter-ui` pinned in package-lock.json, the whole
font in one file per weight. `make install` unpacks its `Inter-Regular.woff2` and
`Inter-Bold.woff2` to TrueType into `archive/fonts/` (package data, not in git).
Typst is given these two files and nothing else (no system fonts, not the fonts built
into Typst), so the record looks the same on every machine. Inter covers the
Norwegian and Sámi letters (æ ø å č đ ŋ š ŧ ž and capitals), Cyrillic and Greek.
Without those files `FontsMissingError` is raised rather than falling back.

Every text from the plan or the directory passes `shown` (`record_text.py`): what is
not text, and every letter Inter has no glyph for, becomes a visible `[U+XXXX]`, and a
long unbroken run gets places to wrap.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Final, Unpack
from uuid import UUID

import msgspec
import typst

from stafett.aggregates.plan_state import PlanState
from stafett.aggregates.values import Comment, Message, Participant, PlanStatus
from stafett.applications.results import TimelineEntry
from stafett.archive.record_parts import (
    ActivityRow,
    CalendarRow,
    Entry,
    Fact,
    GoalItem,
    Items,
    MinutesItem,
    ParticipantRow,
    Who,
    activity_rows,
    archived_before,
    calendar_rows,
    comment_entries,
    consent_facts,
    details_facts,
    goal_items,
    message_entries,
    minutes_items,
    rights_text,
)
from stafett.archive.record_text import FONT_DIR, FontsMissingError, require_fonts, shown
from stafett.archive.record_words import Words
from stafett.archive.renderers import RecordSources

__all__ = [
    "FONT_DIR",
    "FontsMissingError",
    "RecordDocument",
    "record_data",
    "record_document",
    "record_pdf",
    "render",
    "shown",
]

PDF_STANDARD: Final = "a-2b"  # the sealed record's (decision 0017)
# The export a person downloads: tagged for screen readers (headings, tables, language,
# title), as PDF/UA-1 and PDF/A-2a, which is PDF/A-2b with that structure (decision 0057).
ACCESSIBLE_STANDARDS: Final = ("a-2a", "ua-1")
TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE = "record.typ"

# ---------------------------------------------------------------- the document


@dataclass(frozen=True, slots=True)
class TimelineRow:
    version: int
    at: str
    actor: str
    summary: str


@dataclass(frozen=True, slots=True)
class RecordDocument:
    """Everything `record.typ` shows, as strings already fit to be shown.

    A section that is None is not in the document at all, heading and all (an export
    leaves out what its reader may not read, and has no timeline); an empty one says
    "None." under its heading.
    """

    language: str
    plan_type: str
    short_name: str
    header: str
    subtitle: str  # under the title on the cover: what the document is
    about: str  # the cover's closing note
    footer: str  # on every page, beside its number
    created: str  # W3C date-time for the PDF's metadata
    cover: tuple[Fact, ...]
    participants: tuple[ParticipantRow, ...]
    consent: tuple[Fact, ...]
    goals: tuple[GoalItem, ...] | None
    activities: tuple[ActivityRow, ...] | None
    minutes: tuple[MinutesItem, ...] | None
    comments: tuple[Entry, ...]
    messages: tuple[Entry, ...] | None
    calendar: tuple[CalendarRow, ...] | None
    timeline: tuple[TimelineRow, ...] | None


# ---------------------------------------------------------------- from the plan


class _People:
    """Display names of people, shown safely; erased people say so."""

    def __init__(self, names: Mapping[UUID, str], words: Words) -> None:
        self._names = names
        self._unknown = words["unknown_person"]

    def __call__(self, person_id: UUID) -> str:
        name = self._names.get(person_id)
        return shown(name) if name else self._unknown


def _participant(p: Participant, state: PlanState, who: Who, words: Words) -> ParticipantRow:
    return ParticipantRow(
        name=who.participant(p.participant_id),
        role=words.role(p.role, coordinator=p.participant_id == state.coordinator_id),
        responsibility=shown(p.responsibility),
        rights=rights_text(state.rights_of(p), words),
        in_group=words["yes"] if p.active else words["removed"],
    )


def _cover(
    state: PlanState,
    person: _People,
    timeline: Sequence[TimelineEntry],
    sealed: str,
    words: Words,
) -> tuple[Fact, ...]:
    period = words.period(state.start_date, state.end_date)
    status = words.of(state.status)
    facts = [
        Fact(words["owner"], person(state.owner_person_id)),
        Fact(words["period"], period),
        *details_facts(state.level, state.review_on, words),
    ]
    if state.status is PlanStatus.CLOSED and state.planned_end_date is not None:
        facts.append(Fact(words["planned_end"], words.day(state.planned_end_date)))
    facts.append(Fact(words["status"], status))
    if state.closed_reason:
        facts.append(Fact(words["closed_reason"], shown(state.closed_reason)))
    coordinator = state.participants.get(state.coordinator_id)
    if coordinator is not None:
        facts.append(Fact(words["coordinator"], person(coordinator.person_id)))
    facts.append(Fact(words["sealed_at"], sealed))
    facts.append(Fact(words["events"], str(len(timeline))))
    return (*facts, *archived_before(state.archives, words))


def record_document(
    state: PlanState,
    *,
    names: Mapping[UUID, str],
    timeline: Sequence[TimelineEntry],
    sealed_at: datetime,
    language: str = "nb",
) -> RecordDocument:
    """What `record.pdf` shows of a plan, every text made safe to show (`shown`)."""
    words = Words(language)
    sealed = words.zoned(sealed_at, "sealed_at")
    person = _People(names, words)
    who = Who({p.participant_id: person(p.person_id) for p in state.participants.values()}, words)
    plan_type = words.of(state.plan_type)
    short_name = shown(state.short_name)
    # Read through the logs' public API: iteration decodes chunks once, in order.
    comments: Iterable[Comment] = state.comments
    messages: Iterable[Message] = state.messages
    return RecordDocument(
        language=language,
        plan_type=plan_type,
        short_name=short_name,
        header=f"{plan_type}: {short_name}",
        subtitle=words["record"],
        about=words["about"],
        footer=f"{words['sealed_at']} {sealed}",
        created=sealed_at.isoformat(timespec="seconds"),
        cover=_cover(state, person, timeline, sealed, words),
        participants=tuple(_participant(p, state, who, words) for p in state.participants.values()),
        consent=consent_facts(state.consent, words),
        goals=goal_items(state.goals.values(), who, words),
        activities=activity_rows(state.activities.values(), state.goals, who, words),
        minutes=minutes_items(state.minutes.values(), who, words),
        comments=comment_entries(
            comments, Items(state.goals, state.activities, state.minutes), who, words
        ),
        messages=message_entries(messages, who, words),
        calendar=calendar_rows(state.calendar.values(), words),
        timeline=tuple(
            TimelineRow(
                version=t.version,
                at=words.instant(t.at, seconds=True),
                actor=f"{shown(t.actor_name)} ({words.of(t.actor_role).lower()})",
                summary=shown(t.summary),
            )
            for t in timeline
        ),
    )


# ---------------------------------------------------------------- to PDF


@cache
def _fonts(font_dir: Path) -> typst.Fonts:
    """The fonts of `font_dir` (Inter's two files), and no other: not the system's, not Typst's."""
    return typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(font_dir)]
    )


def record_data(document: RecordDocument) -> str:
    """The JSON `record.typ` lays out: the document's strings and its language's labels."""
    labels = Words(document.language).labels()
    return msgspec.json.encode({"document": document, "labels": labels}).decode()


def record_pdf(state: PlanState, **sources: Unpack[RecordSources]) -> bytes:
    """The plan as a PDF/A-2b document for people: cover, every section, the timeline."""
    return render(record_document(state, **sources), sources["sealed_at"], tagged=False)


def render(document: RecordDocument, dated: datetime, *, tagged: bool) -> bytes:
    """`document` laid out by `record.typ`, dated `dated` (the sealing or the export):
    `tagged`, as PDF/A-2a and PDF/UA-1 with its structure for assistive technology (the
    export, decision 0057); else PDF/A-2b without (the sealed record, decision 0017).
    FontsMissingError without Inter's files."""
    require_fonts(FONT_DIR)
    pdf, warnings = typst.compile_with_warnings(
        TEMPLATE_DIR / TEMPLATE,
        root=TEMPLATE_DIR,
        font_paths=_fonts(FONT_DIR),
        sys_inputs={"data": record_data(document)},
        pdf_standards=list(ACCESSIBLE_STANDARDS) if tagged else [PDF_STANDARD],
        timestamp=dated.replace(microsecond=0),  # the PDF's dates are to the second
        # PDF/A-2b asks for none, and at 10,000 events tags nearly triple the sealed
        # record (decision 0017); a person's export is read, maybe by a screen reader
        pdf_tags=tagged,
    )
    if warnings:  # the template's own fault, whatever the data: never let it pass
        raise RuntimeError(f"record.typ: {'; '.join(w.message for w in warnings)}")
    return pdf
