"""Rate limits count uses in a sliding window, on both stores (`SessionStore.take`).

A fixed window let a burst at the end of one minute and another at the start of the
next both pass (twice the limit within a second); uses counted one by one do not.
"""

import threading
from datetime import UTC, datetime, timedelta

from stafett.applications.plans import PlanApplication
from stafett.persistence.sessions import SessionStore
from tests.threads import in_threads

# The last second of a clock minute: a fixed per-minute window ends one second later.
EDGE = datetime(2026, 3, 2, 9, 0, 59, tzinfo=UTC)


def test_a_burst_across_a_minutes_edge_gets_the_limit_not_twice_it(
    plans: PlanApplication,
) -> None:
    store = SessionStore.ready(plans.directory.datastore)
    taken = [store.take("address:a", limit=30, window_seconds=60, at=EDGE) for _ in range(30)]
    assert taken == [None] * 30

    later = EDGE + timedelta(seconds=2)  # the next clock minute
    assert store.take("address:a", limit=30, window_seconds=60, at=later) == 58
    assert store.take("address:b", limit=30, window_seconds=60, at=later) is None  # its own

    just_before = EDGE + timedelta(seconds=60, microseconds=-1)
    assert store.take("address:a", limit=30, window_seconds=60, at=just_before) == 1
    freed = EDGE + timedelta(seconds=60)  # a minute after the burst, its uses have left
    assert store.take("address:a", limit=30, window_seconds=60, at=freed) is None


def test_retry_after_is_when_the_oldest_use_in_the_window_leaves_it(
    plans: PlanApplication,
) -> None:
    store = SessionStore.ready(plans.directory.datastore)
    for second in (0, 1, 2):
        assert store.take("code:p", limit=3, window_seconds=10, at=at(second)) is None

    assert store.take("code:p", limit=3, window_seconds=10, at=at(3)) == 7  # 0 leaves at 10
    assert store.take("code:p", limit=3, window_seconds=10, at=at(10.5)) is None
    assert store.take("code:p", limit=3, window_seconds=10, at=at(10.6)) == 1  # 1 leaves at 11
    assert store.take("code:p", limit=3, window_seconds=10, at=at(11.5)) is None


def test_refused_uses_are_not_counted(plans: PlanApplication) -> None:
    """Asking again and again while refused does not push the budget further away."""
    store = SessionStore.ready(plans.directory.datastore)
    assert store.take("reset:p", limit=1, window_seconds=60, at=at(0)) is None
    for second in range(1, 59):
        assert store.take("reset:p", limit=1, window_seconds=60, at=at(second)) == 60 - second
    assert store.take("reset:p", limit=1, window_seconds=60, at=at(60.1)) is None


def test_a_lowered_limit_waits_until_enough_older_uses_have_left(plans: PlanApplication) -> None:
    store = SessionStore.ready(plans.directory.datastore)
    for second in range(5):
        assert store.take("code:q", limit=5, window_seconds=60, at=at(second)) is None
    # Now two a minute: one is free once only the newest use (at 4 s) is left in the
    # window, when the one at 3 s leaves it, at 63 s.
    assert store.take("code:q", limit=2, window_seconds=60, at=at(10)) == 53
    assert store.take("code:q", limit=2, window_seconds=60, at=at(62.5)) == 1
    assert store.take("code:q", limit=2, window_seconds=60, at=at(63)) is None
    assert store.take("code:q", limit=2, window_seconds=60, at=at(63.5)) == 1  # 4 s, 63 s


def test_uses_taken_at_once_never_pass_the_limit(plans: PlanApplication) -> None:
    store = SessionStore.ready(plans.directory.datastore)
    go = threading.Barrier(8)
    answers: list[int | None] = []
    lock = threading.Lock()

    def take(_: int) -> None:
        go.wait()
        answer = store.take("address:c", limit=3, window_seconds=60, at=at(0))
        with lock:
            answers.append(answer)

    assert in_threads(take, 8) == {}
    assert sorted(answers, key=lambda a: a or 0) == [None, None, None, 60, 60, 60, 60, 60]


def at(seconds: float) -> datetime:
    return EDGE + timedelta(seconds=seconds)
