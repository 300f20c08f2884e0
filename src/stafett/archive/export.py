"""An export: the plan as one reader may see it now, as a PDF for people (decision 0024).

The document is made from the reader's permitted view (`PlanOut`), the answer the API
gives them for the plan, and from nothing else: the view is encoded to JSON as it
would be sent and decoded again (`as_sent`), and every section, name and field of the
PDF comes from that. A section the reader may not read is not in the view, so it is
not in the document either, heading and all; nothing here filters the plan again.

It is laid out by `record.typ` like a sealed record's `record.pdf` (same fonts), tagged
for assistive technology as PDF/A-2a and PDF/UA-1 (decision 0057), and it says on its
cover and on every page that it is an export as seen by its reader at an instant, not a
sealed record: it has no timeline, no signature, and `stafett archive verify` knows
nothing of it.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from stafett.aggregates.values import Goal, PlanStatus
from stafett.applications.permitted import MemberOut, PlanOut
from stafett.archive.pdf import RecordDocument, render
from stafett.archive.record_parts import (
    Fact,
    Items,
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
from stafett.archive.record_text import shown
from stafett.archive.record_words import Words


def as_sent(view: PlanOut) -> PlanOut:
    """The view as its reader receives it: parts embedded as JSON (`EncodedParts`) are
    decoded to their items, so the document is made of what the JSON answer holds."""
    return msgspec.json.decode(msgspec.json.encode(view), type=PlanOut)


def _part(items: tuple[Any, ...] | msgspec.UnsetType) -> tuple[Any, ...] | None:
    """A part of the view: its items, or None when the reader may not read it."""
    return None if isinstance(items, msgspec.UnsetType) else items


def _member(member: MemberOut, words: Words) -> ParticipantRow:
    rights = member.rights  # one's own, and the coordinator sees everyone's
    return ParticipantRow(
        name=shown(member.name),
        role=words.role(member.role, coordinator=member.is_coordinator),
        responsibility=shown(member.responsibility),
        rights="" if isinstance(rights, msgspec.UnsetType) else rights_text(rights, words),
        in_group=words["yes"],
    )


def _cover(view: PlanOut, reader: str, at: str, words: Words) -> tuple[Fact, ...]:
    facts = [
        Fact(words["owner"], shown(view.owner_name)),
        Fact(words["period"], words.period(view.start_date, view.end_date)),
        *details_facts(view.level, view.review_on, words),
        Fact(words["status"], words.of(view.status)),
    ]
    if view.status is PlanStatus.CLOSED and view.closed_reason:
        facts.append(Fact(words["closed_reason"], shown(view.closed_reason)))
    facts.extend(
        Fact(words["coordinator"], shown(m.name)) for m in view.participants if m.is_coordinator
    )
    facts.append(Fact(words["exported_for"], reader))
    facts.append(Fact(words["exported_at"], at))
    return (*facts, *archived_before(view.archives, words))


def export_document(view: PlanOut, *, at: datetime, language: str = "nb") -> RecordDocument:
    """What the export of `view` shows: its reader's sections only, said to be an export
    as seen by that reader at `at`."""
    words = Words(language)
    when = words.zoned(at, "at")
    view = as_sent(view)
    names: Mapping[UUID, str] = {m.participant_id: shown(m.name) for m in view.participants}
    who = Who(names, words)
    reader = names.get(view.me.participant_id, words["unknown_person"])
    plan_type = words.of(view.type)
    short_name = shown(view.short_name)
    goals, activities, minutes, messages, calendar = (
        _part(view.goals),
        _part(view.activities),
        _part(view.minutes),
        _part(view.messages),
        _part(view.calendar),
    )
    # What comments and activities may name: the items the view holds, and no other.
    goal_by_id: Mapping[UUID, Goal] = {g.goal_id: g for g in goals or ()}
    items = Items(
        goal_by_id,
        {a.activity_id: a for a in activities or ()},
        {m.minutes_id: m for m in minutes or ()},
    )
    return RecordDocument(
        language=language,
        plan_type=plan_type,
        short_name=short_name,
        header=f"{plan_type}: {short_name}",
        subtitle=words["export"].format(name=reader, at=when),
        about=words["export_about"],
        footer=words["export_footer"].format(name=reader, at=when),
        created=at.isoformat(timespec="seconds"),
        cover=_cover(view, reader, when, words),
        participants=tuple(_member(m, words) for m in view.participants),
        consent=consent_facts(view.consent, words),
        goals=None if goals is None else goal_items(goals, who, words),
        activities=None
        if activities is None
        else activity_rows(activities, goal_by_id, who, words),
        minutes=None if minutes is None else minutes_items(minutes, who, words),
        comments=comment_entries(view.comments, items, who, words),
        messages=None if messages is None else message_entries(messages, who, words),
        calendar=None if calendar is None else calendar_rows(calendar, words),
        timeline=None,  # the history is not part of what a reader sees of the plan
    )


def export_pdf(view: PlanOut, *, at: datetime, language: str = "nb") -> bytes:
    """The export of `view` as a PDF/A-2b document dated `at`."""
    return render(export_document(view, at=at, language=language), at, tagged=True)
