"""The plan-list projection: catch-up rate and list latency, beside their baselines.

On each store, in one run:

- a store of `events` events over `plans` plans (each: created, two participants
  added, a goal, then messages and comments), written in batches of whole plans;
- baseline: reading the whole notification log with `recorder.select_notifications`
  in pages of 500 (events/s) — what any catch-up must at least do;
- catch-up: the plan-list runner (`plan_list_runner`: the library's `ProjectionRunner`
  taking a page of events per transaction, decision 0027) from an empty view to the
  last notification id
  (events/s), and its ratio to the read rate;
- a ceiling: the same view rows written alone — each transaction the catch-up
  committed (its statements, values and tracking position, recorded as it ran), replayed
  in the same order into an emptied view, with no event read, decoded or projected
  (events/s, and its ratio to the read rate): what the view's writes alone cost;
- list latency: `plans_for` for a user in `user_plans` of the plans (median, p99 over
  `query_runs` calls; on PostgreSQL after ANALYZE, as autovacuum would have run),
  beside the baseline of loading that user's plans one by one with `get_plan` from an
  application with no aggregate cache (what a list would cost without the projection).

Figures are printed and merged into var/bench/results.json under "projection".
"""

import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from unittest.mock import patch
from uuid import UUID, uuid4

from eventsourcing.persistence import Tracking

from bench.stores import Backend, PostgresBackend, store_main, store_table
from bench.workload import consent_from, now
from stafett.aggregates.person import PersonDetails
from stafett.aggregates.plan import Plan
from stafett.aggregates.values import CommentTarget, PlanType, Rights, Role, local_date
from stafett.applications.plans import PlanApplication
from stafett.bootstrap import plan_list_runner
from stafett.projections.plan_list import APPLICATION_NAME, construct_view
from stafett.projections.plan_list.sql import PlanListSQL
from stafett.settings import Settings

PAGE = 500
EVENTS_PER_PLAN = 10
BATCH_PLANS = 100


@dataclass(frozen=True)
class Sizes:
    plans: int  # plans in the store; EVENTS_PER_PLAN events each
    user_plans: int  # plans the measured user is in
    query_runs: int  # timed plans_for calls
    baseline_runs: int  # timed loads of the user's plans without the projection


FULL = Sizes(plans=10_000, user_plans=50, query_runs=300, baseline_runs=3)
QUICK = Sizes(plans=500, user_plans=50, query_runs=50, baseline_runs=1)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_store(app: PlanApplication, sizes: Sizes) -> tuple[UUID, int]:
    """The plans; the measured user is a provider in the first `user_plans`. Events written."""

    def register(first: str, last: str) -> UUID:
        return app.register_person(PersonDetails(first, last), by=None).person_id

    coordinator = register("Kari", "Stafettholder")
    user = register("Per", "Lærer")
    relative = register("Anne", "Nordmann")
    other = register("Helga", "Helsesykepleier")
    owners = [register(f"Barn{i}", "Nordmann") for i in range(100)]
    at = now()
    today = local_date(at)
    written = 0
    batch: list[Plan] = []
    for i in range(sizes.plans):
        plan = Plan.create(
            plan_id=uuid4(),
            at=at,
            creator_person_id=coordinator,
            creator_participant_id=uuid4(),
            plan_type=PlanType.RELAY_LOG if i % 3 else PlanType.INDIVIDUAL_PLAN,
            short_name=f"Plan {i}",
            owner_person_id=owners[i % len(owners)],
            owner_participant_id=uuid4(),
            start_date=today - timedelta(days=30),
            end_date=None,
            consent=consent_from(today - timedelta(days=30)),
        )
        provider = user if i < sizes.user_plans else other
        for person, role in ((relative, Role.RELATIVE), (provider, Role.PROVIDER)):
            plan.add_participant(
                by=coordinator,
                at=at,
                participant_id=uuid4(),
                person_id=person,
                role=role,
                responsibility="",
                rights=Rights(),
            )
        goal_id = uuid4()
        plan.set_goal(
            by=coordinator, at=at, goal_id=goal_id, title="Leser", description="", due_on=None
        )
        for n in range(EVENTS_PER_PLAN - 4):
            if n % 2:
                plan.post_comment(
                    by=coordinator,
                    at=at,
                    comment_id=uuid4(),
                    on_kind=CommentTarget.GOAL,
                    on_id=goal_id,
                    text="God fremgang denne uken.",
                )
            else:
                plan.send_message(
                    by=coordinator,
                    at=at,
                    message_id=uuid4(),
                    recipient_ids=None,
                    subject="Møte",
                    body="Vi møtes tirsdag kl. 14.",
                )
        batch.append(plan)
        if len(batch) == BATCH_PLANS or i == sizes.plans - 1:
            written += sum(len(p.pending_events) for p in batch)
            app.save(*batch)
            batch = []
    return user, written


def run_backend(backend: Backend, sizes: Sizes, say: Any = _say) -> dict[str, Any]:
    env = Settings(database_url=backend.url).event_store_env() | {"AGGREGATE_CACHE_MAXSIZE": ""}
    started = time.perf_counter()

    def step(message: str) -> None:
        say(f"  [{backend.name} {time.perf_counter() - started:6.1f}s] {message}")

    result: dict[str, Any] = {}
    app = PlanApplication(env)
    view, factory = construct_view(env)
    try:
        step(f"writing {sizes.plans} plans, {EVENTS_PER_PLAN} events each (untimed)")
        user, written = build_store(app, sizes)
        last = app.recorder.max_notification_id()
        assert last is not None
        result["events"] = written

        step("baseline: reading the notification log in pages of 500")
        read_started = time.perf_counter()
        read, start = 0, 0
        while True:
            page = app.recorder.select_notifications(start, PAGE, inclusive_of_start=False)
            read += len(page)
            if len(page) < PAGE:
                break
            start = page[-1].id
        read_seconds = time.perf_counter() - read_started
        if read != written:
            raise RuntimeError(f"read {read} notifications, wrote {written}")
        result["log_read_per_s"] = read / read_seconds

        step("catch-up: the plan-list runner from an empty view")
        with recorded_commits() as commits:
            catch_up_started = time.perf_counter()
            with plan_list_runner(env) as runner:
                runner.wait(last, timeout=3600)
                catch_up_seconds = time.perf_counter() - catch_up_started
        result["catch_up_per_s"] = written / catch_up_seconds
        result["catch_up_seconds"] = catch_up_seconds
        result["catch_up_over_log_read"] = result["catch_up_per_s"] / result["log_read_per_s"]

        step(f"a ceiling: the catch-up's {len(commits)} transactions replayed alone")
        assert isinstance(view, PlanListSQL)
        view.reset(APPLICATION_NAME)
        replay_started = time.perf_counter()
        for commit in commits:
            view._commit(commit.tracking, commit.writes, first=commit.first)
        replay_seconds = time.perf_counter() - replay_started
        if view.max_tracking_id(APPLICATION_NAME) != last:
            raise RuntimeError("the replayed view does not end where the catch-up did")
        result["rows_alone_per_s"] = written / replay_seconds
        result["rows_alone_over_log_read"] = result["rows_alone_per_s"] / result["log_read_per_s"]
        result["catch_up_transactions"] = len(commits)

        if isinstance(backend, PostgresBackend):
            backend.analyze()  # the statistics autovacuum keeps on a running system
        step(f"plans_for a user in {sizes.user_plans} of {sizes.plans} plans")
        today = local_date(now())
        rows = view.plans_for(user, today=today)
        if len(rows) != sizes.user_plans:
            raise RuntimeError(f"listed {len(rows)} plans, want {sizes.user_plans}")
        ms = _durations(lambda: view.plans_for(user, today=today), sizes.query_runs)
        result["list_median_ms"] = statistics.median(ms)
        result["list_p99_ms"] = _p99(ms)

        step("baseline: get_plan on each of the user's plans, no aggregate cache")
        ids = [row.id for row in rows]
        baseline = _durations(lambda: [app.get_plan(i) for i in ids], sizes.baseline_runs)
        result["list_by_loading_plans_ms"] = statistics.median(baseline)
        result["loading_over_list"] = result["list_by_loading_plans_ms"] / result["list_median_ms"]
        result["tracking_id"] = view.max_tracking_id(APPLICATION_NAME)
        result["seconds"] = time.perf_counter() - started
    finally:
        factory.close()
        app.close()
    return result


@dataclass(frozen=True)
class Commit:
    """One transaction of the plan-list view: its writes and tracking position."""

    tracking: Tracking
    writes: Sequence[tuple[str, Sequence[Any]]]
    first: Tracking | None


@contextmanager
def recorded_commits() -> Iterator[list[Commit]]:
    """Every transaction the plan-list view commits meanwhile, in order (as well as
    committed): keeping a reference to each costs the catch-up next to nothing."""
    commits: list[Commit] = []
    commit = PlanListSQL._commit

    def recording(
        view: PlanListSQL,
        tracking: Tracking,
        writes: Sequence[tuple[str, Sequence[Any]]],
        *,
        first: Tracking | None = None,
    ) -> None:
        commits.append(Commit(tracking, writes, first))
        commit(view, tracking, writes, first=first)

    with patch.object(PlanListSQL, "_commit", recording):
        yield commits


def _durations(call: Any, runs: int) -> list[float]:
    call()  # warm-up
    ms = []
    for _ in range(runs):
        t = time.perf_counter()
        call()
        ms.append((time.perf_counter() - t) * 1000)
    return ms


def _p99(ms: list[float]) -> float:
    ordered = sorted(ms)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


ROWS = (
    ("events in the store", "events", "{:.0f}"),
    ("log read (select_notifications), events/s", "log_read_per_s", "{:.0f}"),
    ("projection catch-up, events/s", "catch_up_per_s", "{:.0f}"),
    ("  catch-up / log read", "catch_up_over_log_read", "{:.3f}"),
    ("the same view rows written alone, events/s", "rows_alone_per_s", "{:.0f}"),
    ("  written alone / log read (a ceiling)", "rows_alone_over_log_read", "{:.3f}"),
    ("plans_for median, ms", "list_median_ms", "{:.2f}"),
    ("plans_for p99, ms", "list_p99_ms", "{:.2f}"),
    ("baseline: get_plan x user's plans, ms", "list_by_loading_plans_ms", "{:.1f}"),
    ("  baseline / plans_for median", "loading_over_list", "{:.0f}x"),
)


def report(results: dict[str, Any]) -> str:
    return store_table("plan-list projection", ROWS, results, 44)


def main(argv: Sequence[str] | None = None, *, quick_sizes: Sizes = QUICK) -> int:
    return store_main(
        argv,
        prog="python -m bench.projection",
        description=__doc__,
        key="projection",
        sizes=(FULL, quick_sizes),
        run=run_backend,
        report=report,
    )


if __name__ == "__main__":
    raise SystemExit(main())
