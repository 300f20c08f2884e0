"""The permitted-view property through the store: SQLite and PostgreSQL.

The same random histories as `tests/unit/test_permitted_view.py`, saved through the
plan application; every person's `read_plan` answer, read back from the store at
the history's last instant, must equal the oracle's filter of the full plan.
"""

from uuid import UUID, uuid4

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stafett.aggregates.errors import ConsentNotValidError, NotAParticipantError
from stafett.applications.permitted import PlanOut
from stafett.applications.plans import PlanApplication
from tests.conftest import ManualClock
from tests.unit.test_permitted_view import PEOPLE, START, World, new_plan, oracle, seen, steps


def read_back(plans: PlanApplication, plan_id: UUID, person_id: UUID) -> PlanOut:
    """The view as its reader receives it: encoded (parts may be embedded JSON) and decoded."""
    answer = msgspec.json.encode(plans.read_plan(plan_id, by=person_id))
    return msgspec.json.decode(answer, type=PlanOut)


@settings(
    max_examples=min(settings().max_examples, 40),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(history=st.lists(steps, min_size=1, max_size=30))
def test_stored_views_are_the_full_plan_filtered_by_the_rights_in_force(
    plans: PlanApplication, clock: ManualClock, history: list[tuple[object, ...]]
) -> None:
    world = World(plan=new_plan(plan_id=uuid4()), now=START)
    for step in history:
        world.apply(step)
    plans.save(world.plan)
    clock.now = world.now
    for person_id in PEOPLE:
        want = oracle(world.plan, person_id, world.now)
        try:
            got: dict[str, object] | type[Exception] = seen(
                read_back(plans, world.plan.id, person_id)
            )
        except (NotAParticipantError, ConsentNotValidError) as refused:
            got = type(refused)
        assert got == want, f"{person_id} after {history}"


def test_a_stored_view_is_read_from_the_store_not_from_the_caller(
    plans: PlanApplication, clock: ManualClock
) -> None:
    """The answer follows what was saved: a later unsaved change is not in it."""
    world = World(plan=new_plan(plan_id=uuid4()), now=START)
    world.apply(("goal", PEOPLE[0]))
    plans.save(world.plan)
    world.apply(("goal", PEOPLE[0]))  # not saved
    clock.now = START
    stored = read_back(plans, world.plan.id, PEOPLE[0])
    assert stored.goals is not msgspec.UNSET
    assert len(stored.goals) == 1
