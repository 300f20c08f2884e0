"""GET /api/v1/plans/{id}: the caller's permitted view of one plan.

The application filters the plan by the policy table on every request; a part the
caller may not read is not in the answer at all (no key), so a relative with
`goals: none` never receives a goal. Someone outside the plan group gets the 404
of a plan that does not exist; a provider whose consent has lapsed gets 403.
Every answer is recorded in the plan's access log (the parts answered, the
standing and grounds) before it is sent; if that fails the answer is 503 and empty.
"""

from datetime import date, datetime
from typing import TypeVar
from uuid import UUID

import msgspec
import structlog
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from stafett.aggregates.policy import Standing
from stafett.aggregates.values import (
    Access,
    ActivityStatus,
    CommentTarget,
    ConsentStatus,
    GoalStatus,
    PlanStatus,
    PlanType,
    Rights,
    Role,
    Section,
)
from stafett.applications.access_log import AccessLog
from stafett.applications.accounts import Principal
from stafett.applications.permitted import PermittedPlan
from stafett.applications.plans import PlanApplication
from stafett.projections.plan_list import PlanListView
from stafett.web.auth import Policy, policy, provide_principal
from stafett.web.state import provide_access_log, provide_plans, provide_visits

log = structlog.get_logger(__name__)
S = TypeVar("S", bound=msgspec.Struct)
ERASED = "(slettet person)"


class RightsOut(msgspec.Struct):
    goals: Access
    activities: Access
    minutes: Access
    messages: Access
    print: bool
    edit_person: bool


class ConsentOut(msgspec.Struct, omit_defaults=True):
    given_on: date
    expires_on: date
    expires_in_days: int
    scope: str
    status: ConsentStatus
    valid_now: bool
    given_by: str | msgspec.UnsetType = msgspec.UNSET


class MemberOut(msgspec.Struct, omit_defaults=True):
    participant_id: UUID
    person_id: UUID
    name: str
    role: Role
    is_coordinator: bool
    responsibility: str
    rights: RightsOut | msgspec.UnsetType = msgspec.UNSET


class MeOut(msgspec.Struct):
    participant_id: UUID
    standing: Standing
    rights: RightsOut
    readable: list[Section]
    writable: list[Section]


class EvaluationOut(msgspec.Struct):
    evaluated_on: date
    status: GoalStatus
    text: str
    by_participant_id: UUID


class GoalOut(msgspec.Struct):
    goal_id: UUID
    title: str
    description: str
    due_on: date | None
    status: GoalStatus
    evaluations: list[EvaluationOut]


class ActivityOut(msgspec.Struct):
    activity_id: UUID
    title: str
    description: str
    responsible_participant_id: UUID
    due_on: date | None
    goal_id: UUID | None
    status: ActivityStatus
    completed_on: date | None


class CalendarEntryOut(msgspec.Struct):
    entry_id: UUID
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str


class MinutesOut(msgspec.Struct):
    minutes_id: UUID
    met_on: date
    attendee_ids: list[UUID]
    notes: str
    decisions: str


class MessageOut(msgspec.Struct):
    message_id: UUID
    sender_participant_id: UUID
    recipient_ids: list[UUID]
    subject: str
    body: str
    sent_at: datetime


class CommentOut(msgspec.Struct):
    comment_id: UUID
    on_kind: CommentTarget
    on_id: UUID
    text: str
    author_participant_id: UUID
    posted_at: datetime


class ArchiveOut(msgspec.Struct):
    archive_id: UUID
    archived_at: datetime
    digest: str


class PlanOut(msgspec.Struct, omit_defaults=True):
    """Parts the caller may not read are left out (no key), never sent empty."""

    id: UUID
    version: int
    modified_at: datetime
    type: PlanType
    short_name: str
    owner_person_id: UUID
    owner_name: str
    start_date: date
    end_date: date | None
    status: PlanStatus
    closed_reason: str
    consent: ConsentOut
    me: MeOut
    participants: list[MemberOut]
    archives: list[ArchiveOut]
    comments: list[CommentOut]
    goals: list[GoalOut] | msgspec.UnsetType = msgspec.UNSET
    activities: list[ActivityOut] | msgspec.UnsetType = msgspec.UNSET
    calendar: list[CalendarEntryOut] | msgspec.UnsetType = msgspec.UNSET
    minutes: list[MinutesOut] | msgspec.UnsetType = msgspec.UNSET
    messages: list[MessageOut] | msgspec.UnsetType = msgspec.UNSET


def _items(items: tuple[object, ...], shape: type[S]) -> list[S]:
    """Plan items (frozen dataclasses) as their answer shape, field by field."""
    return msgspec.convert(items, list[shape], from_attributes=True)  # type: ignore[valid-type]


def _rights(rights: Rights) -> RightsOut:
    return msgspec.convert(rights, RightsOut, from_attributes=True)


def plan_out(view: PermittedPlan, names: dict[UUID, str], today: date) -> PlanOut:
    """The JSON shape of a permitted view; `names` maps person ids to full names."""
    out = PlanOut(
        id=view.plan_id,
        version=view.version,
        modified_at=view.modified_at,
        type=view.plan_type,
        short_name=view.short_name,
        owner_person_id=view.owner_person_id,
        owner_name=names.get(view.owner_person_id, ERASED),
        start_date=view.start_date,
        end_date=view.end_date,
        status=view.status,
        closed_reason=view.closed_reason,
        consent=ConsentOut(
            given_on=view.consent.given_on,
            expires_on=view.consent.expires_on,
            expires_in_days=(view.consent.expires_on - today).days,
            scope=view.consent.scope,
            status=view.consent.status,
            valid_now=view.consent.valid_now,
            given_by=msgspec.UNSET if view.consent.given_by is None else view.consent.given_by,
        ),
        me=MeOut(
            participant_id=view.me.participant_id,
            standing=view.me.standing,
            rights=_rights(view.me.rights),
            readable=list(view.me.readable),
            writable=list(view.me.writable),
        ),
        participants=[
            MemberOut(
                participant_id=m.participant_id,
                person_id=m.person_id,
                name=names.get(m.person_id, ERASED),
                role=m.role,
                is_coordinator=m.is_coordinator,
                responsibility=m.responsibility,
                rights=msgspec.UNSET if m.rights is None else _rights(m.rights),
            )
            for m in view.participants
        ],
        archives=_items(view.archives, ArchiveOut),
        comments=_items(view.comments, CommentOut),
    )
    if view.goals is not None:
        out.goals = _items(view.goals, GoalOut)
    if view.activities is not None:
        out.activities = _items(view.activities, ActivityOut)
    if view.calendar is not None:
        out.calendar = _items(view.calendar, CalendarEntryOut)
    if view.minutes is not None:
        out.minutes = _items(view.minutes, MinutesOut)
    if view.messages is not None:
        out.messages = _items(view.messages, MessageOut)
    return out


class PlanViewController(Controller):
    path = "/api/v1/plans"
    dependencies = {  # noqa: RUF012
        "plans": Provide(provide_plans, sync_to_thread=False),
        "access_log": Provide(provide_access_log, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
        "visits": Provide(provide_visits, sync_to_thread=False),
    }
    tags = ["plans"]  # noqa: RUF012
    opt = policy(Policy.AUTHENTICATED)

    @get("/{plan_id:uuid}", sync_to_thread=True)
    def read_plan(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        access_log: NamedDependency[AccessLog],
        principal: NamedDependency[Principal],
        visits: NamedDependency[PlanListView | None],
        plan_id: FromPath[UUID],
    ) -> PlanOut:
        """The caller's permitted view: only the parts their rights and the consent allow."""
        view = plans.read_plan(plan_id, by=principal.person_id)
        names = plans.person_names(
            [view.owner_person_id, *(m.person_id for m in view.participants)]
        )
        out = plan_out(view, names, plans.today())
        access_log.record(
            plan_id,
            reader_person_id=principal.person_id,
            role=view.me.standing.value,
            sections=view.parts,
            grounds=grounds_of(view),
            at=plans.clock(),
        )
        if visits is not None:  # "changed since my last visit" in the plan list
            visits.note_visit(principal.person_id, plan_id, plans.clock())
        log.info(
            "sensitive_read",
            actor=str(principal.person_id),
            plan=str(plan_id),
            parts=",".join(view.parts),
        )
        return out


def grounds_of(view: PermittedPlan) -> str:
    """Providers read under the consent in force; the family and coordinator as participants."""
    if view.me.standing is Standing.PROVIDER:
        return f"consent:{view.consent.given_on.isoformat()}..{view.consent.expires_on.isoformat()}"
    return f"participant:{view.me.participant_id}"
