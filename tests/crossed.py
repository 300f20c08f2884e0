"""Two writers on PostgreSQL whose batches touch the same keys in crossed order.

Another connection holds the first key (inserted, not committed) and is about to take
the second; `ours` runs the batch under test, which writes the second key and then the
first. A batch that writes in key order waits for the first key before taking the
second, and then finds the first taken (or, for an upsert, updates it); one that
writes in its own order holds the second key while waiting for the first, and
PostgreSQL ends the deadlock by failing one of the two transactions.
"""

import threading
from collections.abc import Callable, Sequence

import psycopg

from tests.threads import wait_until


def crossed_with_another_writer(
    url: str,
    table: str,
    *,
    statement: str,
    first: Sequence[object],
    second: Sequence[object],
    ours: Callable[[], object],
) -> list[str]:
    """What `ours` came to ("done", or the name of the error it raised) while another
    transaction ran `statement` with `first`, then (once `ours` waits for a lock on
    `table`) with `second`, and committed."""
    base = url.split("?", maxsplit=1)[0]
    outcome: list[str] = []

    def run() -> None:
        try:
            ours()
            outcome.append("done")
        except Exception as error:  # the outcome under test
            outcome.append(type(error).__name__)

    def waiting() -> bool:
        with psycopg.connect(base, autocommit=True) as watcher:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE %s",
                (f"%{table}%",),
            ).fetchone()
        return row is not None and row[0] > 0

    with psycopg.connect(base) as other:
        other.execute(statement, first)
        thread = threading.Thread(target=run)
        thread.start()
        wait_until(waiting)
        other.execute(statement, second)
        other.commit()
        thread.join(timeout=30)
    return outcome
