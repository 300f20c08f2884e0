"""The consent age (decision 0055): from which birthday the plan's owner decides over the
consent themself, so withdraws it, and their relatives no longer do; the setting that
holds it, and the policy table's rows that weigh it."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stafett.aggregates.consent_age import (
    age_on,
    consent_age_of,
    given_before_of_age,
    has_reached,
    of_age_on,
)
from stafett.aggregates.errors import NotPermittedError
from stafett.aggregates.plan import Plan
from stafett.aggregates.policy import RULES, Action, Denial, Standing, decide
from stafett.settings import Settings, SettingsError
from tests.unit.test_plan_rules import LATER, Group, build_group, only_event, refused


@pytest.fixture
def group() -> Group:
    return build_group()


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (date(2010, 5, 1), date(2026, 4, 30), 15),
        (date(2010, 5, 1), date(2026, 5, 1), 16),  # on the birthday
        (date(2010, 2, 28), date(2026, 2, 28), 16),
        (date(2008, 2, 29), date(2026, 2, 28), 17),  # no 29 February in 2026 ...
        (date(2008, 2, 29), date(2026, 3, 1), 18),  # ... so a year older on 1 March
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        (date(2026, 1, 1), date(2026, 12, 31), 0),
    ],
)
def test_the_age_on_a_day_is_whole_years_counted_from_the_birthday(
    born: date, day: date, age: int
) -> None:
    assert age_on(born, day) == age


def test_the_consent_age_is_reached_on_the_birthday_and_unknown_without_a_birth_date() -> None:
    born = date(2011, 3, 2)
    assert has_reached(born, date(2026, 3, 1), 15) is False
    assert has_reached(born, date(2026, 3, 2), 15) is True
    assert has_reached(born, date(2026, 3, 2), 16) is False
    assert has_reached(None, date(2026, 3, 2), 16) is None


@pytest.mark.parametrize(
    ("born", "age", "day"),
    [
        (date(2010, 5, 1), 16, date(2026, 5, 1)),
        (date(2011, 5, 1), 15, date(2026, 5, 1)),
        (date(2010, 2, 28), 16, date(2026, 2, 28)),
        (date(2008, 2, 29), 16, date(2024, 2, 29)),  # a leap year: the birthday itself
        (date(2009, 2, 28), 15, date(2024, 2, 28)),
        (date(2012, 2, 29), 15, date(2027, 3, 1)),  # none in 2027: 1 March
    ],
)
def test_the_day_of_coming_of_age_is_the_birthday(born: date, age: int, day: date) -> None:
    assert of_age_on(born, age) == day


@given(
    born=st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2050, 12, 31)),
    age=st.sampled_from([15, 16]),
)
def test_the_day_of_coming_of_age_is_the_first_day_the_age_is_reached(
    born: date, day: date, age: int
) -> None:
    assert has_reached(born, day, age) is (day >= of_age_on(born, age))


def test_a_consent_predates_the_coming_of_age_only_once_that_day_has_come() -> None:
    of_age = date(2026, 5, 1)
    assert given_before_of_age(date(2025, 6, 1), of_age, date(2026, 5, 1)) is True
    assert given_before_of_age(date(2025, 6, 1), of_age, date(2026, 4, 30)) is False  # not yet
    assert given_before_of_age(date(2026, 5, 1), of_age, date(2026, 6, 1)) is False  # on the day
    assert given_before_of_age(date(2026, 5, 2), of_age, date(2026, 6, 1)) is False  # after it
    assert given_before_of_age(date(2025, 6, 1), None, date(2026, 6, 1)) is False  # not known


@pytest.mark.parametrize(("text", "age"), [(None, 16), ("", 16), ("15", 15), (" 16 ", 16)])
def test_the_setting_is_15_or_16_and_16_when_not_set(text: str | None, age: int) -> None:
    assert consent_age_of(text) == age
    environ = {} if text is None else {"STAFETT_CONSENT_AGE": text}
    settings = Settings.from_env(environ)
    assert settings.consent_age == age
    assert settings.event_store_env()["STAFETT_CONSENT_AGE"] == str(age)


@pytest.mark.parametrize("text", ["14", "17", "18", "femten", "15.0", "-16"])
def test_any_other_consent_age_is_a_clear_error_at_start(text: str) -> None:
    with pytest.raises(SettingsError, match="STAFETT_CONSENT_AGE must be 15 or 16"):
        Settings.from_env({"STAFETT_CONSENT_AGE": text})


# ------------------------------------------------------------------ the policy


@pytest.mark.parametrize(
    ("standing", "owner_of_age", "allowed"),
    [
        (Standing.OWNER, True, True),
        (Standing.OWNER, False, False),
        (Standing.OWNER, None, True),  # unknown age: as before the age was asked
        (Standing.RELATIVE, True, False),
        (Standing.RELATIVE, False, True),
        (Standing.RELATIVE, None, True),
        (Standing.COORDINATOR, True, True),
        (Standing.COORDINATOR, False, True),
        (Standing.PROVIDER, False, False),
        (Standing.PROVIDER, True, False),
    ],
)
def test_who_withdraws_consent_follows_the_owners_age(
    standing: Standing, owner_of_age: bool | None, allowed: bool
) -> None:
    for consent_valid in (True, False):
        for plan_open in (True, False):
            decision = decide(
                Action.WITHDRAW_CONSENT,
                standing,
                consent_valid=consent_valid,
                plan_open=plan_open,
                owner_of_age=owner_of_age,
            )
            assert decision.allowed is allowed
            if not allowed:
                assert decision.denial is Denial.NOT_PERMITTED


def test_only_the_withdrawal_rows_weigh_the_owners_age() -> None:
    weighing = {rule.action for rule in RULES if rule.owner_of_age is not None}
    assert weighing == {Action.WITHDRAW_CONSENT}
    for rule in RULES:
        for standing in rule.standings:
            for age in (True, False, None):
                asked = decide(
                    rule.action,
                    standing,
                    consent_valid=True,
                    plan_open=rule.plan.value != "closed",
                    owner_of_age=age,
                )
                unasked = decide(
                    rule.action, standing, consent_valid=True, plan_open=rule.plan.value != "closed"
                )
                if rule.owner_of_age is None:
                    assert asked == unasked  # no other answer depends on it


# --------------------------------------------------------------- the aggregate


@pytest.mark.parametrize(
    ("owner_of_age", "decides", "may_not"),
    [(True, "owner", "relative"), (False, "relative", "owner")],
    ids=["a young person of age decides", "a child's parent decides"],
)
def test_by_the_owners_age_one_of_owner_and_parent_withdraws_the_consent(
    group: Group, owner_of_age: bool, decides: str, may_not: str
) -> None:
    with refused(group.plan, NotPermittedError):
        group.plan.withdraw_consent(by=getattr(group, may_not), at=LATER, owner_of_age=owner_of_age)
    group.plan.withdraw_consent(by=getattr(group, decides), at=LATER, owner_of_age=owner_of_age)
    event = only_event(group.plan)
    assert isinstance(event, Plan.ConsentWithdrawn)
    assert event.actor_id == getattr(group, decides)


@pytest.mark.parametrize("owner_of_age", [True, False])
def test_the_coordinator_records_a_withdrawal_whatever_the_owners_age(
    group: Group, owner_of_age: bool
) -> None:
    group.plan.withdraw_consent(by=group.coordinator, at=LATER, owner_of_age=owner_of_age)
    assert isinstance(only_event(group.plan), Plan.ConsentWithdrawn)
