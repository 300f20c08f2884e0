"""Sealing and verifying records of long plans: plans of 1,000 and 10,000 events.

On each store: a plan of each size (the benchmark's realistic mix of events, see
`workload.py`), a few reads in its access log; then, `runs` times each (median
reported): `seal`, which reads the plan and its events from the store, builds the
record's signed core, stores it and records the `Archived` event (`Archives.seal`,
what the coordinator waits for); `rendition`, the record's PDF/A and Noark 5 metadata
under their signed manifest, which the seal leaves to a thread of its own (decision
0026; here run after the seal, timed on its own); and `verify`, the offline check of
the complete record's zip as a download gives it (`verify_record`: signature, file
hashes, the event chain, versions, folding the events into the final state, the
access log, the rendition, the Noark schema). Goal: seal + verify of a 10,000-event
plan under 1 s.

The record's `arkivstruktur.xml` comes from `stafett.archive.noark` (validated against
the Noark 5 schema by `verify`), its PDF from `stafett.archive.pdf` when that is
installed, otherwise from the tests' small stand-in, which the printout says (the PDF's
time is then not in the figures).
Figures are printed and merged into var/bench/results.json under "archive".
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from tests.sealing import Deferred

from bench.stores import DEFAULT_POSTGRES_URL, Backend, each_backend
from bench.workload import build_long_plan, register_people
from stafett.applications.plans import PlanApplication
from stafett.archive.keys import SigningKey
from stafett.archive.renderers import Renderers, standard_renderers
from stafett.archive.service import Archives
from stafett.archive.verify import verify_record
from stafett.bootstrap import build_access_log
from stafett.persistence.archives import ArchiveStore
from stafett.settings import Settings

RESULTS = Path("var/bench/results.json")
GOAL_MS = 1000.0


@dataclass(frozen=True)
class Sizes:
    events: tuple[int, ...]
    runs: int


FULL = Sizes(events=(1_000, 10_000), runs=5)
QUICK = Sizes(events=(100, 300), runs=2)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def renderers() -> tuple[Renderers, bool]:
    """The real renderers if installed, else the tests' stand-in PDF (and False)."""
    try:
        return standard_renderers(), True
    except ModuleNotFoundError:
        from tests.sealing import TEST_RENDERERS

        return TEST_RENDERERS, False


T = TypeVar("T")


def median_ms(call: Callable[[], T], runs: int) -> tuple[float, T]:
    """The median of `runs` timed calls, in ms, and the last call's result."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1), result


def measure(backend: Backend, sizes: Sizes, chosen: Renderers) -> dict[str, Any]:
    app = PlanApplication(Settings(database_url=backend.url).event_store_env())
    try:
        access_log = build_access_log(app)
        store = ArchiveStore(app.directory.datastore)
        store.create_tables()
        key = SigningKey(bytes(32))
        held = Deferred()  # each seal's rendition, run and timed after the seal
        archives = Archives(
            app, access_log, store, key=key, renderers=lambda: chosen, renditions=held
        )
        people = register_people(app)
        figures: dict[str, Any] = {"sizes": asdict(sizes)}
        for events in sizes.events:
            _say(f"  building a plan of {events} events")
            plan = build_long_plan(app, people, events)
            for section in ("overview", "goals", "messages"):
                access_log.record(
                    plan.plan_id,
                    reader_person_id=people.coordinator,
                    role="coordinator",
                    sections=[section],
                    grounds="participant:bench",
                )
            _say(f"  sealing and verifying it, {sizes.runs} runs each")
            seal_times, rendition_times = [], []
            for _ in range(sizes.runs):
                seal_ms, sealed = median_ms(
                    partial(archives.seal, plan.plan_id, by=people.coordinator), 1
                )
                rendition_ms, _ = median_ms(held.run, 1)
                seal_times.append(seal_ms)
                rendition_times.append(rendition_ms)
            data = archives.release(sealed.archive_id).data
            verify_ms, result = median_ms(
                partial(
                    verify_record, data, schema_errors=chosen.schema_errors, public_key=key.public
                ),
                sizes.runs,
            )
            if not result.intact:
                raise RuntimeError(f"a sealed record did not verify: {result}")
            seal_ms = round(statistics.median(seal_times), 1)
            figures[str(events)] = {
                "seal_ms": seal_ms,
                "rendition_ms": round(statistics.median(rendition_times), 1),
                "verify_ms": verify_ms,
                "seal_and_verify_ms": round(seal_ms + verify_ms, 1),
                # The baseline in the same run: what a seal that waited for its PDF took
                # (the whole record, as before decision 0026), and the share left.
                "whole_record_ms": round(
                    statistics.median(
                        s + r for s, r in zip(seal_times, rendition_times, strict=True)
                    ),
                    1,
                ),
                "record_kb": round(len(data) / 1024, 1),
            }
        return figures
    finally:
        app.close()


def main(argv: Sequence[str] | None = None, *, quick_sizes: Sizes = QUICK) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.archive", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = quick_sizes if args.quick else FULL
    chosen, real = renderers()
    results, errors = each_backend(
        args.only, args.postgres_url, lambda b: measure(b, sizes, chosen)
    )
    made_by = "PDF/A and Noark 5" if real else "stand-in PDF, Noark 5"
    print(f"{f'sealed records ({made_by})':<56}{'sqlite':>10}{'postgres':>10}")
    for events in sizes.events:
        for label, key in (
            ("seal, median ms", "seal_ms"),
            ("rendition (after the seal), median ms", "rendition_ms"),
            ("verify, median ms", "verify_ms"),
            ("seal + verify, ms", "seal_and_verify_ms"),
            ("baseline: seal waiting for its PDF, ms", "whole_record_ms"),
            ("record, kB", "record_kb"),
        ):
            cells = [
                f"{results[s][str(events)][key]:>10.1f}" if s in results else f"{'—':>10}"
                for s in ("sqlite", "postgres")
            ]
            print(f"{f'{events:,} events: {label}':<56}{''.join(cells)}")
    for events in sizes.events:
        for store, figures in results.items():
            row = figures[str(events)]
            print(
                f"{events:,} events, {store}: seal / seal waiting for its PDF = "
                f"{row['seal_ms'] / row['whole_record_ms']:.3f}"
            )
    largest = str(max(sizes.events))
    for store, figures in results.items():
        total = figures[largest]["seal_and_verify_ms"]
        verdict = "met" if total < GOAL_MS else "missed"
        print(f"goal seal + verify < {GOAL_MS:.0f} ms at {largest} events, {store}: {verdict}")
    if not real:
        print("  (record.pdf by a stand-in: the PDF/A renderer's time is not included)")
    print(f"load average {tuple(round(x, 2) for x in os.getloadavg())}")
    for name, error in errors.items():
        print(f"{name}: not measured ({error})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    merged: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    merged["archive"] = results | {"real_renderers": real}
    args.out.write_text(json.dumps(merged, indent=2) + "\n")
    return 0 if results else 1


if __name__ == "__main__":
    raise SystemExit(main())
