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
  item (`PlanEvent.changed_item`);
- every other command (participants, rights, consent, the baton, closing) needs the
  version the person saw, as before.

The command is still decided by the plan as it now is: its rules, the policy table and
the plan's status judge it there. The JSON API stays strict (a stale `If-Match` is 409,
as `api.md` says); its clients merge themselves.
"""

from collections.abc import Collection
from uuid import UUID

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
