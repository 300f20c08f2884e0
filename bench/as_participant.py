"""The plan as a participant could see it at a random instant, beside the latest state, in one run.

On each store: the benchmark's long plan (`workload.build_long_plan`: 10,000 events of
a realistic mix, saved 100 at a time so there is a snapshot at every hundredth
version, over about five weeks), read by a second application with no aggregate
cache (so every read goes to the store, as a first read on a busy server does).
Timed, `runs` times each, median and p90 reported:

- latest state: `get_plan` (the latest snapshot and the events after it, every
  comment and message decoded), and the latest permitted view of a participant
  (`read_plan`, encoded as JSON, as `GET /api/v1/plans/{id}` answers it);
- as a participant at a random instant: `plan_as_participant` at an instant drawn
  uniformly between the plan's first and last event and one of its participants
  drawn at random, encoded as JSON, as
  `GET /api/v1/plans/{id}/history?as_of=T&as_participant=PID` answers it (time index,
  the snapshot at or before that version and up to 99 events after it, the permitted
  view at T). Each run draws anew (a fixed seed), so the cache of encoded parts
  seldom helps.

Figures are printed and merged into var/bench/results.json under "as_participant".
"""

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import msgspec

from bench.stores import DEFAULT_POSTGRES_URL, Backend, each_backend
from bench.workload import build_long_plan, register_people
from stafett.aggregates.plan import Plan
from stafett.applications.plans import PlanApplication
from stafett.settings import Settings

RESULTS = Path("var/bench/results.json")
SEED = 11


@dataclass(frozen=True)
class Sizes:
    events: int
    runs: int


FULL = Sizes(events=10_000, runs=60)
QUICK = Sizes(events=2_000, runs=10)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(call: Callable[[], object], runs: int) -> dict[str, float]:
    call()  # a warm-up, as for every figure here
    ms = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        ms.append((time.perf_counter() - started) * 1000)
    ms.sort()
    return {
        "median_ms": round(statistics.median(ms), 3),
        "p90_ms": round(ms[max(int(len(ms) * 0.9) - 1, 0)], 3),
    }


def measure(backend: Backend, sizes: Sizes) -> dict[str, Any]:
    env = Settings(database_url=backend.url).event_store_env()
    app = PlanApplication(env)
    loader = PlanApplication(env | {"AGGREGATE_CACHE_MAXSIZE": ""})
    try:
        people = register_people(app)
        _say(f"  building a plan of {sizes.events} events")
        long = build_long_plan(app, people, sizes.events)
        events = [cast(Plan.Event, e) for e in app.events.get(long.plan_id)]
        first, last = events[0].timestamp, events[-1].timestamp
        plan = loader.get_plan(long.plan_id)
        assert plan.version == sizes.events
        participants = [p.participant_id for p in plan.participants if p.active]
        reader = people.others[2]  # a provider (teacher) in the plan
        draw = random.Random(SEED)
        versions: list[int] = []
        refused = 0

        def at_random() -> bytes:
            nonlocal refused
            at = first + (last - first) * draw.random()
            seen = loader.plan_as_participant(long.plan_id, draw.choice(participants), at=at)
            versions.append(seen.version)
            refused += not seen.could_open
            return msgspec.json.encode(seen)

        latest = timed(lambda: loader.get_plan(long.plan_id), sizes.runs)
        latest_view = timed(
            lambda: msgspec.json.encode(loader.read_plan(long.plan_id, by=reader)), sizes.runs
        )
        as_participant = timed(at_random, sizes.runs)
        return {
            "sizes": asdict(sizes),
            "load_latest_ms": latest,
            "view_latest_ms": latest_view,
            "as_participant_random_ms": as_participant,
            "as_participant_over_load": round(as_participant["median_ms"] / latest["median_ms"], 2),
            "versions_drawn": [min(versions), max(versions)],
            "refused_draws": refused,
            "participants": len(participants),
        }
    finally:
        loader.close()
        app.close()


ROWS = (
    ("latest state: get_plan, median ms", "load_latest_ms"),
    ("latest permitted view (provider), median ms", "view_latest_ms"),
    ("as a participant at a random instant, median ms", "as_participant_random_ms"),
)


def main(argv: Sequence[str] | None = None, *, quick_sizes: Sizes = QUICK) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.as_participant", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = quick_sizes if args.quick else FULL
    results, errors = each_backend(args.only, args.postgres_url, lambda b: measure(b, sizes))
    stores = ("sqlite", "postgres")
    print(f"{f'as participant ({sizes.events} events, {sizes.runs} runs)':<52}    sqlite  postgres")
    for label, key in ROWS:
        for figure in ("median_ms", "p90_ms"):
            cells = [
                f"{results[s][key][figure]:>10.2f}" if s in results else f"{'—':>10}"
                for s in stores
            ]
            shown = label if figure == "median_ms" else "  p90 ms"
            print(f"{shown:<52}{''.join(cells)}")
    ratio = [
        f"{results[s]['as_participant_over_load']:>10.2f}" if s in results else f"{'—':>10}"
        for s in stores
    ]
    print(f"{'  as participant / latest state':<52}{''.join(ratio)}")
    for name, figures in results.items():
        low, high = figures["versions_drawn"]
        print(
            f"{name}: versions drawn {low}–{high}, {figures['refused_draws']} of "
            f"{sizes.runs + 1} draws refused (consent), {figures['participants']} participants"
        )
    for name, error in errors.items():
        print(f"{name}: not measured ({error})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    merged: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    merged["as_participant"] = results
    args.out.write_text(json.dumps(merged, indent=2) + "\n")
    return 0 if results else 1


if __name__ == "__main__":
    raise SystemExit(main())
