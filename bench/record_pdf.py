"""record.pdf: how long `record_pdf` takes for a large plan, and where the time goes.

Plans are built on the in-memory store with the benchmark's long-plan writer
(`bench.workload`): a plan of `events` events (about 40 % comments, 28 % messages),
and the issue's "300 goals and 2,000 comments" plan (5,000 events topped up to 300
goals). For each: pages, bytes, wall and CPU time of one `record_pdf` call (the
machine is shared, so CPU time is the steadier figure) and the share of it Typst takes
(the rest is our data preparation: `record_document`'s strings and their JSON); then
pages and CPU time of the same document cut: without the timeline, with only its last
`CAPPED` events, or the content alone (no timeline, comments or messages); the large
plans only the last.

Each plan is measured in a process of its own, so that its peak memory (the process's
maximum resident set, before and after the `record_pdf` call) is its own.

Figures are printed and merged into var/bench/results.json under "record_pdf".
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from uuid import uuid4

from pypdf import PdfReader

from bench.workload import build_long_plan, register_people
from stafett.aggregates.plan import Plan
from stafett.archive import pdf
from stafett.bootstrap import build_plans
from stafett.settings import Settings

RESULTS = Path("var/bench/results.json")
CAPPED = 500


def _timed(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one call (the machine is shared: CPU time is the steadier)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _layout(document: pdf.RecordDocument, sealed_at: datetime) -> tuple[float, float, int, int]:
    """Wall and CPU seconds, pages and bytes of a document through the whole PDF path."""
    wall, cpu, data = _timed(lambda: pdf.render(document, sealed_at, tagged=False))
    return wall, cpu, len(PdfReader(BytesIO(data)).pages), len(data)


def _peak_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux counts it in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(events: int, goals: int | None, cuts: tuple[str, ...]) -> dict[str, Any]:
    app = build_plans(Settings(database_url="memory://"))
    try:
        people = register_people(app)
        plan_id = build_long_plan(app, people, events).plan_id
        plan: object = app.repository.get(plan_id)
        assert isinstance(plan, Plan)
        at = datetime.now(UTC) - timedelta(minutes=5)
        while goals is not None and len(plan.state.goals) < goals:
            number = len(plan.state.goals) + 1
            plan.set_goal(
                by=people.coordinator,
                at=at,
                goal_id=uuid4(),
                title=f"Mål nummer {number}: Ánte leser med glede",
                description="Målet er satt på oppstartsmøtet og evalueres hver måned.",
                due_on=None,
            )
        app.save(plan)
        state = plan.state
        timeline = app.timeline(plan_id)
        people_ids = {p.person_id for p in state.participants.values()} | {state.owner_person_id}
        names = app.person_names(people_ids)
    finally:
        app.close()
    sealed_at = datetime.now(UTC)

    rss_before = _peak_mb()
    wall, cpu, data = _timed(
        lambda: pdf.record_pdf(state, names=names, timeline=timeline, sealed_at=sealed_at)
    )
    _, doc_cpu, doc = _timed(
        lambda: pdf.record_document(state, names=names, timeline=timeline, sealed_at=sealed_at)
    )
    _, json_cpu, _ = _timed(lambda: pdf.record_data(doc))
    typst_cpu = max(cpu - doc_cpu - json_cpu, 0.0)  # the rest of record_pdf: Typst's compile
    figures: dict[str, Any] = {
        "events": len(timeline),
        "goals": len(state.goals),
        "comments": len(state.comments),
        "messages": len(state.messages),
        "pages": len(PdfReader(BytesIO(data)).pages),
        "bytes": len(data),
        "record_pdf_wall_s": round(wall, 2),
        "record_pdf_cpu_s": round(cpu, 2),
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_mb(),
        "strings_cpu_s": round(doc_cpu, 3),
        "json_cpu_s": round(json_cpu, 3),
        # Where record_pdf's CPU time goes: our data preparation (the document's strings
        # and their JSON) against Typst's layout and PDF/A writing, in the same run.
        "typst_share": round(typst_cpu / cpu, 3) if cpu else None,
    }
    # What cutting would leave: the record without the timeline, with only its last
    # CAPPED events, and the content alone (no timeline, comments or messages).
    variants = {
        "without_timeline": replace(doc, timeline=()),
        f"timeline_last_{CAPPED}": replace(doc, timeline=doc.timeline[-CAPPED:]),
        "content_only": replace(doc, timeline=(), comments=(), messages=()),
    }
    for name in cuts:
        _, cpu, pages, _ = _layout(variants[name], sealed_at)
        figures[f"{name}_pages"] = pages
        figures[f"{name}_cpu_s"] = round(cpu, 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the smallest plan only")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON to merge results into")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # one plan, in a child process
    args = parser.parse_args()
    every_cut = ("without_timeline", f"timeline_last_{CAPPED}", "content_only")
    cases: list[tuple[str, int, int | None, tuple[str, ...]]] = [
        ("1000_events", 1_000, None, every_cut),
        ("300_goals_2000_comments", 5_000, 300, ("content_only",)),
        ("10000_events", 10_000, None, ("content_only",)),
    ]
    if args.case:
        _, events, goals, cuts = next(case for case in cases if case[0] == args.case)
        print(json.dumps(measure(events, goals, cuts)))
        return
    if args.quick:
        cases = cases[:1]
    results = {}
    for name, *_ in cases:
        child = [sys.executable, "-m", "bench.record_pdf", "--case", name]
        figures = json.loads(subprocess.run(child, check=True, capture_output=True).stdout)
        results[name] = figures
        line = ", ".join(f"{key}={value}" for key, value in figures.items())
        print(f"record.pdf {name}: {line}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(args.out.read_text()) if args.out.exists() else {}
    existing["record_pdf"] = results
    args.out.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
