"""`record.pdf`: the part of a sealed record that people read, as PDF/A-2b (decision 0017).

`record_pdf` turns a plan's final state and its timeline into plain strings
(`RecordDocument`), a Jinja2 template with autoescaping on lays them out as HTML
(`templates/record.html`, `templates/record.css`), and WeasyPrint writes the PDF
as PDF/A-2b: XMP metadata with `pdfaid:part`/`pdfaid:conformance`, an sRGB
OutputIntent, every font embedded as a subset.

Fonts: Inter, from the npm package `inter-ui` pinned in package-lock.json (the whole
font in one file per weight: fonts split by unicode-range, as `@fontsource/inter`
ships them, share one Pango description and WeasyPrint 70 then embeds one subset's
glyphs for another's letters). `make install` unpacks its `Inter-Regular.woff2` and
`Inter-Bold.woff2` to TrueType (WOFF2 would cost seconds of unpacking on every render)
into `archive/fonts/` (package data, not in git); `record.css`
names them relative to itself, so they are found beside this module at run time.
Inter covers the Norwegian and Sámi letters (æ ø å č đ ŋ š ŧ ž and capitals), Cyrillic
and Greek. Without those files the record would silently fall back to whatever the
system has, so `FontsMissingError` is raised instead. Letters Inter lacks (Arabic,
CJK) fall back through fontconfig to the system's fonts (Debian's DejaVu), which are
embedded too.

Every text from the plan or the directory passes `shown`: control characters,
text-direction overrides and other characters that are not text become a visible
`[U+XXXX]`, so that what a reader sees is what was stored; the template's
autoescaping makes markup such as `<script>` literal text.
"""

import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from uuid import UUID

import jinja2
import weasyprint

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
from stafett.archive.record_words import Words

PDF_VARIANT = "pdf/a-2b"
HERE = Path(__file__).parent
FONT_DIR = HERE / "fonts"
FONT_FILES = ("Inter-Regular.ttf", "Inter-Bold.ttf")  # as record.css names them
TEMPLATE_DIR = HERE / "templates"

# What a reader must see rather than have act on the text: C0/C1 controls (newline and
# tab excepted), bidirectional embeddings and overrides, lone surrogates, non-characters.
_NOT_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\ud800-\udfff\ufffe\uffff]")


class FontsMissingError(RuntimeError):
    """The record's fonts are not installed beside the package (`make install` copies them)."""


def shown(text: str) -> str:
    """`text` with every character that is not plain text written as a visible code point."""
    return _NOT_TEXT.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


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
    """Everything `record.html` shows, as strings already fit to be shown."""

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
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _require_fonts() -> None:
    if not all((FONT_DIR / name).is_file() for name in FONT_FILES):
        raise FontsMissingError(
            f"record.pdf needs the Inter fonts in {FONT_DIR}; run `make install`"
        )


def render_html(document: RecordDocument) -> str:
    labels = Words(document.language).labels()
    return _templates().get_template("record.html").render(doc=document, t=labels)


def record_pdf(
    state: PlanState,
    *,
    names: Mapping[UUID, str],
    timeline: Sequence[TimelineEntry],
    sealed_at: datetime,
    language: str = "nb",
) -> bytes:
    """The plan as a PDF/A-2b document for people: cover, every section, the timeline."""
    _require_fonts()
    document = record_document(
        state, names=names, timeline=timeline, sealed_at=sealed_at, language=language
    )
    fonts = weasyprint.text.fonts.FontConfiguration()
    stylesheets = [weasyprint.CSS(filename=str(TEMPLATE_DIR / "record.css"), font_config=fonts)]
    html = weasyprint.HTML(string=render_html(document), base_url=str(TEMPLATE_DIR))
    with warnings.catch_warnings():
        # WeasyPrint 70 reads its bundled sRGB profile (the OutputIntent's) from a file
        # it never closes; the profile's bytes are read, only the warning is lost.
        warnings.filterwarnings("ignore", r"unclosed file .*sRGB2014\.icc", ResourceWarning)
        pdf: bytes = html.write_pdf(
            stylesheets=stylesheets, font_config=fonts, pdf_variant=PDF_VARIANT
        )
    return pdf
