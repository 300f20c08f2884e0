"""Rules added when an attack on the running service found gaps (issue 8, items 11 and 13)."""

from datetime import date, timedelta
from uuid import uuid4

import pytest

from stafett.aggregates.errors import ConflictingValueError, ValidationError
from stafett.aggregates.person import PersonDetails
from stafett.aggregates.plan import Plan
from stafett.aggregates.values import PlanStatus
from tests.unit.test_plan_rules import AT, LATER, build_group, consent, create_plan

TODAY = date(2026, 3, 2)  # AT in Oslo


@pytest.mark.parametrize(
    ("given_on", "expires_on", "field"),
    [
        (date(1900, 1, 1), date(9999, 12, 31), "given_on"),
        (date(2026, 3, 1), date(9999, 12, 31), "expires_on"),
        (date(2026, 3, 1), date(2031, 4, 1), "expires_on"),  # over five years
        (date(2023, 1, 1), date(2026, 12, 31), "given_on"),  # given over two years ago
    ],
)
def test_a_plan_is_not_created_under_a_consent_with_implausible_dates(
    given_on: date, expires_on: date, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        create_plan(consent=consent(given_on, expires_on))
    assert refused.value.field == field


def test_a_renewal_that_has_already_run_out_is_refused_and_changes_nothing() -> None:
    group = build_group()
    before = group.plan.version
    lapsed = consent(date(2026, 1, 1), TODAY - timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        group.plan.renew_consent(by=group.coordinator, at=AT, consent=lapsed)
    assert refused.value.field == "expires_on"
    assert group.plan.version == before
    assert group.plan.state.consent.is_valid_on(TODAY)


def test_a_renewal_running_out_today_is_still_accepted() -> None:
    group = build_group()
    renewal = consent(date(2026, 1, 1), TODAY)
    group.plan.renew_consent(by=group.coordinator, at=AT, consent=renewal)
    assert group.plan.state.consent.expires_on == TODAY


def test_a_renewal_may_be_dated_ahead_but_not_more_than_a_year() -> None:
    group = build_group()
    ahead = consent(TODAY + timedelta(days=30), TODAY + timedelta(days=300))
    group.plan.renew_consent(by=group.coordinator, at=AT, consent=ahead)
    too_far = consent(TODAY + timedelta(days=400), TODAY + timedelta(days=500))
    with pytest.raises(ValidationError, match="coming year"):
        group.plan.renew_consent(by=group.coordinator, at=AT, consent=too_far)


def test_reopening_a_plan_gives_back_its_planned_end_date() -> None:
    planned_end = date(2026, 12, 31)
    plan = create_plan(end_date=planned_end)
    coordinator = plan.state.participants[plan.state.coordinator_id].person_id
    plan.close(by=coordinator, at=AT, ended_on=TODAY, reason="Ferdig")
    assert plan.state.end_date == TODAY
    plan.reopen(by=coordinator, at=LATER)
    assert plan.state.status is PlanStatus.OPEN
    assert plan.state.end_date == planned_end
    reopened = plan.collect_events()[-1]
    assert isinstance(reopened, Plan.Reopened)
    assert reopened.end_date == planned_end


def test_a_plan_without_a_planned_end_date_reopens_without_one() -> None:
    plan = create_plan(end_date=None)
    coordinator = plan.state.participants[plan.state.coordinator_id].person_id
    plan.close(by=coordinator, at=AT, ended_on=TODAY, reason="")
    plan.reopen(by=coordinator, at=LATER)
    assert plan.state.end_date is None


def test_replaying_a_close_and_reopen_gives_back_the_planned_end_date() -> None:
    plan = create_plan(end_date=date(2027, 6, 1))
    coordinator = plan.state.participants[plan.state.coordinator_id].person_id
    plan.close(by=coordinator, at=AT, ended_on=TODAY, reason="")
    plan.reopen(by=coordinator, at=LATER)
    events = plan.collect_events()
    replayed = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert replayed.state.end_date == date(2027, 6, 1)


@pytest.mark.parametrize("born", [date(1899, 12, 31), date(1, 1, 1)])
def test_a_birth_date_before_1900_is_refused(born: date) -> None:
    with pytest.raises(ValidationError) as refused:
        PersonDetails(first_name="Ola", last_name="Gammel", birth_date=born).validated(today=TODAY)
    assert refused.value.field == "birth_date"


def test_a_birth_date_after_today_is_a_conflict_with_the_date_not_a_bad_value() -> None:
    """The same date is right some day: 409 (decision 0023), not 422; today itself is fine."""
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(ConflictingValueError) as refused:
        PersonDetails(first_name="Ola", last_name="Ny", birth_date=tomorrow).validated(today=TODAY)
    assert refused.value.field == "birth_date"
    born_today = PersonDetails(first_name="Ola", last_name="Ny", birth_date=TODAY)
    assert born_today.validated(today=TODAY).birth_date == TODAY


@pytest.mark.parametrize(
    "name", ["Ola\x00", "\u202eanroN", "\u200b\u200b", "Ola\nNordmann", "Ola\x1b[2J"]
)
def test_a_person_name_follows_the_text_rule(name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        PersonDetails(first_name=name, last_name="Nordmann").validated(today=TODAY)
    assert refused.value.field == "first_name"


def test_a_plan_short_name_with_a_nul_is_refused_by_the_plan_itself() -> None:
    with pytest.raises(ValidationError) as refused:
        create_plan(short_name="short\x00name")
    assert refused.value.field == "short_name"


def test_a_description_refuses_terminal_escape_sequences() -> None:
    group = build_group()
    with pytest.raises(ValidationError):
        group.plan.set_goal(
            by=group.coordinator,
            at=AT,
            goal_id=uuid4(),
            title="Mål",
            description="rød \x1b[31m tekst",
            due_on=None,
        )
