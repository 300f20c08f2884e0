"""Every consumer of the policy table inside a plan follows a changed row.

The aggregate's commands, the permitted view (with whom an item may be addressed to,
decision 0049), who is told of an event and who gets a reminder all ask
`PlanState.decision`; the plan list's SQL follows the same table
(tests/integration/test_plan_list.py). Here one row is taken out of the table in force
(providers reading a section under valid consent) and each consumer must refuse the
provider what it allowed with the row in place.
"""

from datetime import timedelta
from uuid import UUID

import pytest

from stafett.aggregates import policy
from stafett.aggregates.errors import NotPermittedError
from stafett.aggregates.notices import notices_for
from stafett.aggregates.plan import Plan
from stafett.aggregates.policy import Action, Standing
from stafett.aggregates.reminders import reminder_notices, reminders_of
from stafett.aggregates.values import (
    Activity,
    NoticeChannel,
    NotificationChoices,
    ReminderKind,
    Section,
)
from stafett.applications.permitted import permitted_view
from tests.unit.test_permitted_view import COORDINATOR, PROVIDER_A, new_plan
from tests.unit.test_permitted_view import START as AT

PROVIDER = PROVIDER_A
PROVIDER_PARTICIPANT = UUID(int=111)  # new_plan's participant for PROVIDER_A
EVERY_CHANGE = NotificationChoices(new_goal_or_activity=(NoticeChannel.EMAIL,))


def plan_with_a_provider() -> Plan:
    """The permitted-view tests' plan, whose provider may write every section, chose
    e-mail notices of new goals and activities, and is responsible for an activity due
    on the plan's first day."""
    plan = new_plan()
    plan.choose_notifications(
        by=PROVIDER, at=AT, participant_id=PROVIDER_PARTICIPANT, choices=EVERY_CHANGE
    )
    plan.add_activity(
        by=COORDINATOR,
        at=AT,
        activity=Activity(UUID(int=201), "Samtale", "", PROVIDER_PARTICIPANT, AT.date(), None),
    )
    return plan


def what_the_provider_gets(plan: Plan) -> dict[str, object]:
    """What each consumer grants the provider: reading goals through a command's check,
    the sections of their view, a notice of a new goal, the overdue activity's reminder."""
    try:
        plan.permitted(PROVIDER, Action.READ_SECTION, at=AT, section=Section.GOALS)
        reads_goals = True
    except NotPermittedError:
        reads_goals = False
    view = permitted_view(
        plan.id,
        plan.version,
        plan.modified_on,
        plan.state,
        PROVIDER,
        now=AT,
        names=lambda ids: dict.fromkeys(ids, "Navn"),
    )
    plan.set_goal(
        by=COORDINATOR, at=AT, goal_id=UUID(int=301), title="Mål", description="", due_on=None
    )
    event = plan.collect_events()[-1]
    assert isinstance(event, Plan.Event)
    told = [n.person_id for n in notices_for(plan.state, event)]
    (overdue,) = [
        r
        for r in reminders_of(plan.id, plan.state, of_age=None)
        if r.kind is ReminderKind.ACTIVITY_OVERDUE
    ]
    reminded = [
        n.person_id
        for n in reminder_notices(plan.state, overdue, AT.date() + timedelta(2), of_age=None)
    ]
    (me,) = [m for m in view.participants if m.participant_id == PROVIDER_PARTICIPANT]
    return {
        "reads goals": reads_goals,
        "sections in view": sorted(s.value for s in view.me.readable),
        "may be addressed in": sorted(s.value for s in me.addressed_in),
        "told of a new goal": PROVIDER in told,
        "reminded of the overdue activity": PROVIDER in reminded,
    }


def test_every_consumer_follows_a_row_taken_out_of_the_policy_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # both plans made with the row in place (the provider's activity was theirs to read)
    before, after = plan_with_a_provider(), plan_with_a_provider()
    granted = what_the_provider_gets(before)
    assert granted == {
        "reads goals": True,
        "sections in view": sorted(s.value for s in Section),
        "may be addressed in": ["activities", "messages"],
        "told of a new goal": True,
        "reminded of the overdue activity": True,
    }

    (providers_read,) = [
        rule
        for rule in policy.RULES
        if rule.action is Action.READ_SECTION and Standing.PROVIDER in rule.standings
    ]
    monkeypatch.setattr(policy, "RULES", tuple(r for r in policy.RULES if r is not providers_read))

    assert what_the_provider_gets(after) == {
        "reads goals": False,
        "sections in view": [],
        "may be addressed in": [],
        "told of a new goal": False,
        "reminded of the overdue activity": False,
    }
