"""Notification fan-out: outbox rows/s from a burst of plan events, beside the log read rate.

On each store, in one run:

- a burst of `plans` × 10 events (default 1,000 plans: 10,000 events): each plan
  created, a relative and a provider added, every participant's notices chosen (SMS
  and e-mail for everything), then a goal, an activity, a message to everyone and a
  comment, each of which is told to the two participants who did not write it;
- baseline: reading the whole notification log with `recorder.select_notifications`
  in pages of 500 (events/s), what the notice process must at least do;
- fan-out: the notice process (`NoticeProcess.catch_up`) from position 0, writing the
  outbox (rows/s, events/s), and its events/s over the read rate (goal ≥ 0.5×);
- a rebuild (position forgotten, every event read again) must add no row;
- a ceiling: the same rows, read back and written again alone (no event decoded, no
  rule applied, `NoticeOutbox.record_rows` per page of 500 events as the process
  writes them), events/s over the read rate. No fan-out that writes these rows in
  these transactions can be faster than this.

Figures are printed and merged into var/bench/results.json under "notifications".
"""

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from bench.stores import Backend, store_main, store_table
from bench.workload import consent_from, now
from stafett.aggregates.person import PersonDetails
from stafett.aggregates.plan import Plan
from stafett.aggregates.values import (
    Activity,
    CommentTarget,
    NoticeChannel,
    NotificationChoices,
    PlanType,
    Rights,
    Role,
    local_date,
)
from stafett.applications.plans import PlanApplication
from stafett.persistence.notice_outbox import COLUMNS, NoticeOutbox
from stafett.projections.notices import NoticeProcess
from stafett.settings import Settings

PAGE = 500
EVENTS_PER_PLAN = 10
BATCH_PLANS = 100
BOTH = (NoticeChannel.SMS, NoticeChannel.EMAIL)
EVERYTHING = NotificationChoices(BOTH, BOTH, BOTH, BOTH, BOTH)


@dataclass(frozen=True)
class Sizes:
    plans: int  # EVENTS_PER_PLAN events each


FULL = Sizes(plans=1_000)
QUICK = Sizes(plans=100)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_burst(app: PlanApplication, sizes: Sizes) -> int:
    """The plans' events, saved a hundred plans at a time; how many were written."""

    def register(first: str, last: str) -> UUID:
        return app.register_person(PersonDetails(first, last), by=None).person_id

    coordinator = register("Kari", "Stafettholder")
    relative = register("Anne", "Nordmann")
    provider = register("Per", "Lærer")
    owners = [register(f"Barn{i}", "Nordmann") for i in range(100)]
    at = now()
    today = local_date(at)
    written = 0
    batch: list[Plan] = []
    for i in range(sizes.plans):
        coordinator_pid = uuid4()
        plan = Plan.create(
            plan_id=uuid4(),
            at=at,
            creator_person_id=coordinator,
            creator_participant_id=coordinator_pid,
            plan_type=PlanType.RELAY_LOG,
            short_name=f"Plan {i}",
            owner_person_id=owners[i % len(owners)],
            owner_participant_id=uuid4(),
            start_date=today - timedelta(days=30),
            end_date=None,
            consent=consent_from(today - timedelta(days=30)),
        )
        members = [coordinator_pid]
        for person, role in ((relative, Role.RELATIVE), (provider, Role.PROVIDER)):
            pid = uuid4()
            members.append(pid)
            plan.add_participant(
                by=coordinator,
                at=at,
                participant_id=pid,
                person_id=person,
                role=role,
                responsibility="",
                rights=Rights(),
            )
        for pid in members:
            plan.choose_notifications(by=coordinator, at=at, participant_id=pid, choices=EVERYTHING)
        goal_id = uuid4()
        plan.set_goal(
            by=relative, at=at, goal_id=goal_id, title="Leser", description="", due_on=None
        )
        activity = uuid4()
        plan.add_activity(
            by=coordinator,
            at=at,
            activity=_activity(activity, members[2]),
        )
        plan.send_message(
            by=provider,
            at=at,
            message_id=uuid4(),
            recipient_ids=None,
            subject="Møte",
            body="Vi møtes tirsdag kl. 14.",
        )
        plan.post_comment(
            by=coordinator,
            at=at,
            comment_id=uuid4(),
            on_kind=CommentTarget.GOAL,
            on_id=goal_id,
            text="God fremgang denne uken.",
        )
        batch.append(plan)
        if len(batch) == BATCH_PLANS or i == sizes.plans - 1:
            written += sum(len(p.pending_events) for p in batch)
            app.save(*batch)
            batch = []
    return written


def _activity(activity_id: UUID, responsible: UUID) -> Activity:
    return Activity(
        activity_id=activity_id,
        title="Leksehjelp",
        description="",
        responsible_participant_id=responsible,
        due_on=None,
        goal_id=None,
    )


def run_backend(backend: Backend, sizes: Sizes, say: Any = _say) -> dict[str, Any]:
    env = Settings(database_url=backend.url).event_store_env() | {"AGGREGATE_CACHE_MAXSIZE": ""}
    started = time.perf_counter()

    def step(message: str) -> None:
        say(f"  [{backend.name} {time.perf_counter() - started:6.1f}s] {message}")

    result: dict[str, Any] = {}
    app = PlanApplication(env)
    try:
        outbox = NoticeOutbox(app.directory.datastore)
        outbox.create_tables()
        step(f"writing {sizes.plans} plans, {EVENTS_PER_PLAN} events each (untimed)")
        written = build_burst(app, sizes)
        result["events"] = written

        step("baseline: reading the notification log in pages of 500")
        read_started = time.perf_counter()
        read, start, page_ends = 0, 0, []
        while True:
            page = app.recorder.select_notifications(start, PAGE, inclusive_of_start=False)
            read += len(page)
            if page:
                page_ends.append(page[-1].id)
            if len(page) < PAGE:
                break
            start = page[-1].id
        read_seconds = time.perf_counter() - read_started
        if read != written:
            raise RuntimeError(f"read {read} notifications, wrote {written}")
        result["log_read_per_s"] = read / read_seconds

        step("fan-out: the notice process from position 0")
        process = NoticeProcess(app, outbox, of_age=app.owners_of_age_on)
        fan_started = time.perf_counter()
        processed = process.catch_up()
        fan_seconds = time.perf_counter() - fan_started
        if processed != written:
            raise RuntimeError(f"processed {processed} events, wrote {written}")
        rows = outbox.backlog().pending
        if rows != process.written:
            raise RuntimeError(f"{rows} rows stored, {process.written} written")
        result["outbox_rows"] = rows
        result["fan_out_rows_per_s"] = rows / fan_seconds
        result["fan_out_events_per_s"] = processed / fan_seconds
        result["events_over_log_read"] = result["fan_out_events_per_s"] / result["log_read_per_s"]
        result["rows_over_log_read"] = result["fan_out_rows_per_s"] / result["log_read_per_s"]

        step("rebuild: position forgotten, every event read again")
        outbox.reset()
        NoticeProcess(app, outbox, of_age=app.owners_of_age_on).catch_up()
        result["rows_after_rebuild"] = outbox.backlog().pending
        if result["rows_after_rebuild"] != rows:
            raise RuntimeError("a rebuild changed the outbox")

        step("ceiling: the same rows written again alone, a transaction per page")
        alone_seconds = write_alone(outbox, page_ends)
        if outbox.backlog().pending != rows:
            raise RuntimeError("writing the rows alone stored another count")
        result["written_alone_events_per_s"] = processed / alone_seconds
        result["alone_over_log_read"] = (
            result["written_alone_events_per_s"] / result["log_read_per_s"]
        )
        result["seconds"] = time.perf_counter() - started
    finally:
        app.close()
    return result


def write_alone(outbox: NoticeOutbox, page_ends: Sequence[int]) -> float:
    """Seconds to write the outbox's rows again, read back and grouped by the pages the
    process reads (`page_ends`), each page's rows and position in one transaction."""
    names = [name.strip() for name in COLUMNS.split(",")]
    stored = outbox.select(f"SELECT {COLUMNS} FROM {outbox.outbox} ORDER BY notification_id")
    rows = [[r[name] for name in names] for r in stored]
    outbox.write(f"DELETE FROM {outbox.outbox}")
    outbox.reset()
    pages: list[list[list[Any]]] = [[] for _ in page_ends]
    index = 0
    for row in rows:
        while row[1] > page_ends[index]:  # notification_id
            index += 1
        pages[index].append(row)
    started = time.perf_counter()
    for page, end in zip(pages, page_ends, strict=True):
        outbox.record_rows(page, end)
    return time.perf_counter() - started


ROWS = (
    ("events in the burst", "events", "{:.0f}"),
    ("outbox rows written", "outbox_rows", "{:.0f}"),
    ("log read (select_notifications), events/s", "log_read_per_s", "{:.0f}"),
    ("notice fan-out, outbox rows/s", "fan_out_rows_per_s", "{:.0f}"),
    ("notice fan-out, events/s", "fan_out_events_per_s", "{:.0f}"),
    ("  fan-out events/s / log read (goal >= 0.5)", "events_over_log_read", "{:.3f}"),
    ("  fan-out rows/s / log read events/s", "rows_over_log_read", "{:.3f}"),
    ("outbox rows after a rebuild", "rows_after_rebuild", "{:.0f}"),
    ("the same rows written alone, events/s", "written_alone_events_per_s", "{:.0f}"),
    ("  written alone / log read (a ceiling)", "alone_over_log_read", "{:.3f}"),
)


def report(results: dict[str, Any]) -> str:
    return store_table("notifications", ROWS, results, 48)


def main(argv: Sequence[str] | None = None, *, quick_sizes: Sizes = QUICK) -> int:
    return store_main(
        argv,
        prog="python -m bench.notifications",
        description=__doc__,
        key="notifications",
        sizes=(FULL, quick_sizes),
        run=run_backend,
        report=report,
    )


if __name__ == "__main__":
    raise SystemExit(main())
