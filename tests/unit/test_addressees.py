"""Items addressed to a participant go only to those who may read them (decision 0049):
a message's recipients and an activity's responsible must be able to read that section,
and "everyone" means everyone who can read the messages."""

from dataclasses import replace
from uuid import UUID, uuid4

import pytest

from stafett.aggregates.errors import ConflictingValueError, Refusal
from stafett.aggregates.plan import Plan
from stafett.aggregates.values import Access, Rights, Section
from stafett.applications.permitted import PlanOut, permitted_view
from tests.unit.test_plan_rules import AT, LATER, Group, activity, build_group, refused

NO_MESSAGES = Rights(messages=Access.NONE)
NO_ACTIVITIES = Rights(activities=Access.NONE)


def _send(group: Group, to: tuple[UUID, ...] | None) -> None:
    group.plan.send_message(
        by=group.coordinator,
        at=LATER,
        message_id=uuid4(),
        recipient_ids=to,
        subject="Hei",
        body="Hei",
    )


def test_a_message_to_everyone_leaves_out_who_may_not_read_messages() -> None:
    group = build_group(provider_rights=NO_MESSAGES)
    _send(group, None)
    [message] = group.plan.state.messages
    assert set(message.recipient_ids) == {group.owner_pid, group.relative_pid}


def test_a_message_to_everyone_includes_whoever_may_read_messages() -> None:
    group = build_group(provider_rights=Rights(messages=Access.READ))
    _send(group, None)
    [message] = group.plan.state.messages
    assert set(message.recipient_ids) == {group.owner_pid, group.relative_pid, group.provider_pid}


def test_a_message_to_someone_who_may_not_read_messages_is_refused_and_says_why() -> None:
    group = build_group(provider_rights=NO_MESSAGES)
    with refused(group.plan, ConflictingValueError, "to") as refusal:
        _send(group, (group.owner_pid, group.provider_pid))
    assert refusal.value.reason is Refusal.CANNOT_READ  # type: ignore[attr-defined]


def test_a_message_to_everyone_when_nobody_else_may_read_messages_has_no_recipient() -> None:
    group = build_group(relative_rights=NO_MESSAGES, provider_rights=NO_MESSAGES)
    group.plan.change_rights(
        by=group.coordinator, at=AT, participant_id=group.owner_pid, rights=NO_MESSAGES
    )
    group.plan.collect_events()
    with refused(group.plan, ConflictingValueError, "to") as refusal:
        _send(group, None)
    assert refusal.value.reason is Refusal.NO_RECIPIENT  # type: ignore[attr-defined]


def test_an_activity_for_someone_who_may_not_see_activities_is_refused() -> None:
    group = build_group(relative_rights=NO_ACTIVITIES)
    with refused(group.plan, ConflictingValueError, "responsible_participant_id") as refusal:
        group.plan.add_activity(
            by=group.coordinator, at=LATER, activity=activity(responsible=group.relative_pid)
        )
    assert refusal.value.reason is Refusal.CANNOT_READ  # type: ignore[attr-defined]


def test_an_activity_handed_to_someone_who_may_not_see_activities_is_refused() -> None:
    group = build_group(relative_rights=NO_ACTIVITIES)
    old = group.plan.activity(group.activity_id)
    with refused(group.plan, ConflictingValueError, "responsible_participant_id"):
        group.plan.change_activity(
            by=group.coordinator,
            at=LATER,
            activity=replace(old, responsible_participant_id=group.relative_pid),
        )


def test_an_activity_keeps_its_responsible_whose_rights_were_narrowed_since() -> None:
    """Changing another field of an activity whose responsible has since lost the
    activities is not refused for it: the responsible was right when chosen."""
    group = build_group()
    group.plan.change_rights(
        by=group.coordinator, at=AT, participant_id=group.provider_pid, rights=NO_ACTIVITIES
    )
    old = group.plan.activity(group.activity_id)
    group.plan.change_activity(
        by=group.coordinator, at=LATER, activity=replace(old, title="Samtale i uke 12")
    )
    assert group.plan.activity(group.activity_id).title == "Samtale i uke 12"


@pytest.mark.parametrize(
    ("rights", "expected"),
    [
        (Rights(), {Section.ACTIVITIES, Section.MESSAGES}),
        (NO_MESSAGES, {Section.ACTIVITIES}),
        (Rights(activities=Access.READ, messages=Access.NONE), {Section.ACTIVITIES}),
        (Rights(activities=Access.NONE, messages=Access.NONE), set()),
    ],
)
def test_the_view_says_where_each_member_can_be_addressed(
    rights: Rights, expected: set[Section]
) -> None:
    """The pages offer as recipients and responsibles only those the plan would accept:
    the view says it by the same rule (`PlanState.reads`)."""
    group = build_group(relative_rights=rights)
    view = _view(group.plan, group.provider)
    by_participant = {m.participant_id: set(m.addressed_in) for m in view.participants}
    assert by_participant[group.relative_pid] == expected
    assert by_participant[group.coordinator_pid] == {Section.ACTIVITIES, Section.MESSAGES}
    # and the plan agrees with what the view offers, for a message and an activity
    if Section.MESSAGES in expected:
        _send(group, (group.relative_pid,))
    else:
        with refused(group.plan, ConflictingValueError, "to"):
            _send(group, (group.relative_pid,))
    handed = activity(responsible=group.relative_pid)
    if Section.ACTIVITIES in expected:
        group.plan.add_activity(by=group.coordinator, at=LATER, activity=handed)
    else:
        with refused(group.plan, ConflictingValueError, "responsible_participant_id"):
            group.plan.add_activity(by=group.coordinator, at=LATER, activity=handed)


def _view(plan: Plan, person_id: UUID) -> PlanOut:
    return permitted_view(
        plan.id,
        plan.version,
        LATER,
        plan.state,
        person_id,
        now=LATER,
        names=lambda ids: dict.fromkeys(ids, "Navn"),
    )
