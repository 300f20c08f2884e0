"""`GET /health`: liveness and the store's state, for load balancers and operators.

The answer (api.md) holds the plan list's lag, a fault it keeps retrying and the
notices' backlog: six store transactions. They are not run per call: `HealthStatus`
keeps the last answer and computes a new one at most every `every` seconds, in a
worker thread, while the other calls meanwhile get the answer it has. So a load
balancer polling many times a second costs the store one look every few seconds, and
what it sees (lag, backlog, a store that stopped answering: 503) is at most `every`
seconds old. `every = 0` computes on each call (the tests' app).
"""

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from litestar import Response, get
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from stafett.applications.notice_sender import NoticeSender
from stafett.applications.plans import PlanApplication
from stafett.projections.plan_list import APPLICATION_NAME, PlanListView
from stafett.web.auth import Policy, policy
from stafett.web.errors import RETRY_AFTER_SECONDS
from stafett.web.state import NOTICES, PLAN_LIST, PLANS

HEALTH = "health"  # the app's HealthStatus in its state
UNAVAILABLE: dict[str, Any] = {"status": "unavailable"}


@dataclass
class HealthStatus:
    every: float  # seconds an answer is given again before a new one is computed
    _answer: dict[str, Any] | None = None
    _computed_at: float = float("-inf")
    _computing: threading.Lock = field(default_factory=threading.Lock)

    def fresh(self) -> dict[str, Any] | None:
        """The last answer while it is younger than `every`, else None."""
        if time.monotonic() - self._computed_at < self.every:
            return self._answer
        return None

    def refresh(self, state: State) -> dict[str, Any]:
        """A new answer from the store; the current one while another thread computes."""
        if self.every <= 0:  # nothing kept: each call its own look
            return status_of(state)
        answer = self._answer
        if not self._computing.acquire(blocking=answer is None):
            assert answer is not None
            return answer
        try:
            if (answer := self.fresh()) is not None:  # computed while this one waited
                return answer
            answer = status_of(state)
            self._answer, self._computed_at = answer, time.monotonic()
            return answer
        finally:
            self._computing.release()


def status_of(state: State) -> dict[str, Any]:
    """The answer's body as the store says now; UNAVAILABLE when it does not answer."""
    plans: PlanApplication = state[PLANS]
    view: PlanListView | None = state.get(PLAN_LIST)
    try:
        newest = plans.recorder.max_notification_id() or 0
        projected = (view.max_tracking_id(APPLICATION_NAME) or 0) if view is not None else None
        fault = view.fault(APPLICATION_NAME) if view is not None else None
        notices: NoticeSender | None = state.get(NOTICES)
        backlog = notices.outbox.backlog() if notices is not None else None
    except Exception:
        return UNAVAILABLE
    answer: dict[str, Any] = {"status": "ok"}
    if projected is not None:  # events the plan list has not projected yet
        answer["plan_list_lag"] = max(newest - projected, 0)
    if fault is not None:  # the event the plan list keeps retrying (decision 0013)
        answer["plan_list_fault"] = {
            "notification_id": fault.notification_id,
            "attempts": fault.attempts,
            "since": fault.first_failed_at.isoformat(),
        }
    if backlog is not None:  # notices not sent yet, and those given up on (decision 0020)
        answer["notification_backlog"] = {
            "pending": backlog.pending,
            "held": backlog.held,  # e-mails waiting for their hour's digest (decision 0022)
            "dead": backlog.dead,
            "lag": max(newest - backlog.position, 0),
            "oldest_pending": backlog.oldest_pending.isoformat()
            if backlog.oldest_pending
            else None,
        }
    return answer


def health_route(state: State) -> HTTPRouteHandler:
    """`GET /health` answering from `state`, the app's own: a handler without
    parameters, so that litestar resolves and parses nothing on a call that load
    balancers make many times a second."""

    @get("/health", tags=["operations"], opt=policy(Policy.PUBLIC))
    async def health() -> Response[dict[str, Any]]:
        """Liveness and store reachability, for load balancers and operators."""
        status: HealthStatus = state[HEALTH]
        answer = status.fresh()
        if answer is None:
            answer = await anyio.to_thread.run_sync(status.refresh, state)
        if answer is UNAVAILABLE:
            return Response(
                answer,
                status_code=HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
        return Response(answer)

    return health
