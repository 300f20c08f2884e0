"""The baton offered, and passing when the new holder accepts it (decision 0052):
`Plan.offer_baton`, `accept_baton` and `end_baton_offer`, the policy table's
`answer_baton_offer` row, and what ends an offer besides its answer."""

from uuid import uuid4

import pytest

from stafett.aggregates.errors import (
    ConflictingValueError,
    ConsentNotValidError,
    NotAParticipantError,
    NotFoundError,
    NotPermittedError,
    PlanClosedError,
)
from stafett.aggregates.notices import NOTICE_EVENT_TYPES, notices_for
from stafett.aggregates.plan import Plan
from stafett.aggregates.policy import Action, Standing, rule_for
from stafett.aggregates.values import Role
from stafett.applications.commands import AcceptBaton, EndBatonOffer, OfferBaton
from stafett.applications.summaries import timeline_of
from stafett.web import i18n
from stafett.web.pages.plan_history import told
from stafett.web.pages.plan_parts import role_labels
from tests.unit.test_plan_rules import (
    AT,
    FIRST_EXPIRED_INSTANT,
    LATER,
    MANAGING_COMMANDS,
    Group,
    build_group,
    close,
    collected,
    only_event,
    refused,
    remove,
)


@pytest.fixture
def group() -> Group:
    return build_group()


def offer(g: Group) -> None:
    g.plan.offer_baton(by=g.coordinator, at=AT, participant_id=g.provider_pid)
    g.plan.collect_events()


def test_the_coordinator_offers_the_baton_and_keeps_it_until_it_is_accepted(
    group: Group,
) -> None:
    group.plan.offer_baton(by=group.coordinator, at=LATER, participant_id=group.provider_pid)
    event = only_event(group.plan)
    assert isinstance(event, Plan.BatonOffered)
    assert event.TOPIC == "stafett.plan:BatonOffered"
    assert (event.actor_id, event.actor_role) == (group.coordinator, Role.COORDINATOR)
    assert group.plan.state.baton_offered_to == group.provider_pid
    assert group.plan.state.baton_offered_at == LATER
    assert group.plan.state.coordinator_id == group.coordinator_pid
    MANAGING_COMMANDS["add_participant"](group, group.coordinator, LATER)  # still manages
    with refused(group.plan, NotPermittedError):  # the offered one does not manage yet
        MANAGING_COMMANDS["change_participant"](group, group.provider, LATER)


def test_accepting_the_offer_makes_the_offered_provider_coordinator(group: Group) -> None:
    offer(group)
    group.plan.accept_baton(by=group.provider, at=LATER)
    event = only_event(group.plan)
    assert isinstance(event, Plan.CoordinatorHandedOver)
    assert event.participant_id == group.provider_pid
    assert (event.actor_id, event.actor_role) == (group.provider, Role.PROVIDER)
    assert group.plan.state.coordinator_id == group.provider_pid
    assert group.plan.state.baton_offered_to is None
    with refused(group.plan, NotPermittedError):
        MANAGING_COMMANDS["add_participant"](group, group.coordinator, LATER)
    MANAGING_COMMANDS["add_participant"](group, group.provider, LATER)


@pytest.mark.parametrize("target", ["relative_pid", "owner_pid", "coordinator_pid"])
def test_the_baton_is_offered_only_to_a_provider_who_does_not_hold_it(
    group: Group, target: str
) -> None:
    with refused(group.plan, ConflictingValueError, "participant_id"):
        group.plan.offer_baton(
            by=group.coordinator, at=LATER, participant_id=getattr(group, target)
        )


def test_the_baton_is_not_offered_to_a_removed_or_unknown_participant(group: Group) -> None:
    remove(group, group.provider_pid)
    for participant_id in (group.provider_pid, uuid4()):
        with refused(group.plan, NotFoundError):
            group.plan.offer_baton(by=group.coordinator, at=LATER, participant_id=participant_id)


def test_only_the_coordinator_of_an_open_plan_offers_the_baton(group: Group) -> None:
    for by, error in (
        (group.provider, NotPermittedError),
        (group.owner, NotPermittedError),
        (group.stranger, NotAParticipantError),
    ):
        with refused(group.plan, error):
            group.plan.offer_baton(by=by, at=LATER, participant_id=group.provider_pid)
    close(group)
    with refused(group.plan, PlanClosedError):
        group.plan.offer_baton(by=group.coordinator, at=LATER, participant_id=group.provider_pid)


def test_one_offer_at_a_time(group: Group) -> None:
    offer(group)
    with refused(group.plan, ConflictingValueError, "participant_id"):
        group.plan.offer_baton(by=group.coordinator, at=LATER, participant_id=group.provider_pid)


def test_only_the_provider_offered_the_baton_accepts_it(group: Group) -> None:
    with refused(group.plan, ConflictingValueError):  # nothing offered yet
        group.plan.accept_baton(by=group.provider, at=LATER)
    offer(group)
    for by, error in (
        (group.coordinator, NotPermittedError),
        (group.owner, NotPermittedError),
        (group.relative, NotPermittedError),
        (group.stranger, NotAParticipantError),  # as for any other plan action: 404
    ):
        with refused(group.plan, error):
            group.plan.accept_baton(by=by, at=LATER)
        if by != group.coordinator:  # who withdraws it
            with refused(group.plan, error):
                group.plan.end_baton_offer(by=by, at=LATER)


def test_another_provider_cannot_accept_or_decline_an_offer_made_to_someone_else(
    group: Group,
) -> None:
    other, other_pid = uuid4(), uuid4()
    group.plan.add_participant(
        by=group.coordinator,
        at=AT,
        participant_id=other_pid,
        person_id=other,
        role=Role.PROVIDER,
        responsibility="",
        rights=group.plan.state.participants[group.provider_pid].rights,
    )
    offer(group)
    with refused(group.plan, ConflictingValueError):
        group.plan.accept_baton(by=other, at=LATER)
    with refused(group.plan, ConflictingValueError):
        group.plan.end_baton_offer(by=other, at=LATER)


def test_accepting_and_declining_need_valid_consent(group: Group) -> None:
    offer(group)
    with refused(group.plan, ConsentNotValidError):
        group.plan.accept_baton(by=group.provider, at=FIRST_EXPIRED_INSTANT)
    with refused(group.plan, ConsentNotValidError):
        group.plan.end_baton_offer(by=group.provider, at=FIRST_EXPIRED_INSTANT)


def test_the_offered_provider_declines_and_the_coordinator_withdraws(group: Group) -> None:
    offer(group)
    group.plan.end_baton_offer(by=group.provider, at=LATER)
    declined = only_event(group.plan)
    assert isinstance(declined, Plan.BatonOfferEnded)
    assert declined.TOPIC == "stafett.plan:BatonOfferEnded"
    assert (declined.participant_id, declined.declined) == (group.provider_pid, True)
    assert (declined.actor_id, declined.actor_role) == (group.provider, Role.PROVIDER)
    assert group.plan.state.baton_offered_to is None
    offer(group)
    group.plan.end_baton_offer(by=group.coordinator, at=LATER)
    withdrawn = only_event(group.plan)
    assert (withdrawn.participant_id, withdrawn.declined) == (group.provider_pid, False)
    assert group.plan.state.baton_offered_to is None
    assert group.plan.state.coordinator_id == group.coordinator_pid
    with refused(group.plan, ConflictingValueError):  # nothing left to end
        group.plan.end_baton_offer(by=group.coordinator, at=LATER)


def test_a_direct_handover_a_removal_or_closing_ends_the_offer(group: Group) -> None:
    offer(group)
    group.plan.hand_over_coordinator(
        by=group.coordinator, at=LATER, participant_id=group.provider_pid
    )
    assert group.plan.state.baton_offered_to is None
    fresh = build_group()
    offer(fresh)
    remove(fresh, fresh.provider_pid)
    assert fresh.plan.state.baton_offered_to is None
    with refused(fresh.plan, NotAParticipantError):
        fresh.plan.accept_baton(by=fresh.provider, at=LATER)
    closed = build_group()
    offer(closed)
    close(closed)
    assert closed.plan.state.baton_offered_to is None
    closed.plan.reopen(by=closed.coordinator, at=LATER)
    with refused(closed.plan, ConflictingValueError):  # the offer does not come back
        closed.plan.accept_baton(by=closed.provider, at=LATER)


def test_answering_an_offer_is_a_providers_row_of_the_policy_table() -> None:
    rule = rule_for(Action.ANSWER_BATON_OFFER, Standing.PROVIDER)
    assert rule is not None
    assert (rule.consent.value, rule.plan.value) == ("valid", "open")
    for standing in Standing:
        if standing is not Standing.PROVIDER:
            assert rule_for(Action.ANSWER_BATON_OFFER, standing) is None, standing


def test_accepting_asks_for_a_step_up_and_offering_or_ending_does_not() -> None:
    assert AcceptBaton().needs_step_up()
    assert not OfferBaton(participant_id=uuid4()).needs_step_up()
    assert not EndBatonOffer().needs_step_up()


def test_the_offer_and_each_answer_tell_whom_they_ask_something_of(group: Group) -> None:
    """Decision 0053: by e-mail here, as nobody in the group chose a channel."""

    def heard(event: object) -> list[tuple[object, str, str]]:
        found = notices_for(group.plan.state, event)  # type: ignore[arg-type]
        return [(n.participant_id, n.kind.value, n.channel.value) for n in found]

    for offered_and_answered in (
        (group.coordinator, "baton_offer_withdrawn", group.provider_pid),
        (group.provider, "baton_offer_declined", group.coordinator_pid),
        (group.provider, "baton_accepted", group.coordinator_pid),
    ):
        answering, kind, to = offered_and_answered
        group.plan.offer_baton(by=group.coordinator, at=LATER, participant_id=group.provider_pid)
        offered = only_event(group.plan)
        assert type(offered) in NOTICE_EVENT_TYPES
        assert heard(offered) == [(group.provider_pid, "baton_offered", "email")]
        if kind == "baton_accepted":
            group.plan.accept_baton(by=answering, at=LATER)
        else:
            group.plan.end_baton_offer(by=answering, at=LATER)
        assert heard(only_event(group.plan)) == [(to, kind, "email")]


def test_the_timeline_and_the_history_page_tell_the_offer_and_its_answer(group: Group) -> None:
    names = {group.coordinator: "Kari", group.provider: "Per"}
    group.plan.offer_baton(by=group.coordinator, at=LATER, participant_id=group.provider_pid)
    group.plan.end_baton_offer(by=group.coordinator, at=LATER)
    group.plan.offer_baton(by=group.coordinator, at=LATER, participant_id=group.provider_pid)
    group.plan.end_baton_offer(by=group.provider, at=LATER)
    group.plan.offer_baton(by=group.coordinator, at=LATER, participant_id=group.provider_pid)
    group.plan.accept_baton(by=group.provider, at=LATER)
    events = collected(group.plan)
    entries = timeline_of(events, names)
    assert [e.summary for e in entries] == [
        "Stafettpinnen tilbudt",
        "Tilbudet om stafettpinnen trukket tilbake",
        "Stafettpinnen tilbudt",
        "Tilbudet om stafettpinnen avslått",
        "Stafettpinnen tilbudt",
        "Stafettpinnen tatt imot",
    ]
    with i18n.language("en"):
        sentences = [told(e, role_labels()).sentence for e in entries]
    assert sentences == [
        "Kari (coordinator) offered the baton",
        "Kari (coordinator) withdrew the offer of the baton",
        "Kari (coordinator) offered the baton",
        "Per (service provider) declined the offer of the baton",
        "Kari (coordinator) offered the baton",
        "Per (service provider) accepted the baton",
    ]
    with i18n.language("nb"):
        accepted = told(entries[-1], role_labels()).sentence
    assert accepted == "Per (tjenesteyter) tok imot stafettpinnen"
    # With the plan group at hand (the history page's timeline), whom it was offered to.
    members = {group.coordinator_pid: group.coordinator, group.provider_pid: group.provider}
    named = timeline_of(events, names, members)
    with i18n.language("nb"):
        sentences = [told(e, role_labels()).sentence for e in named]
    assert sentences == [
        "Kari (koordinator) tilbød stafettpinnen til Per",
        "Kari (koordinator) trakk tilbake tilbudet om stafettpinnen til Per",
        "Kari (koordinator) tilbød stafettpinnen til Per",
        "Per (tjenesteyter) avslo tilbudet om stafettpinnen",  # about themself: no name again
        "Kari (koordinator) tilbød stafettpinnen til Per",
        "Per (tjenesteyter) tok imot stafettpinnen",
    ]
