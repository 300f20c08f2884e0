"""An auditor's search over every plan (`PlanListView.plans_matching`), on SQLite and PostgreSQL."""

from datetime import date

from stafett.aggregates.values import PlanStatus, PlanType
from stafett.applications.commands import ClosePlan
from stafett.applications.parts import ConsentIn, CreatePlan, PersonIn
from stafett.applications.plans import PlanApplication
from stafett.projections.plan_list import PlanListProjection, PlanListView, PlanSearch
from tests.conftest import consent_for, person
from tests.integration.test_plan_list import START, make_group, project


def found(view: PlanListView, limit: int = 50, **terms: object) -> list[str]:
    return [p.short_name for p in view.plans_matching(PlanSearch(**terms), limit=limit)]  # type: ignore[arg-type]


def test_each_term_narrows_the_search_and_the_order_is_by_the_owners_name(
    plans: PlanApplication, view: PlanListView
) -> None:
    g = make_group(plans, short_name="Ola")  # Ola Nordmann, born 17.05.2015, from 01.03.2026
    plans.handle(g.plan_id, ClosePlan(ended_on=date(2026, 3, 10)), by=g.coordinator)
    berg = plans.register_person(person("Åse", "Berg", birth_date=date(2012, 1, 2)), by=None)
    plans.create_plan(
        CreatePlan(
            type=PlanType.RELAY_LOG,
            short_name="Åse",
            start_date=date(2026, 4, 1),
            owner=PersonIn.of(berg.person_id),
            consent=ConsentIn.of(consent_for(START)),
        ),
        by=g.coordinator,
    )
    project(plans, PlanListProjection(view))

    assert found(view, active_from=date(2000, 1, 1)) == ["Åse", "Ola"]  # Berg before Nordmann
    assert found(view, limit=1, active_from=date(2000, 1, 1)) == ["Åse"]
    assert found(view, first_name="ol") == ["Ola"]
    assert found(view, first_name="OLA", last_name="NORD") == ["Ola"]
    assert found(view, last_name="ola") == []  # a later word of the name, not the first
    assert found(view, last_name="n_rdmann") == []  # `_` and `%` match only themselves
    assert found(view, first_name="%") == []
    assert found(view, birth_date=date(2015, 5, 17)) == ["Ola"]
    assert found(view, birth_date=date(2015, 5, 18)) == []
    assert found(view, status=PlanStatus.CLOSED, active_from=date(2000, 1, 1)) == ["Ola"]
    assert found(view, status=PlanStatus.OPEN, active_from=date(2000, 1, 1)) == ["Åse"]
    # Active in a period: started by its end, and still open or ended on or after its start.
    assert found(view, active_from=date(2026, 3, 10)) == ["Åse", "Ola"]
    assert found(view, active_from=date(2026, 3, 11)) == ["Åse"]
    assert found(view, active_to=date(2026, 2, 28)) == []
    assert found(view, active_to=date(2026, 3, 31)) == ["Ola"]
    assert found(view, active_from=date(2026, 3, 11), active_to=date(2026, 3, 31)) == []
    assert found(view, active_from=date(2030, 1, 1)) == ["Åse"]  # open: active until closed

    [ola] = view.plans_matching(PlanSearch(first_name="Ola"), limit=5)
    assert (ola.owner_first_name, ola.owner_last_name) == ("Ola", "Nordmann")
    assert ola.owner_birth_date == date(2015, 5, 17)
    assert (ola.status, ola.type, ola.start_date, ola.end_date) == (
        "closed",
        "IP",
        START,
        date(2026, 3, 10),
    )


def test_an_erased_owner_is_found_by_the_plan_not_by_the_name(
    plans: PlanApplication, view: PlanListView
) -> None:
    g = make_group(plans, short_name="Ola")
    project(plans, PlanListProjection(view))
    plans.directory.erase(g.owner, actor_id=None, at=plans.clock(), kind="erased")
    assert found(view, last_name="Nordmann") == []
    [plan] = view.plans_matching(PlanSearch(active_from=START), limit=5)
    assert plan.id == g.plan_id
    assert plan.owner_first_name is None
    assert plan.owner_birth_date is None


def test_the_search_says_which_kinds_of_terms_it_has_never_their_values() -> None:
    search = PlanSearch(last_name="Nordmann", birth_date=date(2015, 5, 17), active_to=START)
    assert search.kinds == ("last_name", "birth_date", "active_to")
    assert PlanSearch().kinds == ()
