"""Access-log benchmark: reads recorded per second, one commit per read against group commit.

Each read of plan content appends one hash-chained entry before it is answered
(decisions 0008, 0021). Concurrent readers (`THREADS` threads, as many requests in
flight) record entries for `PLANS` plans through `AccessLog.record`, once with a
group commit of one entry per batch (every read its own transaction, as before
decision 0021: the baseline) and once as served (up to 500 entries a batch), on each
store; one reader alone is measured the same way. Every chain is verified after each
run. Printed: reads recorded per second, commits, and the ratio of group commit to
the baseline measured in the same run.
"""

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from bench.stores import Backend, store_main, store_table
from stafett.applications.access_log import AccessLog
from stafett.bootstrap import build_plans
from stafett.persistence.access_log import AccessLogStore
from stafett.persistence.group_commit import MAX_BATCH
from stafett.settings import Settings

PLANS = 4


@dataclass(frozen=True)
class Sizes:
    threads: int
    reads: int  # in all, by the threads together


FULL = Sizes(threads=32, reads=2000)
QUICK = Sizes(threads=8, reads=200)


def recorded_per_s(
    store: AccessLogStore, threads: int, reads: int, max_batch: int
) -> dict[str, Any]:
    log = AccessLog(store, clock=lambda: datetime.now(UTC), max_batch=max_batch)
    plan_ids = [uuid4() for _ in range(PLANS)]
    each = reads // threads

    def read(offset: int) -> None:
        for n in range(each):
            log.record(
                plan_ids[(offset + n) % PLANS],
                reader_person_id=uuid4(),
                role="coordinator",
                sections=["goals"],
                grounds="participant:bench",
            )

    workers = [threading.Thread(target=read, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    assert all(log.verify(p) == [] for p in plan_ids), "a chain does not verify"
    return {"per_s": round(each * threads / seconds, 1), "commits": log.writer.batches}


def run_backend(backend: Backend, sizes: Sizes) -> dict[str, Any]:
    with build_plans(Settings(database_url=backend.url)) as plans:
        store = AccessLogStore(plans.directory.datastore)
        store.create_tables()
        result: dict[str, Any] = {}
        for threads, reads in ((1, max(sizes.reads // 10, 20)), (sizes.threads, sizes.reads)):
            for name, max_batch in (("each", 1), ("group", MAX_BATCH)):
                figures = recorded_per_s(store, threads, reads, max_batch)
                result[f"{name}_{threads}_per_s"] = figures["per_s"]
                result[f"{name}_{threads}_commits"] = figures["commits"]
            result[f"ratio_{threads}"] = round(
                result[f"group_{threads}_per_s"] / result[f"each_{threads}_per_s"], 2
            )
        result["threads"] = sizes.threads
        return result


def report(results: dict[str, Any]) -> str:
    threads = results["sizes"]["threads"]
    rows = [
        ("1 reader: one commit per read, reads/s", "each_1_per_s", "{:.0f}"),
        ("1 reader: group commit, reads/s", "group_1_per_s", "{:.0f}"),
        ("  group / one per read", "ratio_1", "{:.2f}"),
        (f"{threads} readers: one commit per read, reads/s", f"each_{threads}_per_s", "{:.0f}"),
        (f"{threads} readers: commits", f"each_{threads}_commits", "{}"),
        (f"{threads} readers: group commit, reads/s", f"group_{threads}_per_s", "{:.0f}"),
        (f"{threads} readers: commits", f"group_{threads}_commits", "{}"),
        ("  group / one per read", f"ratio_{threads}", "{:.2f}"),
    ]
    return store_table("access log (every chain verified)", rows, results, 46)


def main(argv: Sequence[str] | None = None) -> int:
    return store_main(
        argv,
        prog="python -m bench.access_log",
        description=__doc__,
        key="access_log",
        sizes=(FULL, QUICK),
        run=run_backend,
        report=report,
    )


if __name__ == "__main__":
    raise SystemExit(main())
