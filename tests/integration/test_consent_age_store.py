"""The consent age through the plan application, on both stores (decision 0055): the
owner's birth date is the directory's, the age the setting's, and the day the municipal
date of the withdrawal; the application weighs them as the policy table says."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

import pytest

from stafett.aggregates.errors import NotPermittedError
from stafett.aggregates.values import ConsentStatus, PlanType, Role, local_date
from stafett.applications.commands import AddParticipant, WithdrawConsent
from stafett.applications.parts import ConsentIn, CreatePlan, PersonIn
from stafett.applications.plans import PlanApplication
from stafett.settings import Settings
from tests.conftest import ManualClock, consent_for, person

TODAY = date(2026, 3, 2)  # the clock's day


def app(database_url: str, clock: ManualClock, consent_age: int) -> PlanApplication:
    settings = Settings(database_url=database_url, consent_age=consent_age)
    return PlanApplication(settings.event_store_env(), clock=clock)


@pytest.fixture
def plans_15(database_url: str, clock: ManualClock) -> Iterator[PlanApplication]:
    """A municipality where young people consent themselves from 15."""
    plans = app(database_url, clock, 15)
    try:
        yield plans
    finally:
        plans.close()


def plan_for(plans: PlanApplication, born: date | None) -> tuple[UUID, UUID, UUID]:
    """A plan whose owner was born on `born`, with a relative: (plan, owner, relative)."""
    coordinator = plans.register_person(person("Kari", "Koordinator"), by=None).person_id
    relative = plans.register_person(person("Mor", "Nordmann"), by=None).person_id
    created = plans.create_plan(
        CreatePlan(
            type=PlanType.RELAY_LOG,
            short_name="Olas plan",
            start_date=TODAY,
            owner=PersonIn(first_name="Ola", last_name="Nordmann", birth_date=born),
            consent=ConsentIn.of(consent_for(TODAY)),
        ),
        by=coordinator,
    )
    plans.handle(
        created.plan_id,
        AddParticipant(person=PersonIn(person_id=relative), role="relative"),
        by=coordinator,
    )
    state = plans.get_plan(created.plan_id)
    owner = next(p.person_id for p in state.participants if p.role is Role.OWNER)
    return created.plan_id, owner, relative


def withdrawn_by(plans: PlanApplication, plan_id: UUID, by: UUID) -> bool:
    try:
        plans.handle(plan_id, WithdrawConsent(), by=by)
    except NotPermittedError:
        assert plans.get_plan(plan_id).consent.status is ConsentStatus.ACTIVE
        return False
    assert plans.get_plan(plan_id).consent.status is ConsentStatus.WITHDRAWN
    return True


def test_a_sixteen_year_old_withdraws_the_consent_and_the_parent_may_not(
    plans: PlanApplication,
) -> None:
    plan_id, owner, relative = plan_for(plans, date(2010, 3, 2))  # 16 today
    assert plans.consent_age == 16  # the default
    assert plans.owner_of_age(owner, TODAY) is True
    assert not withdrawn_by(plans, plan_id, relative)
    assert withdrawn_by(plans, plan_id, owner)


def test_the_day_before_the_birthday_the_parent_decides(plans: PlanApplication) -> None:
    plan_id, owner, relative = plan_for(plans, date(2010, 3, 3))  # 16 tomorrow
    assert not withdrawn_by(plans, plan_id, owner)
    assert withdrawn_by(plans, plan_id, relative)


def test_the_birthday_is_reached_on_the_municipal_date(
    plans: PlanApplication, clock: ManualClock
) -> None:
    """23:30 UTC on 2 March is already 3 March in Oslo: the sixteenth birthday has come."""
    plan_id, owner, relative = plan_for(plans, date(2010, 3, 3))
    clock.now = clock.now.replace(hour=23, minute=30)
    assert local_date(clock()) == date(2026, 3, 3)
    assert not withdrawn_by(plans, plan_id, relative)
    assert withdrawn_by(plans, plan_id, owner)


def test_where_the_age_is_15_a_fifteen_year_old_decides(plans_15: PlanApplication) -> None:
    plan_id, owner, relative = plan_for(plans_15, date(2011, 1, 1))  # 15
    assert plans_15.consent_age == 15
    assert not withdrawn_by(plans_15, plan_id, relative)
    assert withdrawn_by(plans_15, plan_id, owner)


def test_a_fifteen_year_old_where_the_age_is_16_is_still_under_it(
    plans: PlanApplication,
) -> None:
    plan_id, owner, relative = plan_for(plans, date(2011, 1, 1))  # 15
    assert not withdrawn_by(plans, plan_id, owner)
    assert withdrawn_by(plans, plan_id, relative)


def test_without_a_birth_date_both_may_withdraw_as_before(plans: PlanApplication) -> None:
    plan_id, owner, _relative = plan_for(plans, None)
    assert plans.owner_of_age(owner, TODAY) is None
    assert withdrawn_by(plans, plan_id, owner)
    other_id, _, other_relative = plan_for(plans, None)
    assert withdrawn_by(plans, other_id, other_relative)


def test_the_birth_date_corrected_in_the_directory_counts_from_then(
    plans: PlanApplication, clock: ManualClock
) -> None:
    plan_id, owner, relative = plan_for(plans, date(2015, 5, 1))  # a child
    assert plans.owner_of_age(owner, TODAY) is False
    before = plans.get_person(owner).details
    after = replace(before, birth_date=date(2009, 5, 1))
    plans.directory.update(owner, before, after, actor_id=None, at=clock())
    assert plans.owner_of_age(owner, TODAY + timedelta(days=1)) is True
    assert not withdrawn_by(plans, plan_id, relative)
    assert withdrawn_by(plans, plan_id, owner)
