"""Helpers for tests that run work in threads at once."""

import threading
import time
from collections.abc import Callable


def in_threads(
    work: Callable[[int], None], count: int, *, started: Callable[[], None] | None = None
) -> dict[int, BaseException]:
    """Run `work(i)` for each i in threads; `started` runs once they are all going.
    The errors raised, by i."""
    errors: dict[int, BaseException] = {}

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException as error:
            errors[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    if started is not None:
        started()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return errors


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)
