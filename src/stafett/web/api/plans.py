"""Writes to plans (api.md: Plans): create, plan group, consent, content, close and reopen.

Every handler makes the logged-in person the actor and leaves the rules to the
plan: who may write what, consent, a closed plan. Writes to a plan take the
version the caller last saw, as `If-Match: "<version>"` or `expected_version` in
the body, and answer with the plan's new version. Someone outside a plan gets
the 404 of a plan that does not exist, whatever they send.
"""

import re
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Literal, TypeVar
from uuid import UUID

import msgspec
import structlog
from litestar import Controller, delete, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.person import MAX_EMAIL_LENGTH, PersonDetails
from stafett.aggregates.values import (
    DEFAULT_CONSENT_SCOPE,
    Access,
    Activity,
    ActivityStatus,
    CommentTarget,
    Consent,
    Goal,
    GoalStatus,
    PlanType,
    Rights,
    Role,
)
from stafett.applications.accounts import Principal
from stafett.applications.input import MAX_VERSION, Body, Name, RequiredText, ShortText, Text
from stafett.applications.plans import PlanApplication
from stafett.applications.results import CommandResult
from stafett.web.api.lists import PlanListRoutes
from stafett.web.auth import Policy, policy, provide_principal
from stafett.web.state import (
    ReadYourWrites,
    provide_plan_list,
    provide_plans,
    provide_read_your_writes,
)

log = structlog.get_logger(__name__)

MAX_PHONE_LENGTH = 32
MAX_LIST_LENGTH = 500
T = TypeVar("T")

Instant = Annotated[datetime, msgspec.Meta(tz=True)]
Version = Annotated[int, msgspec.Meta(ge=1, le=MAX_VERSION)]
Ids = Annotated[list[UUID], msgspec.Meta(max_length=MAX_LIST_LENGTH)]

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        max_length=40,
        description='The plan version the change is based on, e.g. "7"; a stale one answers 409.',
    ),
]
ENTITY_TAG = re.compile(r'"([0-9]{1,18})"|([0-9]{1,18})')

# ------------------------------------------------------------------ bodies


class PersonBody(Body):
    """An existing person (`person_id` alone) or a new one (at least both names)."""

    person_id: UUID | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    birth_date: date | None = None
    workplace: ShortText = ""
    position: ShortText = ""
    email: Annotated[str, msgspec.Meta(max_length=MAX_EMAIL_LENGTH)] = ""
    mobile: Annotated[str, msgspec.Meta(max_length=MAX_PHONE_LENGTH)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=MAX_PHONE_LENGTH)] = ""
    street_address: ShortText = ""
    postcode: ShortText = ""
    place: ShortText = ""
    hide_phone: bool = False
    hide_mobile: bool = False
    restrict_search: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.person_id is not None:
            details = (f for f in msgspec.structs.fields(self) if f.name != "person_id")
            if any(getattr(self, f.name) != f.default for f in details):
                raise ValueError("person: give either person_id or a new person's details")
        elif self.first_name is None:
            raise ValueError("first_name: is required for a new person")
        elif self.last_name is None:
            raise ValueError("last_name: is required for a new person")


class ConsentBody(Body):
    given_by: Name
    given_on: date
    expires_on: date
    scope: RequiredText = DEFAULT_CONSENT_SCOPE  # optional in api.md


class RightsBody(Body):
    goals: Access
    activities: Access
    minutes: Access
    messages: Access
    print: bool
    edit_person: bool


class CreatePlanBody(Body):
    type: PlanType
    short_name: Name
    start_date: date
    owner: PersonBody
    consent: ConsentBody
    end_date: date | None = None


class AddParticipantBody(Body):
    person: PersonBody
    role: Literal["relative", "provider"]
    responsibility: Text = ""
    rights: RightsBody | None = None
    expected_version: Version | None = None


class ChangeParticipantBody(Body):
    responsibility: Text | msgspec.UnsetType = msgspec.UNSET
    rights: RightsBody | msgspec.UnsetType = msgspec.UNSET
    expected_version: Version | None = None


class VersionBody(Body):
    """The body of a write that needs nothing but, optionally, the version seen."""

    expected_version: Version | None = None


class HandOverBody(Body):
    participant_id: UUID
    expected_version: Version | None = None


class RenewConsentBody(Body):
    given_by: Name
    given_on: date
    expires_on: date
    scope: RequiredText
    expected_version: Version | None = None


class GoalBody(Body):
    title: Name
    description: Text = ""
    due_on: date | None = None
    expected_version: Version | None = None


class GoalChangeBody(Body):
    title: Name | msgspec.UnsetType = msgspec.UNSET
    description: Text | msgspec.UnsetType = msgspec.UNSET
    due_on: date | msgspec.UnsetType | None = msgspec.UNSET
    expected_version: Version | None = None


class EvaluationBody(Body):
    status: GoalStatus
    text: RequiredText
    expected_version: Version | None = None


class ActivityBody(Body):
    title: Name
    responsible_participant_id: UUID
    description: Text = ""
    due_on: date | None = None
    goal_id: UUID | None = None
    expected_version: Version | None = None


class ActivityChangeBody(Body):
    title: Name | msgspec.UnsetType = msgspec.UNSET
    description: Text | msgspec.UnsetType = msgspec.UNSET
    responsible_participant_id: UUID | msgspec.UnsetType = msgspec.UNSET
    due_on: date | msgspec.UnsetType | None = msgspec.UNSET
    goal_id: UUID | msgspec.UnsetType | None = msgspec.UNSET
    status: ActivityStatus | msgspec.UnsetType = msgspec.UNSET
    expected_version: Version | None = None


class MinutesBody(Body):
    met_on: date
    attendee_ids: Ids
    notes: RequiredText
    decisions: Text = ""
    expected_version: Version | None = None


class CommentOn(Body):
    kind: CommentTarget
    id: UUID


class CommentBody(Body):
    on: CommentOn
    text: RequiredText
    expected_version: Version | None = None


class MessageBody(Body):
    to: Ids | Literal["all"]
    subject: Name
    body: RequiredText
    expected_version: Version | None = None


class CalendarEntryBody(Body):
    title: Name
    starts_at: Instant
    ends_at: Instant
    location: Text = ""
    expected_version: Version | None = None


class CloseBody(Body):
    ended_on: date
    reason: Text = ""
    expected_version: Version | None = None


# ---------------------------------------------------------------- answers


class NewPlan(msgspec.Struct):
    id: UUID
    version: int


class NewParticipant(msgspec.Struct):
    participant_id: UUID
    version: int


class NewGoal(msgspec.Struct):
    goal_id: UUID
    version: int


class NewActivity(msgspec.Struct):
    activity_id: UUID
    version: int


class NewMinutes(msgspec.Struct):
    minutes_id: UUID
    version: int


class NewComment(msgspec.Struct):
    comment_id: UUID
    version: int


class NewMessage(msgspec.Struct):
    message_id: UUID
    version: int


class NewCalendarEntry(msgspec.Struct):
    entry_id: UUID
    version: int


class NewVersion(msgspec.Struct):
    version: int


# ---------------------------------------------------------------- helpers


def expected_version(if_match: str | None, in_body: int | None) -> int | None:
    """The version the caller based the change on, from the header or the body."""
    from_header = None
    if if_match is not None:
        match = ENTITY_TAG.fullmatch(if_match.strip())
        if match is None:
            raise ValidationError("If-Match", 'must be a plan version such as "7"')
        from_header = int(match.group(1) or match.group(2))
    if from_header is not None and in_body is not None and from_header != in_body:
        raise ValidationError("expected_version", "differs from the If-Match header")
    return from_header if from_header is not None else in_body


def _created_id(result: CommandResult) -> UUID:
    assert result.created_id is not None
    return result.created_id


def _person(body: PersonBody) -> UUID | PersonDetails:
    """The body's person (its shape was checked when it was decoded)."""
    if body.person_id is not None:
        return body.person_id
    assert body.first_name is not None
    assert body.last_name is not None
    return PersonDetails(
        first_name=body.first_name,
        last_name=body.last_name,
        birth_date=body.birth_date,
        workplace=body.workplace,
        position=body.position,
        email=body.email,
        mobile=body.mobile,
        phone=body.phone,
        street_address=body.street_address,
        postcode=body.postcode,
        place=body.place,
        hide_phone=body.hide_phone,
        hide_mobile=body.hide_mobile,
        restrict_search=body.restrict_search,
    )


def _consent(body: ConsentBody | RenewConsentBody) -> Consent:
    return Consent(
        given_by=body.given_by,
        given_on=body.given_on,
        expires_on=body.expires_on,
        scope=body.scope,
    )


def _rights(body: RightsBody) -> Rights:
    return Rights(
        goals=body.goals,
        activities=body.activities,
        minutes=body.minutes,
        messages=body.messages,
        print=body.print,
        edit_person=body.edit_person,
    )


S = TypeVar("S", ChangeParticipantBody, GoalChangeBody, ActivityChangeBody)


def _require_changes(body: S, nothing: S) -> None:
    """A PATCH must name something to change, or it would only add an empty event."""
    if msgspec.structs.replace(body, expected_version=None) == nothing:
        raise ValidationError("body", "names nothing to change")


def _given(value: T | msgspec.UnsetType, current: T) -> T:
    return current if isinstance(value, msgspec.UnsetType) else value


# ------------------------------------------------------------- the routes


class PlanController(PlanListRoutes, Controller):
    path = "/api/v1/plans"
    dependencies = {  # noqa: RUF012
        "plans": Provide(provide_plans, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
        "caught_up": Provide(provide_read_your_writes, sync_to_thread=False),
        "plan_list": Provide(provide_plan_list, sync_to_thread=False),
    }
    tags = ["plans"]  # noqa: RUF012
    opt = policy(Policy.AUTHENTICATED)

    @post("/", sync_to_thread=True, opt=policy(Policy.CREATE_PLAN), status_code=HTTP_201_CREATED)
    def create_plan(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        data: JSONBody[CreatePlanBody],
    ) -> NewPlan:
        """A new plan; the caller becomes its coordinator (coordinator accounts only)."""
        result = plans.create_plan(
            by=principal.person_id,
            plan_type=data.type,
            short_name=data.short_name,
            start_date=data.start_date,
            end_date=data.end_date,
            owner=_person(data.owner),
            consent=_consent(data.consent),
        )
        caught_up(result)
        return NewPlan(id=result.plan_id, version=result.version)

    # ------------------------------------------------------- plan group

    @post("/{plan_id:uuid}/participants", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def add_participant(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[AddParticipantBody],
        if_match: IfMatch = None,
    ) -> NewParticipant:
        """An existing person, or a new one registered in the directory, joins the group."""
        result = plans.add_participant(
            plan_id,
            by=principal.person_id,
            person=_person(data.person),
            role=Role(data.role),
            responsibility=data.responsibility,
            rights=_rights(data.rights) if data.rights is not None else None,
            expected_version=expected_version(if_match, data.expected_version),
        )
        caught_up(result)
        return NewParticipant(participant_id=_created_id(result), version=result.version)

    @patch("/{plan_id:uuid}/participants/{participant_id:uuid}", sync_to_thread=True)
    def change_participant(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        participant_id: FromPath[UUID],
        data: JSONBody[ChangeParticipantBody],
        if_match: IfMatch = None,
    ) -> NewVersion:
        """New rights and/or responsibility, saved together (one version, or nothing)."""
        expected = expected_version(if_match, data.expected_version)
        _require_changes(data, ChangeParticipantBody())
        result = plans.update_participant(
            plan_id,
            by=principal.person_id,
            participant_id=participant_id,
            rights=None if isinstance(data.rights, msgspec.UnsetType) else _rights(data.rights),
            responsibility=None
            if isinstance(data.responsibility, msgspec.UnsetType)
            else data.responsibility,
            expected_version=expected,
        )
        caught_up(result)
        return NewVersion(version=result.version)

    @delete(
        "/{plan_id:uuid}/participants/{participant_id:uuid}",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
    )
    def remove_participant(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        participant_id: FromPath[UUID],
        data: JSONBody[VersionBody | None] = None,
        if_match: IfMatch = None,
    ) -> NewVersion:
        """Out of the plan group; what they wrote stays in the history."""
        result = plans.remove_participant(
            plan_id,
            by=principal.person_id,
            participant_id=participant_id,
            expected_version=expected_version(if_match, data.expected_version if data else None),
        )
        caught_up(result)
        return NewVersion(version=result.version)

    @post("/{plan_id:uuid}/coordinator", sync_to_thread=True, status_code=HTTP_200_OK)
    def hand_over_coordinator(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[HandOverBody],
        if_match: IfMatch = None,
    ) -> NewVersion:
        """Hand the baton to another provider in the group."""
        result = plans.hand_over_coordinator(
            plan_id,
            by=principal.person_id,
            participant_id=data.participant_id,
            expected_version=expected_version(if_match, data.expected_version),
        )
        caught_up(result)
        return NewVersion(version=result.version)

    # ---------------------------------------------------------- consent

    @put("/{plan_id:uuid}/consent", sync_to_thread=True)
    def renew_consent(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[RenewConsentBody],
        if_match: IfMatch = None,
    ) -> NewVersion:
        """Consent given again, or changed; it is active from now on."""
        result = plans.renew_consent(
            plan_id,
            by=principal.person_id,
            consent=_consent(data),
            expected_version=expected_version(if_match, data.expected_version),
        )
        caught_up(result)
        return NewVersion(version=result.version)

    @delete("/{plan_id:uuid}/consent", sync_to_thread=True, status_code=HTTP_200_OK)
    def reset_consent(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[VersionBody | None] = None,
        if_match: IfMatch = None,
    ) -> NewVersion:
        """Reset: no new content until consent is given again."""
        result = plans.reset_consent(
            plan_id,
            by=principal.person_id,
            expected_version=expected_version(if_match, data.expected_version if data else None),
        )
        caught_up(result)
        return NewVersion(version=result.version)

    @post("/{plan_id:uuid}/consent/withdrawal", sync_to_thread=True, status_code=HTTP_200_OK)
    def withdraw_consent(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[VersionBody | None] = None,
        if_match: IfMatch = None,
    ) -> NewVersion:
        """The owner, a relative or the coordinator withdraws consent (also when closed):
        providers lose the plan from the next request, and nothing new is written until
        consent is given again."""
        result = plans.withdraw_consent(
            plan_id,
            by=principal.person_id,
            expected_version=expected_version(if_match, data.expected_version if data else None),
        )
        caught_up(result)
        return NewVersion(version=result.version)

    # ------------------------------------------------------------ goals

    @post("/{plan_id:uuid}/goals", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def set_goal(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[GoalBody],
        if_match: IfMatch = None,
    ) -> NewGoal:
        result = plans.set_goal(
            plan_id,
            by=principal.person_id,
            title=data.title,
            description=data.description,
            due_on=data.due_on,
            expected_version=expected_version(if_match, data.expected_version),
        )
        caught_up(result)
        return NewGoal(goal_id=_created_id(result), version=result.version)

    @patch("/{plan_id:uuid}/goals/{goal_id:uuid}", sync_to_thread=True)
    def revise_goal(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        goal_id: FromPath[UUID],
        data: JSONBody[GoalChangeBody],
        if_match: IfMatch = None,
    ) -> NewVersion:
        """Title, description or due date; fields left out keep their value."""
        _require_changes(data, GoalChangeBody())

        def revise(old: Goal) -> Goal:
            return replace(
                old,
                title=_given(data.title, old.title),
                description=_given(data.description, old.description),
                due_on=_given(data.due_on, old.due_on),
            )

        result = plans.update_goal(
            plan_id,
            by=principal.person_id,
            goal_id=goal_id,
            revise=revise,
            expected_version=expected_version(if_match, data.expected_version),
        )
        caught_up(result)
        return NewVersion(version=result.version)

    @post(
        "/{plan_id:uuid}/goals/{goal_id:uuid}/evaluations",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
    )
    def evaluate_goal(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        goal_id: FromPath[UUID],
        data: JSONBody[EvaluationBody],
        if_match: IfMatch = None,
    ) -> NewVersion:
        """An evaluation dated today; its status becomes the goal's."""
        result = plans.evaluate_goal(
            plan_id,
            by=principal.person_id,
            goal_id=goal_id,
            status=data.status,
            text=data.text,
            expected_version=expected_version(if_match, data.expected_version),
        )
        caught_up(result)
        return NewVersion(version=result.version)

    # ------------------------------------------------------- activities

    @post("/{plan_id:uuid}/activities", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def add_activity(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[ActivityBody],
        if_match: IfMatch = None,
    ) -> NewActivity:
        result = plans.add_activity(
            plan_id,
            by=principal.person_id,
            title=data.title,
            description=data.description,
            responsible_participant_id=data.responsible_participant_id,
            due_on=data.due_on,
            goal_id=data.goal_id,
            expected_version=expected_version(if_match, data.expected_version),
        )
        caught_up(result)
        return NewActivity(activity_id=_created_id(result), version=result.version)

    @patch("/{plan_id:uuid}/activities/{activity_id:uuid}", sync_to_thread=True)
    def change_activity(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        activity_id: FromPath[UUID],
        data: JSONBody[ActivityChangeBody],
        if_match: IfMatch = None,
    ) -> NewVersion:
        """Fields left out keep their value; status "completed" completes it (dated today).

        Every change in one body is saved together, or none is.
        """
        _require_changes(data, ActivityChangeBody())

        def revise(old: Activity) -> Activity:
            return replace(
                old,
                title=_given(data.title, old.title),
                description=_given(data.description, old.description),
                responsible_participant_id=_given(
                    data.responsible_participant_id, old.responsible_participant_id
                ),
                due_on=_given(data.due_on, old.due_on),
                goal_id=_given(data.goal_id, old.goal_id),
                status=_given(data.status, old.status),
            )

        result = plans.update_activity(
            plan_id,
            by=principal.person_id,
            activity_id=activity_id,
            revise=revise,
            expected_version=expected_version(if_match, data.expected_version),
        )
        caught_up(result)
        return NewVersion(version=result.version)

    # ------------------------------------------------- minutes and talk

    @post("/{plan_id:uuid}/minutes", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def record_minutes(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[MinutesBody],
        if_match: IfMatch = None,
    ) -> NewMinutes:
        result = plans.record_minutes(
            plan_id,
            by=principal.person_id,
            met_on=data.met_on,
            attendee_ids=tuple(data.attendee_ids),
            notes=data.notes,
            decisions=data.decisions,
            expected_version=expected_version(if_match, data.expected_version),
        )
        caught_up(result)
        return NewMinutes(minutes_id=_created_id(result), version=result.version)

    @post("/{plan_id:uuid}/comments", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def post_comment(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[CommentBody],
        if_match: IfMatch = None,
    ) -> NewComment:
        """On a goal, activity or minutes; reading that section is enough."""
        result = plans.post_comment(
            plan_id,
            by=principal.person_id,
            on_kind=data.on.kind,
            on_id=data.on.id,
            text=data.text,
            expected_version=expected_version(if_match, data.expected_version),
        )
        caught_up(result)
        return NewComment(comment_id=_created_id(result), version=result.version)

    @post("/{plan_id:uuid}/messages", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def send_message(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[MessageBody],
        if_match: IfMatch = None,
    ) -> NewMessage:
        """To the listed participants, or to everyone else in the group ("all")."""
        result = plans.send_message(
            plan_id,
            by=principal.person_id,
            recipient_ids=None if data.to == "all" else tuple(data.to),
            subject=data.subject,
            body=data.body,
            expected_version=expected_version(if_match, data.expected_version),
        )
        caught_up(result)
        return NewMessage(message_id=_created_id(result), version=result.version)

    @post("/{plan_id:uuid}/calendar", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def add_calendar_entry(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[CalendarEntryBody],
        if_match: IfMatch = None,
    ) -> NewCalendarEntry:
        result = plans.add_calendar_entry(
            plan_id,
            by=principal.person_id,
            title=data.title,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            location=data.location,
            expected_version=expected_version(if_match, data.expected_version),
        )
        caught_up(result)
        return NewCalendarEntry(entry_id=_created_id(result), version=result.version)

    # -------------------------------------------------------- lifecycle

    @post("/{plan_id:uuid}/close", sync_to_thread=True, status_code=HTTP_200_OK)
    def close_plan(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[CloseBody],
        if_match: IfMatch = None,
    ) -> NewVersion:
        """Closed: every further content write answers 409 until it is reopened."""
        result = plans.close_plan(
            plan_id,
            by=principal.person_id,
            ended_on=data.ended_on,
            reason=data.reason,
            expected_version=expected_version(if_match, data.expected_version),
        )
        caught_up(result)
        return NewVersion(version=result.version)

    @post("/{plan_id:uuid}/reopen", sync_to_thread=True, status_code=HTTP_200_OK)
    def reopen_plan(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[VersionBody | None] = None,
        if_match: IfMatch = None,
    ) -> NewVersion:
        result = plans.reopen_plan(
            plan_id,
            by=principal.person_id,
            expected_version=expected_version(if_match, data.expected_version if data else None),
        )
        caught_up(result)
        return NewVersion(version=result.version)
