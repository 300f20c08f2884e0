"""A projection runner that retries an event it cannot process instead of stopping.

The library's `ProjectionRunner` stops for good on the first exception while an
event is processed: the same event fails again after every restart, the view falls
further behind and every write waits for it in vain (decision 0013). This runner
takes the same notifications from the same subscription, but decodes and processes
each one in a loop: a failure is logged (`projection_event_failed`: notification
id, attempt, error class; never the event's data, which is personal data), recorded
in the view's fault table when the view keeps one, and the same event is tried
again after a growing pause (`Backoff`). Tracking is written only with the
event's effect, so nothing is skipped and each event still takes effect once. When
the event finally succeeds the fault is cleared and the runner goes on.

Catching up, it takes the subscription's notifications a page (≤ 500) at a time and,
for a projection that can (`Batching`: the plan list), processes each page in ONE
transaction with the last event's position (decision 0027): the view never holds
half a batch, and its position moves only with the batch's rows. An event that
fails inside a batch ends it there: the events before it are written with their
position, the failed one counts as its first attempt and goes on alone with the
retries above, and batching resumes after it. A batch whose transaction fails is
done again one event at a time, each with its retries.

Stopping the runner ends a pause at once. Errors outside processing an event (the
subscription's own connection failing) still stop it, as in the library.
"""

import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Event
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable
from warnings import warn

import structlog
from eventsourcing.application import Application
from eventsourcing.persistence import Mapper, Notification, Tracking, TrackingRecorder
from eventsourcing.projection import (
    ApplicationSubscription,
    EventSourcedProjection,
    Projection,
    ProjectionRunner,
)

from stafett.persistence.background import Backoff
from stafett.projections.faults import FaultLog

TApplication = TypeVar("TApplication")
TView = TypeVar("TView", bound=TrackingRecorder)
log = structlog.get_logger(__name__)


class RetryingProjectionRunner(ProjectionRunner[TApplication, TView], Generic[TApplication, TView]):
    """The library's runner, except that a failing event is retried, never skipped."""

    def __init__(
        self,
        *,
        application_class: type[TApplication],
        projection_class: type[Projection[TView]],
        view_class: type[TView],
        env: Mapping[str, str] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        # Set before the library's constructor starts the processing thread.
        self.backoff = backoff or Backoff()
        super().__init__(
            application_class=application_class,
            projection_class=projection_class,
            view_class=view_class,
            env=env,
        )

    # The library (pinned to 9.5.6) starts this in its processing thread with these
    # arguments; it is the one place between the subscription and process_event.
    @staticmethod
    def _process_events_loop(
        subscription: ApplicationSubscription[Any],
        projection: EventSourcedProjection[Any] | Projection[Any],
        is_stopping: Event,
        runner: "weakref.ReferenceType[ProjectionRunner[Application[Any], TrackingRecorder]]",
    ) -> None:
        owner = runner()
        backoff = owner.backoff if isinstance(owner, RetryingProjectionRunner) else Backoff()
        del owner  # the thread must not keep the runner alive
        view = getattr(projection, "view", None)
        loop = _Loop(
            subscription,
            projection,
            is_stopping,
            backoff,
            view if isinstance(view, FaultLog) else None,
        )
        try:
            loop.run()
        except BaseException as error:
            # As the library does: the error stops the runner and is raised to its user.
            owner = runner()
            if owner is not None:
                owner._thread_error = error
            else:
                warn(f"ProjectionRunner was deleted before {error!r}", RuntimeWarning, 2)
        finally:
            is_stopping.set()


@runtime_checkable
class Batching(Protocol):
    """A projection that can take many events in one transaction (decision 0027)."""

    def decode(self, notification: Notification, mapper: Mapper[Any]) -> Any:
        """The stored event as its `process_event` needs it (it may need less than all)."""

    def batch(self) -> AbstractContextManager[None]:
        """The events processed inside take effect together, with the last one's
        position, when the block ends; none of them when it raises."""

    def process_event(self, domain_event: Any, tracking: Tracking) -> None: ...


@dataclass
class _Loop:
    """The processing thread's work: pages of notifications, each as few batches as
    its events allow, and an event that fails on its own with retries."""

    subscription: ApplicationSubscription[Any]
    projection: EventSourcedProjection[Any] | Projection[Any]
    is_stopping: Event
    backoff: Backoff
    faults: FaultLog | None

    def run(self) -> None:
        batching = self.projection if isinstance(self.projection, Batching) else None
        for page in _pages(self.subscription):
            at = 0
            while at < len(page):
                failure: Exception | None = None
                if batching is not None and len(page) - at > 1:
                    taken, failure = self._batch(batching, page, at)
                    if taken is None:  # the batch could not be written: one at a time
                        if any(self._one(n) for n in page[at:]):
                            return
                        break
                    at = taken
                    if at == len(page):
                        break
                if self._one(page[at], failure):
                    return
                at += 1

    def _batch(
        self, projection: Batching, page: Sequence[Notification], at: int
    ) -> tuple[int | None, Exception | None]:
        """Events from `at` in one batch, up to the first that fails (left out, with its
        error). The index of the first event not taken; None when the batch's
        transaction failed (nothing taken)."""
        name, mapper = self.subscription.name, self.subscription.mapper
        end, failure = at, None
        try:
            with projection.batch():
                for notification in page[at:]:
                    try:
                        event = projection.decode(notification, mapper)
                        projection.process_event(event, Tracking(name, notification.id))
                    except Exception as error:
                        failure = error
                        break
                    end += 1
        except Exception as error:
            log.warning(
                "projection_batch_failed",
                projection=self.projection.name,
                first_notification_id=page[at].id,
                last_notification_id=page[-1].id,
                error=type(error).__name__,
            )
            return None, None
        return end, failure

    def _one(self, notification: Notification, failure: Exception | None = None) -> bool:
        """One event, decoded whole, in a transaction of its own; tried again after a
        pause until it succeeds. `failure`: it already failed once (in a batch).
        True when the runner was stopped meanwhile."""
        tracking = Tracking(self.subscription.name, notification.id)
        attempt = 0
        while True:
            if failure is None:
                try:
                    event = self.subscription.mapper.to_domain_event(notification)
                    self.projection.process_event(event, tracking)
                except Exception as error:
                    failure = error
            if failure is None:
                if attempt:
                    _recovered(self.projection.name, self.faults, tracking, attempt)
                return False
            attempt += 1
            pause = self.backoff.pause(attempt)
            _failed(
                self.projection.name,
                self.faults,
                tracking,
                attempt=attempt,
                error=failure,
                pause=pause,
            )
            failure = None
            if self.is_stopping.wait(pause):
                return True


def _pages(subscription: ApplicationSubscription[Any]) -> Iterator[list[Notification]]:
    """The subscription's notifications a page at a time where it can (our recorders'
    subscriptions), else one at a time."""
    inner = subscription.subscription
    take = getattr(inner, "next_page", None)
    while True:
        try:
            yield take() if take is not None else [next(inner)]
        except StopIteration:
            return


def _failed(
    name: str,
    faults: FaultLog | None,
    tracking: Tracking,
    *,
    attempt: int,
    error: Exception,
    pause: float,
) -> None:
    log.error(
        "projection_event_failed",
        projection=name,
        notification_id=tracking.notification_id,
        attempt=attempt,
        error=type(error).__name__,
        retry_in=pause,
    )
    if faults is not None:
        at = datetime.now(UTC)
        _noted(
            "projection_fault_not_recorded",
            name,
            tracking,
            lambda: faults.record_fault(name, tracking.notification_id, type(error).__name__, at),
        )


def _recovered(name: str, faults: FaultLog | None, tracking: Tracking, attempts: int) -> None:
    log.info(
        "projection_event_recovered",
        projection=name,
        notification_id=tracking.notification_id,
        attempts=attempts + 1,
    )
    if faults is not None:
        _noted("projection_fault_not_cleared", name, tracking, lambda: faults.clear_fault(name))


def _noted(event: str, name: str, tracking: Tracking, write: Callable[[], None]) -> None:
    """Write to the fault log; a failure there is logged, never raised over the event's."""
    try:
        write()
    except Exception as failed:
        log.warning(
            event,
            projection=name,
            notification_id=tracking.notification_id,
            error=type(failed).__name__,
        )
