"""Run the benchmark on each store, print the figures side by side, write JSON."""

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository

from bench.measure import Stepper, durations
from bench.stores import DEFAULT_POSTGRES_URL, Backend, each_backend
from bench.workload import (
    TIMED_COMMENT,
    build_long_plan,
    create_new_plans,
    register_people,
    sample_comment_event,
    top_up,
)
from stafett.aggregates.plan import Plan
from stafett.aggregates.values import CommentTarget
from stafett.applications.commands import PostComment
from stafett.applications.parts import CommentOn
from stafett.applications.plans import SNAPSHOT_INTERVAL, PlanApplication
from stafett.settings import Settings

RESULTS = Path("var/bench/results.json")
LENGTH_POINTS = 5  # versions of the long plan loaded for the plots (a fifth of it apart)
KEYS = (
    "raw_insert_per_s",
    "command_per_s",
    "command_per_s_long_plan",
    "load_latest_10k_ms",
    "load_latest_10k_full_view_ms",
    "load_latest_10k_no_snapshot_ms",
    "as_of_5k_ms",
)
"""The headline figures; every backend's result has each of them."""


@dataclass(frozen=True)
class Sizes:
    plans: int  # new plans; a timed block is one command on each
    raw_block: int  # raw inserts per timed block
    rounds: int  # timed rounds, each: a block of raw inserts, of new-plan and long-plan commands
    long_events: int  # events in the long plan ("10k")
    long_block: int  # commands per round on the long plan; 100 = one snapshot each
    as_of: int  # the version loaded by plan_as_of ("5k")
    load_runs: int  # timed runs of each load with snapshots (median reported)
    replay_runs: int  # timed runs of the full replay without snapshots


FULL = Sizes(
    plans=500,
    raw_block=500,
    rounds=8,
    long_events=10_000,
    long_block=SNAPSHOT_INTERVAL,
    as_of=5_000,
    load_runs=21,
    replay_runs=5,
)
QUICK = Sizes(
    plans=50,
    raw_block=100,
    rounds=2,
    long_events=2_000,
    long_block=SNAPSHOT_INTERVAL,
    as_of=1_000,
    load_runs=5,
    replay_runs=2,
)

Say = Callable[[str], None]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _loads(
    loader: PlanApplication,
    plan_id: UUID,
    *,
    events: int,
    sizes: Sizes,
    result: dict[str, Any],
    detail: dict[str, Any],
    step: Say,
) -> None:
    """Load the long plan (exactly `events` events) from the store, by an app with no cache."""
    if loader.repository.cache is not None:
        raise RuntimeError("the loading application must have no aggregate cache")
    if loader.get_plan(plan_id).version != events:
        raise RuntimeError("the long plan does not load at its last version")

    step(f"loading the long plan: {sizes.load_runs} runs each")
    repo = durations(lambda: loader.repository.get(plan_id), runs=sizes.load_runs, warmup=2)
    view = durations(lambda: loader.get_plan(plan_id), runs=sizes.load_runs, warmup=2)
    result["load_latest_10k_ms"] = repo.median
    result["load_latest_10k_full_view_ms"] = view.median
    detail["load_latest"] = repo.spread
    detail["load_latest_full_view"] = view.spread

    step(f"replaying the long plan without snapshots: {sizes.replay_runs} runs")
    replay_repository: Repository[Any] = Repository(event_store=loader.events)
    replayed: object = replay_repository.get(plan_id)
    if not isinstance(replayed, Plan) or replayed.version != events:
        raise RuntimeError("replaying without snapshots gave another version")
    replay = durations(lambda: replay_repository.get(plan_id), runs=sizes.replay_runs, warmup=1)
    result["load_latest_10k_no_snapshot_ms"] = replay.median
    detail["load_latest_no_snapshot"] = replay.spread

    step(f"plan_as_of versions {sizes.as_of} and {sizes.as_of + 99}")
    if loader.plan_as_of(plan_id, version=sizes.as_of).version != sizes.as_of:
        raise RuntimeError("plan_as_of gave another version")
    as_of = durations(
        lambda: loader.plan_as_of(plan_id, version=sizes.as_of), runs=sizes.load_runs, warmup=2
    )
    as_of_tail = durations(
        lambda: loader.plan_as_of(plan_id, version=sizes.as_of + 99),
        runs=sizes.load_runs,
        warmup=2,
    )
    result["as_of_5k_ms"] = as_of.median
    result["as_of_5k_plus_99_ms"] = as_of_tail.median
    detail["as_of"] = as_of.spread
    detail["as_of_plus_99"] = as_of_tail.spread

    lengths = [events * part // LENGTH_POINTS for part in range(1, LENGTH_POINTS + 1)]
    step(f"the plan at {lengths} events (the series of the report's plots)")
    series = []
    for length in lengths:
        state = durations(
            partial(loader.repository.get, plan_id, version=length),
            runs=sizes.replay_runs,
            warmup=1,
        )
        read = durations(
            partial(loader.plan_as_of, plan_id, version=length), runs=sizes.replay_runs, warmup=1
        )
        series.append({"events": length, "load_ms": state.median, "as_of_ms": read.median})
    result["by_plan_length"] = series


def run_backend(backend: Backend, sizes: Sizes, say: Say = _say) -> dict[str, Any]:
    """Every figure for one store; the headline ones under `KEYS`, the rest beside them."""
    env = Settings(database_url=backend.url).event_store_env()
    started = time.perf_counter()

    def step(message: str) -> None:
        say(f"  [{backend.name} {time.perf_counter() - started:6.1f}s] {message}")

    result: dict[str, Any] = {"long_plan_events": sizes.long_events, "as_of_version": sizes.as_of}
    detail: dict[str, Any] = {"settings": backend.describe()}
    app = PlanApplication(env)
    try:
        people = register_people(app)
        coordinator = people.coordinator
        topic, state = sample_comment_event(app, people)
        detail["event_state_bytes"] = len(state)

        step(f"creating {sizes.plans} new plans (untimed)")
        new_plans = create_new_plans(app, people, sizes.plans)
        step(f"building the long plan: {sizes.long_events} events in memory, saved per 100")
        long = build_long_plan(app, people, sizes.long_events)
        storage = backend.plan_storage(app, long.plan_id)
        detail["long_plan_storage"] = storage
        expected = sizes.long_events // SNAPSHOT_INTERVAL
        if storage["version"] != long.events or storage["snapshots"] != expected:
            msg = f"long plan not as intended: {storage} (want {expected} snapshots)"
            raise RuntimeError(msg)

        loader = PlanApplication(env | {"AGGREGATE_CACHE_MAXSIZE": ""})
        try:
            _loads(
                loader,
                long.plan_id,
                events=long.events,
                sizes=sizes,
                result=result,
                detail=detail,
                step=step,
            )

            def command_on_new_plan(i: int) -> None:
                plan = new_plans[i % len(new_plans)]
                app.handle(
                    plan.plan_id,
                    PostComment(
                        on=CommentOn(kind=CommentTarget.GOAL, id=plan.goal_id), text=TIMED_COMMENT
                    ),
                    by=coordinator,
                )

            def command_on_long_plan(_: int) -> None:
                app.handle(
                    long.plan_id,
                    PostComment(
                        on=CommentOn(kind=CommentTarget.GOAL, id=long.goal_id), text=TIMED_COMMENT
                    ),
                    by=coordinator,
                )

            step(
                f"{sizes.rounds} rounds of: {sizes.raw_block} raw inserts, one post_comment on "
                f"each of the {sizes.plans} new plans, {sizes.long_block} on the long plan"
            )
            raw_rows = sizes.raw_block * (sizes.rounds + 1)
            with backend.raw_inserter(topic, state, raw_rows) as insert:
                raw = Stepper(insert, sizes.raw_block)
                raw.untimed(sizes.raw_block)
                # The first command on each plan loads it from the store (cache miss).
                first = Stepper(command_on_new_plan, sizes.plans)
                first.timed()
                command = Stepper(command_on_new_plan, sizes.plans)
                command.calls = first.calls
                long_command = Stepper(command_on_long_plan, sizes.long_block)
                long_command.untimed(10)  # the first loads the plan into the cache
                # Interleaved, so that a slow spell of the machine hits all three alike.
                for _ in range(sizes.rounds):
                    raw.timed()
                    command.timed()
                    long_command.timed()
            result["raw_insert_per_s"] = raw.result().median
            result["command_per_s"] = command.result().median
            result["command_per_s_first_load"] = first.result().median
            result["command_per_s_long_plan"] = long_command.result().median
            detail["raw_insert"] = raw.result().spread
            detail["command"] = command.result().spread
            detail["command_first_load"] = first.result().spread
            detail["command_long_plan"] = long_command.result().spread

            worst_version = top_up(app, people, long.plan_id)
            step(f"loading the long plan at version {worst_version} (99 past its snapshot)")
            worst = durations(lambda: loader.get_plan(long.plan_id), runs=sizes.load_runs, warmup=2)
            result["load_latest_99_past_snapshot_ms"] = worst.median
            detail["load_latest_99_past_snapshot"] = f"version {worst_version}, " + worst.spread
        finally:
            loader.close()
    finally:
        app.close()

    result["command_over_raw"] = result["command_per_s"] / result["raw_insert_per_s"]
    result["long_over_command"] = result["command_per_s_long_plan"] / result["command_per_s"]
    result["seconds"] = time.perf_counter() - started
    result["detail"] = detail
    step("done")
    return result


# ------------------------------------------------------------------ reporting

GOALS: tuple[tuple[str, str, str, Callable[[float], bool]], ...] = (
    # (label, value from a result, goal text, passes)
    ("command_per_s / raw_insert_per_s", "command_over_raw", "≥ 0.5", lambda v: v >= 0.5),
    ("command_per_s_long_plan / command_per_s", "long_over_command", "≥ 0.8", lambda v: v >= 0.8),
    ("load_latest_10k_ms", "load_latest_10k_ms", "≤ 5 ms", lambda v: v <= 5),
    ("as_of_5k_ms", "as_of_5k_ms", "≤ 20 ms", lambda v: v <= 20),
)


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "loadavg": os.getloadavg(),
        "cpu": cpu,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "packages": {
            name: package_version(name) for name in ("eventsourcing", "psycopg", "msgspec")
        },
    }


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def report(results: dict[str, Any], sizes: Sizes, out: Path) -> str:
    names = [name for name in ("sqlite", "postgres") if isinstance(results.get(name), dict)]
    info = results["machine"]
    lines = [
        f"Stafett benchmark ({results['mode']} run)",
        f"machine: nproc={info['nproc']}, {info['cpu']}",
        f"         {info['python']}, {info['platform']}",
        "         " + ", ".join(f"{k} {v}" for k, v in info["packages"].items()),
        f"sizes:   {sizes.rounds} rounds of {sizes.raw_block} raw inserts, {sizes.plans} commands "
        f"(one per new plan), {sizes.long_block} on the long plan; long plan "
        f"{sizes.long_events} events; as of {sizes.as_of}",
        "",
    ]
    width = 42
    head = f"{'':{width}}" + "".join(f"{name:>16}" for name in names) + "   goal"
    lines += [head, "-" * len(head)]
    rows: list[tuple[str, str, str | None]] = [
        ("raw_insert_per_s", "raw_insert_per_s", None),
        ("command_per_s", "command_per_s", None),
        ("command_per_s_long_plan", "command_per_s_long_plan", None),
        ("load_latest_10k_ms", "load_latest_10k_ms", None),
        ("load_latest_10k_full_view_ms", "load_latest_10k_full_view_ms", None),
        ("load_latest_10k_no_snapshot_ms", "load_latest_10k_no_snapshot_ms", None),
        ("as_of_5k_ms", "as_of_5k_ms", None),
    ]
    for label, key, _ in rows:
        cells = "".join(f"{_number(results[name][key]):>16}" for name in names)
        lines.append(f"{label:{width}}{cells}")
    lines.append("")
    for label, key, goal, passes in GOALS:
        cells = "".join(
            f"{_number(results[n][key]) + (' PASS' if passes(results[n][key]) else ' MISS'):>16}"
            for n in names
        )
        lines.append(f"{label:{width}}{cells}   {goal}")
    lines += ["", "more figures (not goals):"]
    extras = (
        ("command_per_s_first_load", "command_per_s, first on each plan"),
        ("load_latest_99_past_snapshot_ms", "get_plan 99 events past snapshot"),
        ("as_of_5k_plus_99_ms", "as_of + 99 (snapshot + 99 events)"),
    )
    for key, label in extras:
        cells = "".join(f"{_number(results[name][key]):>16}" for name in names)
        lines.append(f"  {label:{width - 2}}{cells}")
    for name in names:
        detail = results[name]["detail"]
        storage = detail["long_plan_storage"]
        lines += [
            "",
            f"{name}: " + ", ".join(f"{k}={v}" for k, v in detail["settings"].items()),
            f"  CommentPosted state: {detail['event_state_bytes']} bytes; "
            f"run took {results[name]['seconds']:.0f} s",
            f"  long plan: {storage['events']} events ({storage['event_bytes'] / 1e6:.1f} MB), "
            f"{storage['snapshots']} snapshots ({storage['snapshot_bytes'] / 1e6:.1f} MB, "
            f"largest {storage['largest_snapshot_bytes'] / 1e6:.2f} MB, latest at version "
            f"{storage['latest_snapshot_version']}) and their log chunks, stored once "
            f"({storage['chunk_bytes'] / 1e6:.1f} MB): "
            f"{storage['snapshot_and_chunk_bytes'] / max(storage['event_bytes'], 1):.2f}× "
            "the event bytes (goal ≤ 2×)",
        ]
        for key in (
            "raw_insert",
            "command",
            "command_first_load",
            "command_long_plan",
            "load_latest",
            "load_latest_full_view",
            "load_latest_no_snapshot",
            "as_of",
            "as_of_plus_99",
            "load_latest_99_past_snapshot",
        ):
            lines.append(f"  {key:30}{detail[key]}")
    for name, error in results.get("errors", {}).items():
        lines += ["", f"{name}: FAILED: {error}"]
    lines += ["", *METHOD, "", f"written to {out}"]
    return "\n".join(lines)


METHOD = (
    "method:",
    "  raw_insert_per_s: the raw driver (sqlite3 / psycopg 3), one INSERT + COMMIT per row into",
    "    a table with the events table's primary key, in the same file / schema (SQLite: WAL,",
    "    default synchronous, as eventsourcing connects); rows carry a real CommentPosted state.",
    "    Median of its blocks (one per round).",
    "  command_per_s: PlanApplication.handle(PostComment) on a goal, round-robin over the plans;",
    "    a first round (reported apart as 'first on each plan': cache misses) fills the",
    "    aggregate cache, as a running server has it; then each timed round is one command per",
    "    plan (copy from the cache, command, save, cache the saved plan); median of the rounds.",
    "  command_per_s_long_plan: the same command repeated on the long plan, 100 per round, so",
    "    each round takes exactly one snapshot; median of the rounds. The rounds of the three",
    "    rates above are interleaved (raw, new plans, long plan, raw, ...), so that a busy",
    "    spell of the (shared) machine hits all alike; the loads come before these rounds.",
    "  load_latest_10k_ms: repository.get (the plan, ready for a command) by a second",
    "    application with no aggregate cache (AGGREGATE_CACHE_MAXSIZE=''), so every run reads",
    "    the latest snapshot (at 10,000) from the store; comments and messages stay encoded.",
    "  load_latest_10k_full_view_ms: PlanApplication.get_plan (repository.get + PlanView, which",
    "    decodes every comment and message) by the same application: what a read costs.",
    "  load_latest_10k_no_snapshot_ms: eventsourcing's Repository(event_store=app.events)",
    "    with no snapshot store and no cache: .get() reads and replays all 10,000 events.",
    "  as_of_5k_ms: PlanApplication.plan_as_of(version=5000) (snapshot at 5,000, no events;",
    "    the PlanView decodes every comment and message).",
    "  All times with time.perf_counter after warm-ups; medians.",
)


def main(argv: Sequence[str] | None = None, *, quick_sizes: Sizes = QUICK) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="run on one store only")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("STAFETT_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server and database; the benchmark makes (and drops) its own schema there",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    sizes = quick_sizes if args.quick else FULL
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "machine": machine(),
        "sizes": asdict(sizes),
    }
    by_store, errors = each_backend(
        args.only, args.postgres_url, lambda backend: run_backend(backend, sizes)
    )
    results |= by_store
    if errors:
        results["errors"] = errors
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(report(results, sizes, args.out))
    return 1 if errors else 0
