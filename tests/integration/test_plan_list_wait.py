"""A request waiting to read its own write (`PlanListSQL.wait`) is woken by the commit
of a plan-list view in its process, not at its next poll; on both engines."""

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from eventsourcing.persistence import Tracking

from stafett.projections.plan_list import APPLICATION_NAME, PlanListView
from stafett.projections.plan_list import sql as plan_list_sql
from stafett.projections.plan_list.view import Stamp

NEVER = 60.0  # a poll this far apart would outlast the test


def _touched(view: PlanListView, position: int) -> None:
    """A stamp for a plan the list has not got (no row changes): the batch's path."""
    stamp = Stamp(uuid.uuid4(), 2, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    view.plan_touched(stamp, tracking=Tracking(APPLICATION_NAME, position))


def _unknown(view: PlanListView, position: int) -> None:
    """An event the list does not know: its position alone."""
    view.insert_tracking(Tracking(APPLICATION_NAME, position))


@pytest.mark.parametrize("commit", [_touched, _unknown], ids=["stamp", "position only"])
def test_a_waiter_is_woken_by_the_commit_that_brings_its_event(
    view: PlanListView,
    monkeypatch: pytest.MonkeyPatch,
    commit: Callable[[PlanListView, int], None],
) -> None:
    monkeypatch.setattr(plan_list_sql, "FIRST_PAUSE", NEVER)
    monkeypatch.setattr(plan_list_sql, "LONGEST_PAUSE", NEVER)
    looked = threading.Event()
    look = view.has_tracking_id

    def looking(application_name: str, notification_id: int | None) -> bool:
        found = look(application_name, notification_id)
        looked.set()
        return found

    monkeypatch.setattr(view, "has_tracking_id", looking)
    outcome: list[BaseException | None] = []

    def wait() -> None:
        try:
            view.wait(APPLICATION_NAME, 7, timeout=NEVER * 2)
        except BaseException as error:  # asserted below
            outcome.append(error)
        else:
            outcome.append(None)

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert looked.wait(10)  # it looked once and found nothing: now it waits
    commit(view, 6)  # a commit short of its event wakes it; it looks and waits again
    commit(view, 7)
    waiter.join(10)
    assert not waiter.is_alive(), "still waiting for a poll: the commit did not wake it"
    assert outcome == [None]
