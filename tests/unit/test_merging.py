"""Which commands a page's form may apply over others' changes (decision 0038)."""

from dataclasses import replace
from datetime import date
from typing import Any, TypeVar
from uuid import UUID, uuid4

import msgspec

from stafett.aggregates import plan_events
from stafett.aggregates.values import Activity, Goal, GoalStatus
from stafett.applications import commands
from stafett.applications.merging import (
    ADDS,
    CHANGES_ITEM,
    ITEM_FIELDS,
    ITEM_KIND,
    applies_over,
    merged,
    three_way,
)

T = TypeVar("T")

ID = str(uuid4())
SAMPLES: dict[type[commands.PlanCommand], dict[str, Any]] = {
    commands.SetGoal: {"title": "Lese"},
    commands.AddActivity: {"title": "Lese", "responsible_participant_id": ID},
    commands.RecordMinutes: {"met_on": "2026-03-01", "attendee_ids": [ID], "notes": "Møte"},
    commands.PostComment: {"on": {"kind": "goal", "id": ID}, "text": "Fint"},
    commands.SendMessage: {"to": "all", "subject": "Hei", "body": "Hei"},
    commands.AddCalendarEntry: {
        "title": "Møte",
        "starts_at": "2026-03-01T10:00:00+01:00",
        "ends_at": "2026-03-01T11:00:00+01:00",
    },
    commands.ReviseGoal: {"goal_id": ID, "title": "Lese mer"},
    commands.EvaluateGoal: {"goal_id": ID, "status": "achieved", "text": "Nådd"},
    commands.ChangeActivity: {"activity_id": ID, "title": "Lese mer"},
    commands.CompleteActivity: {"activity_id": ID},
    # Some that must stay strict: who is in the plan, the baton, consent, the plan's end.
    commands.RemoveParticipant: {"participant_id": ID},
    commands.HandOverCoordinator: {"participant_id": ID},
    commands.WithdrawConsent: {},
    commands.ResetConsent: {},
    commands.ClosePlan: {"ended_on": "2026-03-01"},
    commands.ReopenPlan: {},
}


def built(kind: type[commands.PlanCommand]) -> commands.PlanCommand:
    return msgspec.convert({**SAMPLES[kind], "expected_version": 3}, kind)


def test_additions_apply_over_any_change() -> None:
    for kind in ADDS:
        assert applies_over(built(kind), frozenset({uuid4(), UUID(ID)})), kind.__name__


def test_an_item_change_applies_unless_its_own_item_changed_meanwhile() -> None:
    for kind in CHANGES_ITEM:
        command = built(kind)
        assert applies_over(command, frozenset()), kind.__name__
        assert applies_over(command, frozenset({uuid4()})), kind.__name__
        assert not applies_over(command, frozenset({uuid4(), UUID(ID)})), kind.__name__


def test_every_other_command_needs_the_version_the_person_saw() -> None:
    strict = [kind for kind in SAMPLES if kind not in ADDS and kind not in CHANGES_ITEM]
    assert len(strict) == 6
    for kind in strict:
        assert not applies_over(built(kind), frozenset()), kind.__name__


def test_a_command_derived_from_a_merging_one_is_strict_until_it_is_listed() -> None:
    class ReviseGoalTwice(commands.ReviseGoal, kw_only=True):
        pass

    command = msgspec.convert({**SAMPLES[commands.ReviseGoal]}, ReviseGoalTwice)
    assert not applies_over(command, frozenset())


def test_the_events_of_goals_and_activities_name_the_item_they_change() -> None:
    item = uuid4()
    changing = {
        plan_events.GoalSet,
        plan_events.GoalRevised,
        plan_events.GoalEvaluated,
        plan_events.ActivityAdded,
        plan_events.ActivityChanged,
        plan_events.ActivityCompleted,
    }
    for kind in changing:
        event = object.__new__(kind)
        if kind in (plan_events.ActivityAdded, plan_events.ActivityChanged):
            object.__setattr__(event, "activity", _Activity(item))
        else:
            object.__setattr__(event, "goal_id", item)
            object.__setattr__(event, "activity_id", item)
        assert event.changed_item == item, kind.__name__
    others = {kind for kind in _every(plan_events.PlanEvent) if not kind.__name__.startswith("_")}
    assert plan_events.CommentPosted in others - changing
    for kind in others - changing:
        assert object.__new__(kind).changed_item is None, kind.__name__


class _Activity:
    def __init__(self, activity_id: UUID) -> None:
        self.activity_id = activity_id


def _every(base: type[T]) -> set[type[T]]:
    found: set[type[T]] = set()
    for kind in base.__subclasses__():
        found |= {kind, *_every(kind)}
    return found


# ------------------------------------------------------------- field by field

THEN = Goal(goal_id=UUID(ID), title="Lese", description="Tjue minutter", due_on=date(2026, 12, 1))


def revised(**fields: Any) -> commands.ReviseGoal:
    """The goal's form as sent: every field, those not given as the form showed them."""
    shown = {"title": THEN.title, "description": THEN.description, "due_on": THEN.due_on}
    return commands.ReviseGoal(goal_id=UUID(ID), expected_version=3, **(shown | fields))


def test_a_change_keeps_only_the_fields_the_person_changed_and_leaves_the_others_theirs() -> None:
    now = replace(THEN, description="Tretti minutter", due_on=date(2027, 3, 15))
    narrowed = merged(revised(title="Lese mer"), THEN, now)
    assert narrowed is not None
    assert narrowed.changes() == {"title": "Lese mer"}  # no old description or due date
    assert narrowed.expected_version == 3


def test_a_field_both_changed_to_different_values_clashes_and_to_the_same_does_not() -> None:
    now = replace(THEN, due_on=date(2027, 3, 15))
    sent = revised(title="Lese mer", due_on=date(2027, 4, 1))
    compared = three_way(sent, THEN, now)
    assert compared is not None
    assert compared.mine == {"title", "due_on"}
    assert compared.theirs == {"due_on"}
    assert compared.clashes == {"due_on"}
    assert merged(sent, THEN, now) is None
    assert merged(revised(due_on=date(2027, 3, 15)), THEN, now) is not None


def test_a_change_of_nothing_or_of_an_item_not_there_then_or_now_is_not_merged() -> None:
    now = replace(THEN, due_on=None)
    assert merged(revised(), THEN, now) is None  # it would only put the old values back
    assert merged(revised(title="Lese mer"), None, now) is None
    assert merged(revised(title="Lese mer"), THEN, None) is None
    other = Activity(UUID(ID), "Lese", "", uuid4(), None, None)
    assert merged(revised(title="Lese mer"), other, other) is None  # not a goal


def test_an_evaluation_is_whole_and_is_not_merged_over_another_status() -> None:
    evaluation = commands.EvaluateGoal(
        goal_id=UUID(ID), status=GoalStatus.ACTIVE, text="Går fint", expected_version=3
    )
    assert merged(evaluation, THEN, replace(THEN, title="Lese mer")) is evaluation
    achieved = replace(THEN, status=GoalStatus.ACHIEVED)
    assert merged(evaluation, THEN, achieved) is None  # it would set "active" again
    agreeing = msgspec.structs.replace(evaluation, status=GoalStatus.ACHIEVED)
    assert merged(agreeing, THEN, achieved) is agreeing


def test_only_the_listed_changes_merge_field_by_field() -> None:
    assert set(ITEM_FIELDS) == set(CHANGES_ITEM) - {commands.CompleteActivity}
    assert set(ITEM_KIND) == set(ITEM_FIELDS)
    for kind, names in ITEM_FIELDS.items():
        assert set(names) <= set(ITEM_KIND[kind].__dataclass_fields__), kind.__name__
        assert set(names) <= set(kind.__struct_fields__), kind.__name__

    class ReviseGoalTwice(commands.ReviseGoal, kw_only=True):
        pass

    now = replace(THEN, due_on=None)
    sent = msgspec.convert({"goal_id": ID, "title": "Lese mer"}, ReviseGoalTwice)
    assert merged(sent, THEN, now) is None
    assert merged(built(commands.CompleteActivity), THEN, now) is None
