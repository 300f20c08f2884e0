"""A task on a clock (`Periodic`): run at once, then again every turn, through failures."""

import threading

from structlog.testing import capture_logs

from stafett.persistence.background import Periodic


def test_a_failing_task_is_logged_by_its_errors_type_and_run_again_at_the_next_turn() -> None:
    runs: list[int] = []
    third = threading.Event()

    def task() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("the secret text of a row")
        if len(runs) == 3:
            third.set()

    with capture_logs() as logs, Periodic("sweeping", task, every=0.01):
        assert third.wait(timeout=10)
    failures = [e for e in logs if e["event"] == "periodic_task_failed"]
    assert failures == [
        {
            "event": "periodic_task_failed",
            "log_level": "error",
            "task": "sweeping",
            "error": "RuntimeError",
        }
    ]


def test_the_first_turn_comes_at_once_and_stopping_ends_the_wait_for_the_next() -> None:
    ran = threading.Event()
    loop = Periodic("once", ran.set, every=3600).start()
    assert ran.wait(timeout=10)  # not after the hour
    loop.stop()  # wakes the hour's wait rather than sitting it out
    assert not loop._thread.is_alive()
