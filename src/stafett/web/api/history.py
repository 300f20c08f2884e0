"""Plan history for coordinators and auditors: as of a version or an instant, and the timeline.

Only the plan's coordinator and accounts with the auditor role may read a plan's
history. Any other participant gets 403; anyone outside the plan gets 404, the
same answer as for a plan that does not exist. Each answer is recorded in the
plan's access log before it is sent (an auditor's on the grounds `audit`); if that
fails the answer is 503 and empty.

`?as_of=T&as_participant=PID` answers the plan as that participant could see it at
T (`SeenAsParticipant`: their permitted view then, or why they could not open the
plan then). It needs an instant that has happened (not a version); a PID that was not
in the plan group at T answers 409 naming `as_participant`: refused for what is stored
(decision 0023; the plan exists and the caller may read its history, so 404, "no such
plan", would mislead).

`/timeline` answers every event, oldest first, as api.md documents; with `?limit=N`
(and `&before=V` for older pages) it answers one page, newest first, read from the
store as a page, so a 10,000-event plan's first page costs what a small plan's does;
the `Link` header (rel="next") names the next older page.
"""

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Response, get
from litestar.params import FromQuery, QueryParameter

from stafett.aggregates.errors import ConflictingValueError, Refusal
from stafett.aggregates.values import Role
from stafett.applications.history import SeenAsParticipant
from stafett.applications.input import MAX_VERSION, plausible_instant
from stafett.applications.results import PlanView
from stafett.web.controllers import LoggedInRoutes
from stafett.web.params import LoggedIn, PlanId, Reads

MAX_PAGE = 500  # the most events one page of the timeline holds


class ActorOut(msgspec.Struct):
    person_id: UUID
    name: str
    role: Role


class SubjectOut(msgspec.Struct):
    """The participant an event is about, as a person."""

    person_id: UUID
    name: str


class TimelineEntryOut(msgspec.Struct):
    version: int
    at: datetime
    actor: ActorOut
    type: str
    summary: str
    # Added after api.md's fields: whom an event about a participant is about, and which
    # details a `PlanDetailsChanged` corrected (by field name).
    subject: SubjectOut | None = None
    details: tuple[str, ...] = ()


class HistoryController(LoggedInRoutes):
    path = "/api/v1/plans/{plan_id:uuid}"
    tags = ["history"]  # noqa: RUF012

    @get("/history", sync_to_thread=True)
    def history(
        self,
        *,
        reads: Reads,
        principal: LoggedIn,
        plan_id: PlanId,
        as_of: FromQuery[datetime | None] = None,
        version: Annotated[int | None, QueryParameter(ge=1, le=MAX_VERSION)] = None,
        as_participant: FromQuery[UUID | None] = None,
    ) -> PlanView | SeenAsParticipant:
        """The plan as it stood at `as_of` (an instant with offset) or at `version` (both:
        the earlier; neither: now); with `as_participant`, as that participant could see
        it then."""
        if as_of is not None:
            plausible_instant("as_of", as_of)
        if as_participant is None:
            return reads.as_of(plan_id, principal, version=version, at=as_of)
        now = reads.plans.clock()
        if as_of is not None and as_of > now:  # it may be asked again then
            raise ConflictingValueError(
                "as_of", "is in the future: nobody has seen it yet", Refusal.IN_THE_FUTURE
            )
        return reads.as_participant(
            plan_id, principal, participant_id=as_participant, at=as_of or now, version=version
        )

    @get("/timeline", sync_to_thread=False)
    def timeline(
        self,
        *,
        reads: Reads,
        principal: LoggedIn,
        plan_id: PlanId,
        limit: Annotated[int | None, QueryParameter(ge=1, le=MAX_PAGE)] = None,
        before: Annotated[int | None, QueryParameter(ge=1, le=MAX_VERSION)] = None,
    ) -> Response[list[TimelineEntryOut]]:
        """Every event of the plan, oldest first; with `limit` (or `before` alone: `MAX_PAGE`),
        a page: at most `limit` events older than version `before` (or the newest), newest
        first, and a `Link`
        header (rel="next") to the next older page while there is one."""
        if before is not None and limit is None:  # a page all the same, of the largest size
            limit = MAX_PAGE
        entries = reads.timeline(plan_id, principal, limit=limit, before=before)
        body = [
            TimelineEntryOut(
                version=e.version,
                at=e.at,
                actor=ActorOut(person_id=e.actor_id, name=e.actor_name, role=e.actor_role),
                type=e.type,
                summary=e.summary,
                subject=None
                if e.subject_id is None
                else SubjectOut(person_id=e.subject_id, name=e.subject_name),
                details=e.details,
            )
            for e in entries
        ]
        headers = {}
        if limit is not None and len(entries) == limit and entries[-1].version > 1:
            older = f"/api/v1/plans/{plan_id}/timeline?limit={limit}&before={entries[-1].version}"
            headers["Link"] = f'<{older}>; rel="next"'
        return Response(body, headers=headers)
