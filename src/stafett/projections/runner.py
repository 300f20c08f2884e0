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

Stopping the runner ends a pause at once. Errors outside processing an event (the
subscription's own connection failing) still stop it, as in the library.
"""

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Event
from typing import Any, Generic, TypeVar
from warnings import warn

import structlog
from eventsourcing.application import Application
from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.projection import (
    ApplicationSubscription,
    EventSourcedProjection,
    Projection,
    ProjectionRunner,
)

from stafett.projections.faults import FaultLog

TApplication = TypeVar("TApplication")
TView = TypeVar("TView", bound=TrackingRecorder)
log = structlog.get_logger(__name__)

MAX_EXPONENT = 32  # 2**32 pauses is far past any cap; larger powers overflow floats


@dataclass(frozen=True)
class Backoff:
    """Pause `first` seconds after the first failure, `factor` times longer after each
    further one, never longer than `cap`."""

    first: float = 0.5
    factor: float = 2.0
    cap: float = 30.0

    def pause(self, attempt: int) -> float:
        """The pause after failed attempt number `attempt` (1 for the first)."""
        exponent = min(max(attempt - 1, 0), MAX_EXPONENT)
        return float(min(self.first * self.factor**exponent, self.cap))


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
        faults = view if isinstance(view, FaultLog) else None
        try:
            for notification in subscription.subscription:
                tracking = Tracking(subscription.name, notification.id)
                attempt = 0
                while True:
                    try:
                        event = subscription.mapper.to_domain_event(notification)
                        projection.process_event(event, tracking)
                    except Exception as error:
                        attempt += 1
                        pause = backoff.pause(attempt)
                        _failed(
                            projection.name,
                            faults,
                            tracking,
                            attempt=attempt,
                            error=error,
                            pause=pause,
                        )
                        if is_stopping.wait(pause):
                            return
                    else:
                        if attempt:
                            _recovered(projection.name, faults, tracking, attempt)
                        break
        except BaseException as error:
            # As the library does: the error stops the runner and is raised to its user.
            owner = runner()
            if owner is not None:
                owner._thread_error = error
            else:
                warn(f"ProjectionRunner was deleted before {error!r}", RuntimeWarning, 2)
        finally:
            is_stopping.set()


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
