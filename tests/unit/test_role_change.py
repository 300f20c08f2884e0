"""A participant's role changed after they were added (decision 0054): `Plan.change_role`,
what the plan's rules then make of them, and how the timeline and history tell it."""

import pytest

from stafett.aggregates.errors import (
    ConflictingValueError,
    NotPermittedError,
    ValidationError,
)
from stafett.aggregates.plan import Plan
from stafett.aggregates.policy import Action, Standing
from stafett.aggregates.values import Role
from stafett.applications.commands import ChangeParticipant
from stafett.applications.summaries import timeline_of
from stafett.web import i18n
from stafett.web.pages.plan_history import told
from stafett.web.pages.plan_parts import role_labels
from tests.unit.test_plan_rules import (
    FIRST_EXPIRED_INSTANT,
    LATER,
    Group,
    build_group,
    collected,
    only_event,
    refused,
)


@pytest.fixture
def group() -> Group:
    return build_group()


def test_a_relative_becomes_a_provider_and_keeps_what_was_theirs(group: Group) -> None:
    before = group.plan.state.participants[group.relative_pid]
    group.plan.change_role(
        by=group.coordinator, at=LATER, participant_id=group.relative_pid, role=Role.PROVIDER
    )
    event = only_event(group.plan)
    assert isinstance(event, Plan.RoleChanged)
    assert event.TOPIC == "stafett.plan:RoleChanged"
    assert (event.participant_id, event.role) == (group.relative_pid, Role.PROVIDER)
    after = group.plan.state.participants[group.relative_pid]
    assert after.role is Role.PROVIDER
    # the same participant: person, responsibility and rights as they were
    assert (after.person_id, after.responsibility, after.rights) == (
        before.person_id,
        before.responsibility,
        before.rights,
    )
    assert group.plan.state.standing_of(group.relative) == (Standing.PROVIDER, after)


def test_a_provider_becomes_a_relative(group: Group) -> None:
    group.plan.change_role(
        by=group.coordinator, at=LATER, participant_id=group.provider_pid, role=Role.RELATIVE
    )
    assert isinstance(only_event(group.plan), Plan.RoleChanged)
    assert group.plan.state.standing_of(group.provider)[0] is Standing.RELATIVE


def test_the_new_role_decides_what_a_lapsed_consent_allows(group: Group) -> None:
    """Providers need valid consent to open the plan; relatives do not (the policy table)."""
    state = group.plan.state

    def opens(person: object) -> bool:
        participant = state.standing_of(person)[1]  # type: ignore[arg-type]
        return state.decision(participant, Action.OPEN, consent_valid=False).allowed

    assert opens(group.relative)
    assert not opens(group.provider)
    group.plan.change_role(
        by=group.coordinator, at=LATER, participant_id=group.relative_pid, role=Role.PROVIDER
    )
    group.plan.change_role(
        by=group.coordinator, at=LATER, participant_id=group.provider_pid, role=Role.RELATIVE
    )
    state = group.plan.state
    assert not opens(group.relative)
    assert opens(group.provider)


def test_the_same_role_again_triggers_no_event(group: Group) -> None:
    version = group.plan.version
    group.plan.change_role(
        by=group.coordinator, at=LATER, participant_id=group.relative_pid, role=Role.RELATIVE
    )
    # the coordinator's own stored role too: nothing changes, nothing is refused
    group.plan.change_role(
        by=group.coordinator, at=LATER, participant_id=group.coordinator_pid, role=Role.PROVIDER
    )
    assert group.plan.version == version
    assert group.plan.pending_events == []


@pytest.mark.parametrize("role", [Role.OWNER, Role.COORDINATOR])
def test_nobody_becomes_the_owner_or_the_coordinator_by_a_role(group: Group, role: Role) -> None:
    with refused(group.plan, ValidationError, "role"):
        group.plan.change_role(
            by=group.coordinator, at=LATER, participant_id=group.relative_pid, role=role
        )


@pytest.mark.parametrize("role", [Role.RELATIVE, Role.PROVIDER])
def test_the_owners_role_does_not_change(group: Group, role: Role) -> None:
    with refused(group.plan, ConflictingValueError, "role"):
        group.plan.change_role(
            by=group.coordinator, at=LATER, participant_id=group.owner_pid, role=role
        )


def test_the_coordinators_role_does_not_change_while_they_hold_the_baton(group: Group) -> None:
    with refused(group.plan, ConflictingValueError, "role"):
        group.plan.change_role(
            by=group.coordinator, at=LATER, participant_id=group.coordinator_pid, role=Role.RELATIVE
        )


def test_a_provider_offered_the_baton_keeps_the_role_until_the_offer_ends(group: Group) -> None:
    group.plan.offer_baton(by=group.coordinator, at=LATER, participant_id=group.provider_pid)
    group.plan.collect_events()
    with refused(group.plan, ConflictingValueError, "role"):
        group.plan.change_role(
            by=group.coordinator, at=LATER, participant_id=group.provider_pid, role=Role.RELATIVE
        )
    group.plan.end_baton_offer(by=group.coordinator, at=LATER)
    group.plan.change_role(
        by=group.coordinator, at=LATER, participant_id=group.provider_pid, role=Role.RELATIVE
    )
    assert isinstance(group.plan.collect_events()[-1], Plan.RoleChanged)


def test_a_relative_made_provider_may_then_be_offered_the_baton(group: Group) -> None:
    with refused(group.plan, ConflictingValueError, "participant_id"):
        group.plan.offer_baton(by=group.coordinator, at=LATER, participant_id=group.relative_pid)
    group.plan.change_role(
        by=group.coordinator, at=LATER, participant_id=group.relative_pid, role=Role.PROVIDER
    )
    group.plan.offer_baton(by=group.coordinator, at=LATER, participant_id=group.relative_pid)
    assert group.plan.state.baton_offered_to == group.relative_pid


def test_only_the_coordinator_changes_a_role_even_with_every_right(group: Group) -> None:
    """Rights are per section; a role is the plan group's, which only the coordinator manages."""
    with refused(group.plan, NotPermittedError):
        group.plan.change_role(
            by=group.provider, at=LATER, participant_id=group.relative_pid, role=Role.PROVIDER
        )


def test_one_save_changes_role_rights_and_responsibility_or_nothing(group: Group) -> None:
    change = ChangeParticipant(
        participant_id=group.relative_pid, role="provider", responsibility="Morfar"
    )
    change.run(group.plan, group.coordinator, LATER, group.relative_pid)
    events = group.plan.collect_events()
    assert [type(e) for e in events] == [Plan.RoleChanged, Plan.ParticipantChanged]
    # refused in the middle (the owner's role): nothing of the save is kept
    change = ChangeParticipant(participant_id=group.owner_pid, role="relative", responsibility="x")
    with refused(group.plan, ConflictingValueError):
        change.run(group.plan, group.coordinator, LATER, group.owner_pid)


def test_a_new_role_asks_for_a_step_up_as_new_rights_do(group: Group) -> None:
    assert ChangeParticipant(participant_id=group.relative_pid, role="provider").needs_step_up()
    assert not ChangeParticipant(
        participant_id=group.relative_pid, responsibility="x"
    ).needs_step_up()


def test_the_timeline_and_the_history_say_whose_role_became_what(group: Group) -> None:
    names = {group.coordinator: "Kari", group.relative: "Per"}
    group.plan.change_role(
        by=group.coordinator, at=LATER, participant_id=group.relative_pid, role=Role.PROVIDER
    )
    events = collected(group.plan)
    members = {p.participant_id: p.person_id for p in group.plan.state.participants.values()}
    [anonymous] = timeline_of(events, names)
    [named] = timeline_of(events, names, members)
    assert named.summary == "Deltakerens rolle endret til tjenesteyter"
    assert named.role is Role.PROVIDER
    with i18n.language("nb"):
        assert (
            told(named, role_labels()).sentence == "Kari (koordinator) gjorde Per til tjenesteyter"
        )
        assert told(anonymous, role_labels()).sentence == (
            "Kari (koordinator) gjorde en deltaker til tjenesteyter"
        )
    with i18n.language("en"):
        assert told(named, role_labels()).sentence == (
            "Kari (coordinator) changed the role of Per to service provider"
        )


def test_a_role_changed_under_a_lapsed_consent_is_still_the_coordinators_to_change(
    group: Group,
) -> None:
    """Managing the plan group needs no valid consent (the policy's `manage` row)."""
    group.plan.change_role(
        by=group.coordinator,
        at=FIRST_EXPIRED_INSTANT,
        participant_id=group.relative_pid,
        role=Role.PROVIDER,
    )
    assert isinstance(only_event(group.plan), Plan.RoleChanged)
