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
from typing import Final
from uuid import UUID

import msgspec
import typst

from stafett.aggregates.plan_state import PlanState
from stafett.aggregates.values import (
    Comment,
    CommentTarget,
    Message,
    Participant,
    PlanStatus,
    Rights,
)
from stafett.applications.results import TimelineEntry
from stafett.archive.record_text import FONT_DIR, FontsMissingError, require_fonts, shown
from stafett.archive.record_words import Words

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

PDF_STANDARD: Final = "a-2b"
TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE = "record.typ"

# ---------------------------------------------------------------- the document's parts


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class ParticipantRow:
    name: str
    role: str
    responsibility: str
    rights: str
    in_group: str


@dataclass(frozen=True, slots=True)
class EvaluationItem:
    meta: str
    text: str


@dataclass(frozen=True, slots=True)
class GoalItem:
    title: str
    facts: tuple[Fact, ...]
    description: str
    evaluations: tuple[EvaluationItem, ...]


@dataclass(frozen=True, slots=True)
class ActivityRow:
    title: str
    description: str
    responsible: str
    due: str
    status: str
    goal: str


@dataclass(frozen=True, slots=True)
class MinutesItem:
    met_on: str
    attendees: str
    notes: str
    decisions: str


@dataclass(frozen=True, slots=True)
class Entry:
    """A comment or a message: a line saying when, who and what about, then the text."""

    meta: tuple[Fact, ...]
    heading: str
    text: str


@dataclass(frozen=True, slots=True)
class CalendarRow:
    title: str
    when: str
    location: str


@dataclass(frozen=True, slots=True)
class TimelineRow:
    version: int
    at: str
    actor: str
    summary: str


@dataclass(frozen=True, slots=True)
class RecordDocument:
    """Everything `record.typ` shows, as strings already fit to be shown."""

    language: str
    plan_type: str
    short_name: str
    header: str
    sealed_at: str
    created: str  # W3C date-time for the PDF's metadata
    cover: tuple[Fact, ...]
    participants: tuple[ParticipantRow, ...]
    consent: tuple[Fact, ...]
    goals: tuple[GoalItem, ...]
    activities: tuple[ActivityRow, ...]
    minutes: tuple[MinutesItem, ...]
    comments: tuple[Entry, ...]
    messages: tuple[Entry, ...]
    calendar: tuple[CalendarRow, ...]
    timeline: tuple[TimelineRow, ...]


# ---------------------------------------------------------------- from the plan


class _Names:
    """Display names of people and participants, shown safely; erased people say so."""

    def __init__(self, state: PlanState, names: Mapping[UUID, str], words: Words) -> None:
        self._names = names
        self._participants = state.participants
        self._unknown_person = words["unknown_person"]
        self._unknown_item = words["unknown_item"]

    def person(self, person_id: UUID) -> str:
        name = self._names.get(person_id)
        return shown(name) if name else self._unknown_person

    def participant(self, participant_id: UUID) -> str:
        participant = self._participants.get(participant_id)
        if participant is None:
            return self._unknown_item
        return self.person(participant.person_id)

    def participants(self, ids: Iterable[UUID]) -> str:
        return ", ".join(self.participant(i) for i in ids)


def _rights(rights: Rights, words: Words) -> str:
    sections = ("goals", "activities", "minutes", "messages")
    parts = [f"{words['rights_' + s]}: {words.of(getattr(rights, s))}" for s in sections]
    parts.extend(
        words[f"rights_{flag}"] for flag in ("print", "edit_person") if getattr(rights, flag)
    )
    return "; ".join(parts)


def _participant(p: Participant, state: PlanState, who: _Names, words: Words) -> ParticipantRow:
    role = words.of(p.role)
    if p.participant_id == state.coordinator_id:
        role = f"{role}, {words['coordinator'].lower()}"
    return ParticipantRow(
        name=who.person(p.person_id),
        role=role,
        responsibility=shown(p.responsibility),
        rights=_rights(state.rights_of(p), words),
        in_group=words["yes"] if p.active else words["removed"],
    )


def _goals(state: PlanState, who: _Names, words: Words) -> tuple[GoalItem, ...]:
    return tuple(
        GoalItem(
            title=shown(goal.title),
            facts=(
                Fact(words["status"], words.of(goal.status)),
                Fact(words["due_on"], words.day(goal.due_on)),
            ),
            description=shown(goal.description),
            evaluations=tuple(
                EvaluationItem(
                    meta=" · ".join(
                        (
                            words.day(e.evaluated_on),
                            words.of(e.status),
                            who.participant(e.by_participant_id),
                        )
                    ),
                    text=shown(e.text),
                )
                for e in goal.evaluations
            ),
        )
        for goal in state.goals.values()
    )


def _activities(state: PlanState, who: _Names, words: Words) -> tuple[ActivityRow, ...]:
    rows = []
    for a in state.activities.values():
        status = words.of(a.status)
        if a.completed_on is not None:
            status = f"{status} {words.day(a.completed_on)}"
        goal = state.goals.get(a.goal_id) if a.goal_id is not None else None
        rows.append(
            ActivityRow(
                title=shown(a.title),
                description=shown(a.description),
                responsible=who.participant(a.responsible_participant_id),
                due=words.day(a.due_on),
                status=status,
                goal=shown(goal.title) if goal is not None else "",
            )
        )
    return tuple(rows)


def _target(state: PlanState, comment: Comment, words: Words) -> str:
    """What a comment is about: the kind and the title (or date) of the item."""
    title: str | None = None
    if comment.on_kind is CommentTarget.GOAL and comment.on_id in state.goals:
        title = shown(state.goals[comment.on_id].title)
    elif comment.on_kind is CommentTarget.ACTIVITY and comment.on_id in state.activities:
        title = shown(state.activities[comment.on_id].title)
    elif comment.on_kind is CommentTarget.MINUTES and comment.on_id in state.minutes:
        title = words.day(state.minutes[comment.on_id].met_on)
    return f"{words.of(comment.on_kind)}: {title or words['unknown_item']}"


def _comments(state: PlanState, who: _Names, words: Words) -> tuple[Entry, ...]:
    # Read through the log's public API: iteration decodes chunks once, in order.
    comments: Iterable[Comment] = state.comments
    return tuple(
        Entry(
            meta=(
                Fact(words["when"], words.instant(c.posted_at)),
                Fact(words["from"], who.participant(c.author_participant_id)),
            ),
            heading=_target(state, c, words),
            text=shown(c.text),
        )
        for c in comments
    )


def _messages(state: PlanState, who: _Names, words: Words) -> tuple[Entry, ...]:
    messages: Iterable[Message] = state.messages
    return tuple(
        Entry(
            meta=(
                Fact(words["when"], words.instant(m.sent_at)),
                Fact(words["from"], who.participant(m.sender_participant_id)),
                Fact(words["to"], who.participants(m.recipient_ids)),
            ),
            heading=shown(m.subject),
            text=shown(m.body),
        )
        for m in messages
    )


def _cover(
    state: PlanState, who: _Names, timeline: Sequence[TimelineEntry], sealed: str, words: Words
) -> tuple[Fact, ...]:
    period = f"{words.day(state.start_date)} – {words.day(state.end_date)}"
    status = words.of(state.status)
    facts = [
        Fact(words["owner"], who.person(state.owner_person_id)),
        Fact(words["period"], period),
    ]
    if state.status is PlanStatus.CLOSED and state.planned_end_date is not None:
        facts.append(Fact(words["planned_end"], words.day(state.planned_end_date)))
    facts.append(Fact(words["status"], status))
    if state.closed_reason:
        facts.append(Fact(words["closed_reason"], shown(state.closed_reason)))
    coordinator = state.participants.get(state.coordinator_id)
    if coordinator is not None:
        facts.append(Fact(words["coordinator"], who.person(coordinator.person_id)))
    facts.append(Fact(words["sealed_at"], sealed))
    facts.append(Fact(words["events"], str(len(timeline))))
    facts.extend(
        Fact(words["archived_before"], f"{words.instant(a.archived_at)} (SHA-256 {a.digest})")
        for a in state.archives
    )
    return tuple(facts)


def record_document(
    state: PlanState,
    *,
    names: Mapping[UUID, str],
    timeline: Sequence[TimelineEntry],
    sealed_at: datetime,
    language: str = "nb",
) -> RecordDocument:
    """What `record.pdf` shows of a plan, every text made safe to show (`shown`)."""
    if sealed_at.tzinfo is None or sealed_at.utcoffset() is None:
        raise ValueError("sealed_at must include a time zone offset")
    words = Words(language)
    who = _Names(state, names, words)
    sealed = f"{words.instant(sealed_at)} ({words['timezone']})"
    plan_type = words.of(state.plan_type)
    short_name = shown(state.short_name)
    consent = state.consent
    return RecordDocument(
        language=language,
        plan_type=plan_type,
        short_name=short_name,
        header=f"{plan_type}: {short_name}",
        sealed_at=f"{words['sealed_at']} {sealed}",
        created=sealed_at.isoformat(timespec="seconds"),
        cover=_cover(state, who, timeline, sealed, words),
        participants=tuple(_participant(p, state, who, words) for p in state.participants.values()),
        consent=(
            Fact(words["status"], words.of(consent.status)),
            Fact(words["given_by"], shown(consent.given_by)),
            Fact(words["given_on"], words.day(consent.given_on)),
            Fact(words["expires_on"], words.day(consent.expires_on)),
            Fact(words["scope"], shown(consent.scope)),
        ),
        goals=_goals(state, who, words),
        activities=_activities(state, who, words),
        minutes=tuple(
            MinutesItem(
                met_on=words.day(m.met_on),
                attendees=who.participants(m.attendee_ids),
                notes=shown(m.notes),
                decisions=shown(m.decisions),
            )
            for m in sorted(state.minutes.values(), key=lambda m: m.met_on)
        ),
        comments=_comments(state, who, words),
        messages=_messages(state, who, words),
        calendar=tuple(
            CalendarRow(
                title=shown(c.title),
                when=words.span(c.starts_at, c.ends_at),
                location=shown(c.location),
            )
            for c in sorted(state.calendar.values(), key=lambda c: c.starts_at)
        ),
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


def record_pdf(
    state: PlanState,
    *,
    names: Mapping[UUID, str],
    timeline: Sequence[TimelineEntry],
    sealed_at: datetime,
    language: str = "nb",
) -> bytes:
    """The plan as a PDF/A-2b document for people: cover, every section, the timeline."""
    require_fonts(FONT_DIR)
    document = record_document(
        state, names=names, timeline=timeline, sealed_at=sealed_at, language=language
    )
    return render(document, sealed_at)


def render(document: RecordDocument, sealed_at: datetime) -> bytes:
    """`document` laid out by `record.typ` as PDF/A-2b, dated `sealed_at`."""
    pdf, warnings = typst.compile_with_warnings(
        TEMPLATE_DIR / TEMPLATE,
        root=TEMPLATE_DIR,
        font_paths=_fonts(FONT_DIR),
        sys_inputs={"data": record_data(document)},
        pdf_standards=[PDF_STANDARD],
        timestamp=sealed_at.replace(microsecond=0),  # the PDF's dates are to the second
        pdf_tags=False,  # PDF/A-2b asks for none; tags nearly triple the file (decision 0017)
    )
    if warnings:  # the template's own fault, whatever the data: never let it pass
        raise RuntimeError(f"record.typ: {'; '.join(w.message for w in warnings)}")
    return pdf
