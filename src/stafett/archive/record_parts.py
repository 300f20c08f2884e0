"""The parts of a document `record.typ` lays out, and how plan items become them.

Two documents are made of these parts: the sealed record's `record.pdf` (`pdf.py`,
from the plan's whole final state) and an export of what one reader may see now
(`export.py`, from that reader's permitted view, decision 0024). The builders here
take the items themselves, never a plan's state, so an export can only show what
its view carries: a goal the view does not hold is not a title an activity or a
comment can name.

Every text from the plan or the directory passes `shown` (`record_text.py`).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import msgspec

from stafett.aggregates.values import (
    Activity,
    ArchiveRecord,
    CalendarEntry,
    Comment,
    CommentTarget,
    Consent,
    Goal,
    Message,
    Minutes,
    Rights,
)
from stafett.applications.permitted import ConsentOut
from stafett.archive.record_text import shown
from stafett.archive.record_words import Words


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


class Who:
    """Participants' display names (already `shown`); one the document does not know of
    (removed from the group an export shows, say) is "(unknown)"."""

    def __init__(self, names: Mapping[UUID, str], words: Words) -> None:
        self._names = names
        self._unknown = words["unknown_item"]

    def participant(self, participant_id: UUID) -> str:
        return self._names.get(participant_id, self._unknown)

    def participants(self, ids: Iterable[UUID]) -> str:
        return ", ".join(self.participant(i) for i in ids)


def rights_text(rights: Rights, words: Words) -> str:
    sections = ("goals", "activities", "minutes", "messages")
    parts = [f"{words['rights_' + s]}: {words.of(getattr(rights, s))}" for s in sections]
    parts.extend(
        words[f"rights_{flag}"] for flag in ("print", "edit_person") if getattr(rights, flag)
    )
    return "; ".join(parts)


def goal_items(goals: Iterable[Goal], who: Who, words: Words) -> tuple[GoalItem, ...]:
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
        for goal in goals
    )


def activity_rows(
    activities: Iterable[Activity], goals: Mapping[UUID, Goal], who: Who, words: Words
) -> tuple[ActivityRow, ...]:
    """The activities, each naming its goal when `goals` holds it (else no goal)."""
    rows = []
    for a in activities:
        status = words.of(a.status)
        if a.completed_on is not None:
            status = f"{status} {words.day(a.completed_on)}"
        goal = goals.get(a.goal_id) if a.goal_id is not None else None
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


def minutes_items(minutes: Iterable[Minutes], who: Who, words: Words) -> tuple[MinutesItem, ...]:
    return tuple(
        MinutesItem(
            met_on=words.day(m.met_on),
            attendees=who.participants(m.attendee_ids),
            notes=shown(m.notes),
            decisions=shown(m.decisions),
        )
        for m in sorted(minutes, key=lambda m: m.met_on)
    )


@dataclass(frozen=True, slots=True)
class Items:
    """The items comments can be on, by id: those the document shows."""

    goals: Mapping[UUID, Goal]
    activities: Mapping[UUID, Activity]
    minutes: Mapping[UUID, Minutes]

    def target(self, comment: Comment, words: Words) -> str:
        """What a comment is about: the kind and the title (or date) of the item."""
        title: str | None = None
        if comment.on_kind is CommentTarget.GOAL and comment.on_id in self.goals:
            title = shown(self.goals[comment.on_id].title)
        elif comment.on_kind is CommentTarget.ACTIVITY and comment.on_id in self.activities:
            title = shown(self.activities[comment.on_id].title)
        elif comment.on_kind is CommentTarget.MINUTES and comment.on_id in self.minutes:
            title = words.day(self.minutes[comment.on_id].met_on)
        return f"{words.of(comment.on_kind)}: {title or words['unknown_item']}"


def comment_entries(
    comments: Iterable[Comment], items: Items, who: Who, words: Words
) -> tuple[Entry, ...]:
    return tuple(
        Entry(
            meta=(
                Fact(words["when"], words.instant(c.posted_at)),
                Fact(words["from"], who.participant(c.author_participant_id)),
            ),
            heading=items.target(c, words),
            text=shown(c.text),
        )
        for c in comments
    )


def message_entries(messages: Iterable[Message], who: Who, words: Words) -> tuple[Entry, ...]:
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


def calendar_rows(entries: Iterable[CalendarEntry], words: Words) -> tuple[CalendarRow, ...]:
    return tuple(
        CalendarRow(
            title=shown(c.title),
            when=words.span(c.starts_at, c.ends_at),
            location=shown(c.location),
        )
        for c in sorted(entries, key=lambda c: c.starts_at)
    )


def consent_facts(consent: Consent | ConsentOut, words: Words) -> tuple[Fact, ...]:
    """The consent's facts; who gave it only when the consent says (a view shows that to
    the family and the coordinator alone)."""
    facts = [Fact(words["status"], words.of(consent.status))]
    if not isinstance(consent.given_by, msgspec.UnsetType):
        facts.append(Fact(words["given_by"], shown(consent.given_by)))
    facts += [
        Fact(words["given_on"], words.day(consent.given_on)),
        Fact(words["expires_on"], words.day(consent.expires_on)),
        Fact(words["scope"], shown(consent.scope)),
    ]
    return tuple(facts)


def archived_before(archives: Iterable[ArchiveRecord], words: Words) -> tuple[Fact, ...]:
    """The plan's earlier sealed records, each by when and its digest."""
    return tuple(
        Fact(words["archived_before"], f"{words.instant(a.archived_at)} (SHA-256 {a.digest})")
        for a in archives
    )


def details_facts(level: int | None, review_on: date | None, words: Words) -> tuple[Fact, ...]:
    """The plan's BTI level and next review date, each when it is set (decision 0051)."""
    facts = [] if level is None else [Fact(words["level"], words.level(level))]
    if review_on is not None:
        facts.append(Fact(words["review_on"], words.day(review_on)))
    return tuple(facts)
