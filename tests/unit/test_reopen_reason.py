"""Reopening a closed plan takes a reason, as closing does (issue 10, item 5): the event
carries it, the timeline tells it, and events stored before it was carried read none."""

import dataclasses
from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.plan import Plan
from stafett.aggregates.values import PlanStatus
from stafett.applications.commands import ReopenPlan
from stafett.applications.summaries import timeline_of
from stafett.bootstrap import build_plans
from stafett.settings import Settings
from stafett.web import i18n
from stafett.web.pages.plan_history import told
from stafett.web.pages.plan_parts import role_labels
from tests.conftest import ManualClock
from tests.unit.test_plan_rules import (
    LATER,
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


def test_the_coordinator_reopens_a_plan_saying_why(group: Group) -> None:
    close(group)
    group.plan.reopen(by=group.coordinator, at=LATER, reason=" Ny henvisning fra skolen ")
    event = only_event(group.plan)
    assert isinstance(event, Plan.Reopened)
    assert event.reason == "Ny henvisning fra skolen"  # under the one text rule, as closing's
    assert group.plan.state.status is PlanStatus.OPEN
    assert group.plan.state.closed_reason == ""


def test_a_reopening_without_a_reason_carries_an_empty_one(group: Group) -> None:
    close(group)
    group.plan.reopen(by=group.coordinator, at=LATER)
    assert only_event(group.plan).reason == ""


def test_a_reopening_reason_outside_the_text_rule_is_refused(group: Group) -> None:
    close(group)
    with refused(group.plan, ValidationError, "reason"):
        group.plan.reopen(by=group.coordinator, at=LATER, reason="Snudd \u202etekst")


def test_the_reopen_command_gives_its_reason_to_the_plan(group: Group) -> None:
    close(group)
    ReopenPlan(reason="Flyttet tilbake").run(group.plan, group.coordinator, LATER, uuid4())
    assert only_event(group.plan).reason == "Flyttet tilbake"
    assert ReopenPlan().reason == ""  # the body may be left out, and the reason with it


def closed_and_reopened(reason: str) -> list[Any]:
    plan = create_plan(end_date=date(2026, 12, 31))
    coordinator = plan.state.participants[plan.state.coordinator_id].person_id
    plan.close(by=coordinator, at=LATER, ended_on=date(2026, 3, 2), reason="Ferdig")
    plan.reopen(by=coordinator, at=LATER, reason=reason)
    return list(plan.collect_events())


def test_a_reopening_stored_before_it_took_a_reason_replays_with_none() -> None:
    with build_plans(Settings(database_url="memory://"), clock=ManualClock()) as plans:
        mapper, transcoder = plans.mapper, plans.mapper.transcoder
        stored = [mapper.to_stored_event(e) for e in closed_and_reopened("Flyttet tilbake")]
        reopened = stored[-1]
        state = transcoder.decode(reopened.state)
        assert state.pop("reason") == "Flyttet tilbake"
        stored[-1] = dataclasses.replace(reopened, state=transcoder.encode(state))
        events: list[Any] = [mapper.to_domain_event(s) for s in stored]
    old = events[-1]
    assert isinstance(old, Plan.Reopened)
    assert old.reason == ""
    replayed = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert replayed.state.status is PlanStatus.OPEN
    assert replayed.state.end_date == date(2026, 12, 31)
    assert timeline_of([old], {})[0].summary == "Plan gjenåpnet"


def test_the_timeline_tells_the_reopening_with_its_reason() -> None:
    created, closed, reopened = closed_and_reopened("Ny henvisning")
    timeline = timeline_of([created, closed, reopened], {})
    assert timeline[-1].summary == "Plan gjenåpnet: Ny henvisning"
    assert timeline[-1].reason == "Ny henvisning"
    assert [t.reason for t in timeline[:-1]] == ["", "Ferdig"]  # the close gives its own
    assert timeline[1].summary == "Plan avsluttet 02.03.2026"  # its summary as before
    [without] = timeline_of(closed_and_reopened("")[-1:], {})
    assert (without.summary, without.reason) == ("Plan gjenåpnet", "")


@pytest.mark.parametrize(
    ("language", "with_reason", "without"),
    [
        (
            "nb",
            "Kari (koordinator) gjenåpnet planen: Ny henvisning",
            "Kari (koordinator) gjenåpnet planen",
        ),
        (
            "en",
            "Kari (coordinator) reopened the plan: Ny henvisning",
            "Kari (coordinator) reopened the plan",
        ),
    ],
)
def test_the_history_page_tells_the_reopening_with_its_reason(
    language: str, with_reason: str, without: str
) -> None:
    [entry] = timeline_of(closed_and_reopened("Ny henvisning")[-1:], {})
    entry = dataclasses.replace(entry, actor_name="Kari")
    with i18n.language(language):
        roles = role_labels()
        assert told(entry, roles).sentence == with_reason
        assert told(dataclasses.replace(entry, reason=""), roles).sentence == without


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("nb", "Kari (koordinator) avsluttet planen: Ferdig"),
        ("en", "Kari (coordinator) closed the plan: Ferdig"),
    ],
)
def test_the_history_page_tells_the_close_with_its_reason(language: str, sentence: str) -> None:
    closed = timeline_of(closed_and_reopened("")[1:2], {})[0]
    with i18n.language(language):
        assert told(dataclasses.replace(closed, actor_name="Kari"), role_labels()).sentence == (
            sentence
        )
