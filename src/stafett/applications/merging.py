"""Which plan commands a page's form may apply over changes made since it was opened.

A form carries the plan version its page showed, and the plan refuses a command based
on an older version (optimistic concurrency: no one overwrites what they have not
seen). On a busy plan that refusal is mostly needless: a parent's comment does not
make the coordinator's new goal, or her revision of another goal, stale. So a page's
form is applied to the plan as it now is when nothing written since can be lost by it
(decision 0038):

- a command that only adds (a goal, an activity, minutes, a comment, a message, a
  calendar entry) overwrites nothing;
- a command that changes one goal or activity applies when no event since changed that
  item (`PlanEvent.changed_item`); where one did, field by field (`three_way`): the
  fields the person changed are written, unless someone else changed one of them to
  another value meanwhile (a clash); the fields the person left as they were keep what
  others made them (`merged`);
- every other command (participants, rights, consent, the baton, closing) needs the
  version the person saw, as before.

The command is still decided by the plan as it now is: its rules, the policy table and
the plan's status judge it there. The JSON API stays strict (a stale `If-Match` is 409,
as `api.md` says); its clients merge themselves.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

import msgspec

from stafett.aggregates.values import Activity, Goal
from stafett.applications.commands import (
    AddActivity,
    AddCalendarEntry,
    ChangeActivity,
    CompleteActivity,
    EvaluateGoal,
    PlanCommand,
    PostComment,
    RecordMinutes,
    ReviseGoal,
    SendMessage,
    SetGoal,
)

ADDS: frozenset[type[PlanCommand]] = frozenset(
    {SetGoal, AddActivity, RecordMinutes, PostComment, SendMessage, AddCalendarEntry}
)
# The command, and the field naming the goal or activity whose stated fields it changes.
CHANGES_ITEM: dict[type[PlanCommand], str] = {
    ReviseGoal: "goal_id",
    EvaluateGoal: "goal_id",
    ChangeActivity: "activity_id",
    CompleteActivity: "activity_id",
}


def applies_over(command: PlanCommand, changed: Collection[UUID]) -> bool:
    """Whether `command`, written against an older version, may be given to the plan as
    it now is, where `changed` holds the goals and activities changed since. By the
    command's exact class: any other command, a subclass of these too, needs the version
    the person saw (deny by default)."""
    kind = type(command)
    if kind in ADDS:
        return True
    item_field = CHANGES_ITEM.get(kind)
    return item_field is not None and getattr(command, item_field) not in changed


# ------------------------------------------------------------- field by field

Item = Goal | Activity
C = TypeVar("C", bound=PlanCommand)
# The fields of its goal or activity that a page's change sets (each named as on the item).
ITEM_FIELDS: dict[type[PlanCommand], tuple[str, ...]] = {
    ReviseGoal: ("title", "description", "due_on"),
    ChangeActivity: (
        "title",
        "description",
        "responsible_participant_id",
        "due_on",
        "goal_id",
        "status",
    ),
    EvaluateGoal: ("status",),  # an evaluation always sets the goal's status
}
ITEM_KIND: dict[type[PlanCommand], type[Item]] = {
    ReviseGoal: Goal,
    ChangeActivity: Activity,
    EvaluateGoal: Goal,
}
# Those whose fields left as they were can be left out (a field left out keeps its value).
NARROWS: frozenset[type[PlanCommand]] = frozenset({ReviseGoal, ChangeActivity})


def item_of(command: PlanCommand) -> UUID | None:
    """The goal or activity `command` changes (None for any other command)."""
    item_field = CHANGES_ITEM.get(type(command))
    return None if item_field is None else getattr(command, item_field)


@dataclass(frozen=True, slots=True)
class ThreeWay:
    """One goal's or activity's fields three ways: as the person's form was opened on
    (`then`), as the plan has them now, and as the person's command sets them."""

    sets: dict[str, Any]  # what the command sets, by field
    mine: frozenset[str]  # the fields the person changed (their value is not the one then)
    theirs: frozenset[str]  # the fields someone else changed since then
    clashes: frozenset[str]  # those it would write over another's change to another value
    narrows: bool  # whether the fields the person left as they were can be left out


def three_way(command: PlanCommand, then: Item | None, now: Item | None) -> ThreeWay | None:
    """`command`, written against its goal or activity as it stood `then`, compared with
    the item `now`. A clash is a field the command writes that someone else changed
    meanwhile to a value other than the command's. None for any command but those of
    `ITEM_FIELDS` (by exact class), and for an item that was not there then or is not now."""
    kind = type(command)
    item_kind = ITEM_KIND.get(kind)
    if item_kind is None or not isinstance(then, item_kind) or not isinstance(now, item_kind):
        return None
    names = ITEM_FIELDS[kind]
    sets = {n: v for n in names if (v := getattr(command, n)) is not msgspec.UNSET}
    mine = frozenset(n for n, v in sets.items() if v != getattr(then, n))
    theirs = frozenset(n for n in names if getattr(then, n) != getattr(now, n))
    narrows = kind in NARROWS
    written = mine if narrows else frozenset(sets)
    clashes = frozenset(n for n in written & theirs if sets[n] != getattr(now, n))
    return ThreeWay(sets, mine, theirs, clashes, narrows)


def merged(command: C, then: Item | None, now: Item | None) -> C | None:
    """`command`, whose item changed since the version it was written against, as it may
    be given to the plan as it now is: with only the fields the person changed (the
    others keep what someone else made them), when none of them clashes. None when one
    does, when a change changes nothing, and where `three_way` has no answer."""
    compared = three_way(command, then, now)
    if compared is None or compared.clashes or (compared.narrows and not compared.mine):
        return None  # a change that changes nothing is not one (`Changes.check`)
    if not compared.narrows:
        return command
    left = {n: msgspec.UNSET for n in compared.sets if n not in compared.mine}
    return msgspec.structs.replace(command, **left)
