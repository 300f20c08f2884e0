"""A plan's details (short name, period, BTI level, review date) corrected after its
creation (decision 0051): `Plan.change_details` and its event, which carries only the
details it changes, and the creation's new optional level and review date."""

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest

from stafett.aggregates.errors import (
    NotAParticipantError,
    NotPermittedError,
    PlanClosedError,
    ValidationError,
)
from stafett.aggregates.notices import NOTICE_EVENT_TYPES, notices_for
from stafett.aggregates.plan import KEEP, Plan
from stafett.applications.commands import ChangePlanDetails
from stafett.applications.merging import applies_over
from stafett.applications.summaries import timeline_of
from stafett.bootstrap import build_plans
from stafett.settings import Settings
from stafett.web import i18n
from stafett.web.pages.plan_history import told
from stafett.web.pages.plan_parts import role_labels
from tests.conftest import ManualClock
from tests.unit.test_plan_rules import (
    AT,
    FIRST_EXPIRED_INSTANT,
    LATER,
    START,
    Group,
    build_group,
    close,
    create_plan,
    only_event,
    refused,
)


@pytest.fixture
def group() -> Group:
    return build_group()


def change(g: Group, **details: Any) -> None:
    g.plan.change_details(by=g.coordinator, at=LATER, **details)


def test_the_coordinator_corrects_the_short_name_and_the_event_carries_only_it(
    group: Group,
) -> None:
    change(group, short_name="  Ola Nordmann ")
    event = only_event(group.plan)
    assert isinstance(event, Plan.PlanDetailsChanged)
    assert event.changes() == {"short_name": "Ola Nordmann"}  # under the one text rule
    assert event.end_date is KEEP
    assert group.plan.state.short_name == "Ola Nordmann"
    assert group.plan.state.start_date == START


def test_details_given_as_they_already_are_are_left_out_of_the_event(group: Group) -> None:
    change(group, short_name="Ola", start_date=START, end_date=None, level=2)
    assert only_event(group.plan).changes() == {"level": 2}
    assert group.plan.state.level == 2


def test_the_period_level_and_review_date_are_set_and_cleared(group: Group) -> None:
    change(group, end_date=date(2026, 12, 31), level=3, review_on=date(2026, 9, 1))
    state = group.plan.state
    assert (state.end_date, state.level, state.review_on) == (
        date(2026, 12, 31),
        3,
        date(2026, 9, 1),
    )
    group.plan.collect_events()
    change(group, end_date=None, level=None, review_on=None)
    event = only_event(group.plan)
    assert event.changes() == {"end_date": None, "level": None, "review_on": None}
    assert (state.end_date, state.level, state.review_on) == (None, None, None)


@pytest.mark.parametrize("details", [{}, {"short_name": "Ola", "level": None}])
def test_a_change_that_changes_nothing_is_refused(group: Group, details: dict[str, Any]) -> None:
    with refused(group.plan, ValidationError, "body"):
        change(group, **details)


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ({"end_date": date(2026, 3, 1)}, "end_date"),
        ({"short_name": "   "}, "short_name"),
        ({"level": 4}, "level"),
        ({"level": -1}, "level"),
        ({"level": True}, "level"),
        ({"review_on": date(2026, 3, 1)}, "review_on"),
        ({"review_on": date(2300, 1, 1)}, "review_on"),
    ],
)
def test_a_detail_creation_would_refuse_is_refused(
    group: Group, details: dict[str, Any], field: str
) -> None:
    with refused(group.plan, ValidationError, field):
        change(group, **details)


def test_a_start_moved_past_the_end_or_the_review_date_is_refused(group: Group) -> None:
    change(group, end_date=date(2026, 6, 30), review_on=date(2026, 5, 1))
    group.plan.collect_events()
    with refused(group.plan, ValidationError, "end_date"):
        change(group, start_date=date(2026, 7, 1))
    with refused(group.plan, ValidationError, "review_on"):
        change(group, start_date=date(2026, 5, 2))
    change(group, start_date=date(2026, 4, 1))
    assert group.plan.state.start_date == date(2026, 4, 1)


@pytest.mark.parametrize("who", ["owner", "relative", "provider"])
def test_only_the_coordinator_corrects_the_details(group: Group, who: str) -> None:
    with refused(group.plan, NotPermittedError):
        group.plan.change_details(by=getattr(group, who), at=LATER, level=1)


def test_someone_outside_the_plan_group_cannot_correct_the_details(group: Group) -> None:
    with refused(group.plan, NotAParticipantError):
        group.plan.change_details(by=group.stranger, at=LATER, level=1)


def test_a_closed_plans_details_are_not_corrected(group: Group) -> None:
    close(group)
    with refused(group.plan, PlanClosedError):
        change(group, short_name="Ola N")


def test_the_details_are_corrected_without_valid_consent(group: Group) -> None:
    group.plan.change_details(by=group.coordinator, at=FIRST_EXPIRED_INSTANT, level=0)
    assert only_event(group.plan).changes() == {"level": 0}


def test_a_plan_is_created_with_a_level_and_a_review_date() -> None:
    plan = create_plan(level=1, review_on=date(2026, 8, 15))
    assert (plan.state.level, plan.state.review_on) == (1, date(2026, 8, 15))
    created = plan.collect_events()[0]
    assert isinstance(created, Plan.Created)
    assert (created.level, created.review_on) == (1, date(2026, 8, 15))
    assert (create_plan().state.level, create_plan().state.review_on) == (None, None)


@pytest.mark.parametrize(
    ("details", "field"),
    [({"level": 7}, "level"), ({"review_on": date(2026, 1, 1)}, "review_on")],
)
def test_a_plan_is_not_created_with_an_impossible_level_or_review_date(
    details: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        create_plan(**details)
    assert info.value.field == field


def test_a_change_is_stored_with_only_its_details_and_replays() -> None:
    plan = create_plan(end_date=date(2026, 12, 31), level=2)
    coordinator = plan.state.participants[plan.state.coordinator_id].person_id
    plan.change_details(by=coordinator, at=AT, end_date=None, review_on=date(2026, 9, 1))
    with build_plans(Settings(database_url="memory://"), clock=ManualClock()) as plans:
        mapper, transcoder = plans.mapper, plans.mapper.transcoder
        stored = [mapper.to_stored_event(e) for e in plan.collect_events()]
        assert stored[-1].topic == "stafett.plan:PlanDetailsChanged"
        state = transcoder.decode(stored[-1].state)
        assert set(state) == {"timestamp", "actor_id", "actor_role", "end_date", "review_on"}
        events: list[Any] = [mapper.to_domain_event(s) for s in stored]
    assert events[-1].changes() == {"end_date": None, "review_on": date(2026, 9, 1)}
    assert events[-1].short_name is KEEP
    replayed = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert replayed.state == plan.state


def test_a_creation_stored_before_levels_replays_without_level_or_review_date() -> None:
    plan = create_plan()
    with build_plans(Settings(database_url="memory://"), clock=ManualClock()) as plans:
        mapper, transcoder = plans.mapper, plans.mapper.transcoder
        created = mapper.to_stored_event(plan.collect_events()[0])
        state = transcoder.decode(created.state)
        del state["level"], state["review_on"]
        old = mapper.to_domain_event(dataclasses.replace(created, state=transcoder.encode(state)))
    assert isinstance(old, Plan.Created)
    assert (old.level, old.review_on) == (None, None)
    replayed = old.mutate(None)
    assert replayed is not None
    assert replayed.state == plan.state


def test_the_timeline_and_the_history_page_tell_a_details_change(group: Group) -> None:
    change(group, level=2)
    [entry] = timeline_of([only_event(group.plan)], {group.coordinator: "Kari"})
    assert entry.summary == "Plandetaljer endret"
    assert entry.details == ("level",)  # what it corrected
    with i18n.language("nb"):
        assert (
            told(entry, role_labels()).sentence == "Kari (koordinator) endret plandetaljene: nivå"
        )
    with i18n.language("en"):
        assert told(entry, role_labels()).sentence == (
            "Kari (coordinator) changed the plan's details: level"
        )
    start = group.plan.state.start_date
    change(group, start_date=start, review_on=start + timedelta(days=90))  # start as it was
    [both] = timeline_of([only_event(group.plan)], {group.coordinator: "Kari"})
    with i18n.language("nb"):
        assert told(both, role_labels()).sentence == (
            "Kari (koordinator) endret plandetaljene: neste evaluering"
        )


def test_a_details_change_notifies_nobody(group: Group) -> None:
    change(group, short_name="Ola N", level=3)
    event = only_event(group.plan)
    assert notices_for(group.plan.state, event) == []
    assert type(event) not in NOTICE_EVENT_TYPES


def test_a_details_change_needs_no_one_time_code_and_is_not_merged_over_later_changes() -> None:
    command = ChangePlanDetails(level=1, expected_version=3)
    assert not command.needs_step_up()  # it grants no rights and ends nothing
    assert not applies_over(command, frozenset())  # a page's form needs the version it showed
    assert command.changes() == {"level": 1}
