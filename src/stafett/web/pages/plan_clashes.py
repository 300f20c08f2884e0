"""A goal's or activity's form refused because the item changed meanwhile, as it comes back.

A form carries the plan version its page showed. When someone else changed the same
goal or activity since, and changed a field the person changed too (`merging.three_way`;
without such a clash the form was saved over their change, decision 0038), the form
comes back field by field, so that saving it again cannot undo what the other saved:

- a field the person left as it was shows what it is now, and says that someone
  else changed it;
- a field both changed, to different values, keeps what the person wrote and says
  under it what it is now, so the person chooses knowingly;
- a field only the person changed keeps what they wrote.

The item as the form was opened on is read from the plan's history, only to tell which
fields the person changed; what the form shows is the plan as the person may see it now.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

from stafett.aggregates.values import Activity, Goal, GoalStatus
from stafett.applications.commands import ChangeActivity, EvaluateGoal, PlanCommand, ReviseGoal
from stafett.applications.history import PlanHistory
from stafett.applications.merging import ITEM_FIELDS, Item, item_of, three_way
from stafett.applications.permitted import PlanOut
from stafett.web.i18n import _
from stafett.web.pages.plan_forms import Failed, form_text
from stafett.web.pages.plan_parts import labels, member_names, present

# The fields' names as each form labels them (plan/goals.html, plan/activities.html).
LABELS: dict[type[PlanCommand], dict[str, Callable[[], str]]] = {
    ReviseGoal: {
        "title": lambda: _("Goal"),
        "description": lambda: _("Description"),
        "due_on": lambda: _("Due date"),
    },
    EvaluateGoal: {"status": lambda: _("Status after the evaluation")},
    ChangeActivity: {
        "title": lambda: _("Activity"),
        "description": lambda: _("Description"),
        "responsible_participant_id": lambda: _("Responsible"),
        "due_on": lambda: _("Due date"),
        "goal_id": lambda: _("Belongs to the goal"),
        "status": lambda: _("Status"),
    },
}
CHOICES = ("responsible_participant_id", "goal_id", "status")  # drawn as a select


def shown_back(
    history: PlanHistory,
    plan_id: UUID,
    failed: Failed,
    command: PlanCommand,
    view: PlanOut,
    *,
    reader: UUID,
) -> Failed:
    """`failed` (a conflict) field by field, where `command` changes one goal or activity
    that stood in the plan when the form was opened and stands in the view now; as it
    is otherwise."""
    item_id = item_of(command)
    seen = command.expected_version
    if item_id is None or seen is None or seen >= view.version or type(command) not in ITEM_FIELDS:
        return failed  # a version not reached yet (a form made by hand) has no item then
    now = _item_in(view, item_id)
    if now is None:
        return failed
    then = history.item_as_of(plan_id, item_id, seen, reader=reader)  # what they could see
    compared = three_way(command, then, now)
    if compared is None:
        return failed
    values = dict(failed.values)
    errors = dict(failed.errors)
    for name in ITEM_FIELDS[type(command)]:
        if name not in compared.mine:
            values[name] = form_text(getattr(now, name))
        elif name in compared.clashes:
            label = LABELS[type(command)][name]()
            errors[name] = _clash(label, _shown(view, name, getattr(now, name)), name in CHOICES)
    updated = frozenset(compared.theirs - compared.mine)
    return replace(failed, values=values, errors=errors, updated=updated)


def _item_in(view: PlanOut, item_id: UUID) -> Item | None:
    """The goal or activity as the person may see it now (None if they may not)."""
    for part in ("goals", "activities"):
        for item in present(view, part) or ():
            if isinstance(item, Goal) and item.goal_id == item_id:
                return item
            if isinstance(item, Activity) and item.activity_id == item_id:
                return item
    return None


def _shown(view: PlanOut, name: str, value: Any) -> str:
    """A field's value as the page writes it: a date as dd.mm.yyyy, a participant or a
    goal by name, a status in words; "" for none."""
    if name == "responsible_participant_id":
        return member_names(view)[value]
    if name == "goal_id":
        titles = {g.goal_id: g.title for g in present(view, "goals") or ()}
        return titles.get(value, "") if value is not None else _("No goal")
    if name == "status":
        return labels()["goal" if isinstance(value, GoalStatus) else "activity"][value]
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return "" if value is None else str(value)


def _clash(label: str, now: str, choice: bool) -> str:
    """What someone else made the field `label` meanwhile (`now`, as the page writes it),
    and what to do; the words of the person details' clashes (decision 0037)."""
    if not now:
        return _(
            "Someone else emptied “%(field)s” while you were writing. Your text is kept "
            "here: save again to use it."
        ) % {"field": label}
    if choice:
        return _(
            "Someone else changed “%(field)s” while you were writing; it is now “%(value)s”. "
            "Your choice is kept here: save again to use it."
        ) % {"field": label, "value": now}
    return _(
        "Someone else changed “%(field)s” while you were writing; it is now “%(value)s”. "
        "Your text is kept here: save again to use it."
    ) % {"field": label, "value": now}
