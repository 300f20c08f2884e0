"""The permitted plan view of a large plan, beside loading that plan, in one run.

On each store: a plan with `goals` goals and `comments` comments on them (plus a
few participants). Timed, `runs` times each (median and p90 reported):

- baseline: `get_plan` — loading the plan's current state from the store and cache,
  what every read must at least do;
- the view as the coordinator gets it: `read_plan` (the policy-filtered view, names
  looked up) encoded as JSON, exactly what `GET /api/v1/plans/{id}` does apart from
  its access-log row;
- the same with the cache of encoded parts emptied before each call (the first
  view of a new version, after a write);
- the same for a relative whose goal right is `none` (the sections they cannot read
  should cost nothing).

Figures are printed and merged into var/bench/results.json under "plan_view".
"""

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec

from bench.stores import DEFAULT_POSTGRES_URL, Backend, each_backend
from bench.workload import consent_from, now
from stafett.aggregates.person import PersonDetails
from stafett.aggregates.values import Access, CommentTarget, PlanType, Rights, local_date
from stafett.applications.commands import AddParticipant, PostComment, SetGoal
from stafett.applications.parts import CommentOn, ConsentIn, CreatePlan, PersonIn, RightsIn
from stafett.applications.permitted import EncodedParts
from stafett.applications.plans import PlanApplication
from stafett.settings import Settings

RESULTS = Path("var/bench/results.json")


@dataclass(frozen=True)
class Sizes:
    goals: int
    comments: int
    runs: int


FULL = Sizes(goals=300, comments=2_000, runs=60)
QUICK = Sizes(goals=30, comments=200, runs=10)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Built:
    plan_id: UUID
    coordinator: UUID
    relative: UUID


def build_plan(app: PlanApplication, sizes: Sizes) -> Built:
    def register(first: str, last: str) -> UUID:
        return app.register_person(PersonDetails(first, last), by=None).person_id

    coordinator = register("Kari", "Stafettholder")
    owner = register("Ola", "Nordmann")
    relative = register("Anne", "Nordmann")
    provider = register("Per", "Lærer")
    today = local_date(now())
    plan_id = app.create_plan(
        CreatePlan(
            type=PlanType.INDIVIDUAL_PLAN,
            short_name="Stor plan",
            start_date=today,
            owner=PersonIn.of(owner),
            consent=ConsentIn.of(consent_from(today)),
        ),
        by=coordinator,
    ).plan_id
    app.handle(
        plan_id,
        AddParticipant(
            person=PersonIn.of(relative),
            role="relative",
            rights=RightsIn.of(Rights(goals=Access.NONE)),
        ),
        by=coordinator,
    )
    app.handle(
        plan_id, AddParticipant(person=PersonIn.of(provider), role="provider"), by=coordinator
    )
    goals = []
    for i in range(sizes.goals):
        result = app.handle(
            plan_id, SetGoal(title=f"Mål {i}", description="Tekst " * 20), by=coordinator
        )
        assert result.created_id is not None
        goals.append(result.created_id)
    for i in range(sizes.comments):
        app.handle(
            plan_id,
            PostComment(
                on=CommentOn(kind=CommentTarget.GOAL, id=goals[i % len(goals)]),
                text=f"Kommentar {i}: " + "ord " * 30,
            ),
            by=coordinator,
        )
    return Built(plan_id, coordinator, relative)


def timed(call: Callable[[], object], runs: int) -> dict[str, float]:
    call()  # warm the cache, as a server that has served the plan once has
    ms = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        ms.append((time.perf_counter() - started) * 1000)
    ms.sort()
    return {
        "median_ms": round(statistics.median(ms), 3),
        "p90_ms": round(ms[int(len(ms) * 0.9) - 1], 3),
    }


def measure(backend: Backend, sizes: Sizes) -> dict[str, Any]:
    app = PlanApplication(Settings(database_url=backend.url).event_store_env())
    try:
        _say(f"  building a plan of {sizes.goals} goals and {sizes.comments} comments")
        built = build_plan(app, sizes)

        def view_for(person: UUID) -> Callable[[], bytes]:
            def run() -> bytes:
                return msgspec.json.encode(app.read_plan(built.plan_id, by=person))

            return run

        baseline = timed(lambda: app.get_plan(built.plan_id), sizes.runs)
        coordinator = timed(view_for(built.coordinator), sizes.runs)
        first_view = view_for(built.coordinator)

        def uncached() -> bytes:
            app.encoded_parts = EncodedParts()  # as after a write: every part encoded anew
            return first_view()

        cold = timed(uncached, sizes.runs)
        relative = timed(view_for(built.relative), sizes.runs)
        return {
            "sizes": asdict(sizes),
            "load_ms": baseline,
            "view_coordinator_ms": coordinator,
            "view_coordinator_first_ms": cold,
            "view_relative_without_goals_ms": relative,
            "view_over_load": round(coordinator["median_ms"] / baseline["median_ms"], 2),
        }
    finally:
        app.close()


def main(argv: Sequence[str] | None = None, *, quick_sizes: Sizes = QUICK) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plan_view", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = quick_sizes if args.quick else FULL
    results, errors = each_backend(args.only, args.postgres_url, lambda b: measure(b, sizes))
    print(f"plan view ({sizes.goals} goals, {sizes.comments} comments)       sqlite    postgres")
    for label, key in (
        ("baseline: get_plan, median ms", "load_ms"),
        ("view as coordinator, median ms", "view_coordinator_ms"),
        ("  first view of a version (nothing cached), ms", "view_coordinator_first_ms"),
        ("view as relative without goals, median ms", "view_relative_without_goals_ms"),
    ):
        cells = [
            f"{results[s][key]['median_ms']:>10.2f}" if s in results else f"{'—':>10}"
            for s in ("sqlite", "postgres")
        ]
        print(f"{label:<48}{''.join(cells)}")
    ratio = [
        f"{results[s]['view_over_load']:>10.2f}" if s in results else f"{'—':>10}"
        for s in ("sqlite", "postgres")
    ]
    print(f"{'  view / load':<48}{''.join(ratio)}")
    for name, error in errors.items():
        print(f"{name}: not measured ({error})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    merged: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    merged["plan_view"] = results
    args.out.write_text(json.dumps(merged, indent=2) + "\n")
    return 0 if results else 1


if __name__ == "__main__":
    raise SystemExit(main())
