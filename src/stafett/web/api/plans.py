"""Writes to plans (api.md: Plans): create, plan group, consent, content, close and reopen.

Every handler decodes its command (`applications/commands.py`, the struct is the
body) and gives it to `Commands`, the one dependency every write shares: the
logged-in person is the actor, the version the caller last saw comes as
`If-Match: "<version>"` or `expected_version` in the body, and the answer waits
(bounded) until the plan list has the write. The rules are the plan's: who may
write what, consent, a closed plan. Someone outside a plan gets the 404 of a plan
that does not exist, whatever they send.
"""

import re
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, delete, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from stafett.aggregates.errors import ValidationError
from stafett.applications.accounts import Principal
from stafett.applications.commands import (
    ActivityChange,
    AddActivity,
    AddCalendarEntry,
    AddParticipant,
    ChangeActivity,
    ChangeParticipant,
    ClosePlan,
    CreatePlan,
    EvaluateGoal,
    GoalEvaluation,
    GoalRevision,
    HandOverCoordinator,
    ParticipantChange,
    PlanCommand,
    PostComment,
    RecordMinutes,
    RemoveParticipant,
    RenewConsent,
    ReopenPlan,
    ResetConsent,
    ReviseGoal,
    SendMessage,
    SetGoal,
    Versioned,
    WithdrawConsent,
)
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

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        max_length=40,
        description='The plan version the change is based on, e.g. "7"; a stale one answers 409.',
    ),
]
ENTITY_TAG = re.compile(r'"([0-9]{1,18})"|([0-9]{1,18})')

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


# ------------------------------------------------------- the one dependency


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


@dataclass(frozen=True, slots=True)
class Commands:
    """Gives a command to the plans as the logged-in person, then waits for the plan list."""

    plans: PlanApplication
    principal: Principal
    caught_up: ReadYourWrites
    if_match: str | None

    def __call__(self, plan_id: UUID, command: PlanCommand) -> CommandResult:
        expected = expected_version(self.if_match, command.expected_version)
        result = self.plans.handle(
            plan_id, command, by=self.principal.person_id, expected_version=expected
        )
        self.caught_up(result)
        return result

    def create_plan(self, command: CreatePlan) -> CommandResult:
        result = self.plans.create_plan(command, by=self.principal.person_id)
        self.caught_up(result)
        return result


def provide_commands(
    plans: NamedDependency[PlanApplication],
    principal: NamedDependency[Principal],
    caught_up: NamedDependency[ReadYourWrites],
    if_match: IfMatch = None,
) -> Commands:
    return Commands(plans, principal, caught_up, if_match)


def _created_id(result: CommandResult) -> UUID:
    assert result.created_id is not None
    return result.created_id


# ------------------------------------------------------------- the routes


class PlanController(PlanListRoutes, Controller):
    path = "/api/v1/plans"
    dependencies = {  # noqa: RUF012
        "plans": Provide(provide_plans, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
        "caught_up": Provide(provide_read_your_writes, sync_to_thread=False),
        "commands": Provide(provide_commands, sync_to_thread=False),
        "plan_list": Provide(provide_plan_list, sync_to_thread=False),
    }
    tags = ["plans"]  # noqa: RUF012
    opt = policy(Policy.AUTHENTICATED)

    @post("/", sync_to_thread=True, opt=policy(Policy.CREATE_PLAN), status_code=HTTP_201_CREATED)
    def create_plan(
        self, *, commands: NamedDependency[Commands], data: JSONBody[CreatePlan]
    ) -> NewPlan:
        """A new plan; the caller becomes its coordinator (coordinator accounts only)."""
        result = commands.create_plan(data)
        return NewPlan(id=result.plan_id, version=result.version)

    # ------------------------------------------------------- plan group

    @post("/{plan_id:uuid}/participants", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def add_participant(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        data: JSONBody[AddParticipant],
    ) -> NewParticipant:
        """An existing person, or a new one registered in the directory, joins the group."""
        result = commands(plan_id, data)
        return NewParticipant(participant_id=_created_id(result), version=result.version)

    @patch("/{plan_id:uuid}/participants/{participant_id:uuid}", sync_to_thread=True)
    def change_participant(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        participant_id: FromPath[UUID],
        data: JSONBody[ParticipantChange],
    ) -> NewVersion:
        """New rights and/or responsibility, saved together (one version, or nothing)."""
        command = ChangeParticipant.addressed(data, participant_id=participant_id)
        return NewVersion(version=commands(plan_id, command).version)

    @delete(
        "/{plan_id:uuid}/participants/{participant_id:uuid}",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
    )
    def remove_participant(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        participant_id: FromPath[UUID],
        data: JSONBody[Versioned | None] = None,
    ) -> NewVersion:
        """Out of the plan group; what they wrote stays in the history."""
        command = RemoveParticipant.addressed(data or Versioned(), participant_id=participant_id)
        return NewVersion(version=commands(plan_id, command).version)

    @post("/{plan_id:uuid}/coordinator", sync_to_thread=True, status_code=HTTP_200_OK)
    def hand_over_coordinator(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        data: JSONBody[HandOverCoordinator],
    ) -> NewVersion:
        """Hand the baton to another provider in the group."""
        return NewVersion(version=commands(plan_id, data).version)

    # ---------------------------------------------------------- consent

    @put("/{plan_id:uuid}/consent", sync_to_thread=True)
    def renew_consent(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        data: JSONBody[RenewConsent],
    ) -> NewVersion:
        """Consent given again, or changed; it is active from now on."""
        return NewVersion(version=commands(plan_id, data).version)

    @delete("/{plan_id:uuid}/consent", sync_to_thread=True, status_code=HTTP_200_OK)
    def reset_consent(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        data: JSONBody[ResetConsent | None] = None,
    ) -> NewVersion:
        """Reset: no new content until consent is given again."""
        return NewVersion(version=commands(plan_id, data or ResetConsent()).version)

    @post("/{plan_id:uuid}/consent/withdrawal", sync_to_thread=True, status_code=HTTP_200_OK)
    def withdraw_consent(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        data: JSONBody[WithdrawConsent | None] = None,
    ) -> NewVersion:
        """The owner, a relative or the coordinator withdraws consent (also when closed):
        providers lose the plan from the next request, and nothing new is written until
        consent is given again."""
        return NewVersion(version=commands(plan_id, data or WithdrawConsent()).version)

    # ------------------------------------------------------------ goals

    @post("/{plan_id:uuid}/goals", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def set_goal(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        data: JSONBody[SetGoal],
    ) -> NewGoal:
        result = commands(plan_id, data)
        return NewGoal(goal_id=_created_id(result), version=result.version)

    @patch("/{plan_id:uuid}/goals/{goal_id:uuid}", sync_to_thread=True)
    def revise_goal(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        goal_id: FromPath[UUID],
        data: JSONBody[GoalRevision],
    ) -> NewVersion:
        """Title, description or due date; fields left out keep their value."""
        command = ReviseGoal.addressed(data, goal_id=goal_id)
        return NewVersion(version=commands(plan_id, command).version)

    @post(
        "/{plan_id:uuid}/goals/{goal_id:uuid}/evaluations",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
    )
    def evaluate_goal(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        goal_id: FromPath[UUID],
        data: JSONBody[GoalEvaluation],
    ) -> NewVersion:
        """An evaluation dated today; its status becomes the goal's."""
        command = EvaluateGoal.addressed(data, goal_id=goal_id)
        return NewVersion(version=commands(plan_id, command).version)

    # ------------------------------------------------------- activities

    @post("/{plan_id:uuid}/activities", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def add_activity(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        data: JSONBody[AddActivity],
    ) -> NewActivity:
        result = commands(plan_id, data)
        return NewActivity(activity_id=_created_id(result), version=result.version)

    @patch("/{plan_id:uuid}/activities/{activity_id:uuid}", sync_to_thread=True)
    def change_activity(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        activity_id: FromPath[UUID],
        data: JSONBody[ActivityChange],
    ) -> NewVersion:
        """Fields left out keep their value; status "completed" completes it (dated today).

        Every change in one body is saved together, or none is.
        """
        command = ChangeActivity.addressed(data, activity_id=activity_id)
        return NewVersion(version=commands(plan_id, command).version)

    # ------------------------------------------------- minutes and talk

    @post("/{plan_id:uuid}/minutes", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def record_minutes(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        data: JSONBody[RecordMinutes],
    ) -> NewMinutes:
        result = commands(plan_id, data)
        return NewMinutes(minutes_id=_created_id(result), version=result.version)

    @post("/{plan_id:uuid}/comments", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def post_comment(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        data: JSONBody[PostComment],
    ) -> NewComment:
        """On a goal, activity or minutes; reading that section is enough."""
        result = commands(plan_id, data)
        return NewComment(comment_id=_created_id(result), version=result.version)

    @post("/{plan_id:uuid}/messages", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def send_message(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        data: JSONBody[SendMessage],
    ) -> NewMessage:
        """To the listed participants, or to everyone else in the group ("all")."""
        result = commands(plan_id, data)
        return NewMessage(message_id=_created_id(result), version=result.version)

    @post("/{plan_id:uuid}/calendar", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def add_calendar_entry(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        data: JSONBody[AddCalendarEntry],
    ) -> NewCalendarEntry:
        result = commands(plan_id, data)
        return NewCalendarEntry(entry_id=_created_id(result), version=result.version)

    # -------------------------------------------------------- lifecycle

    @post("/{plan_id:uuid}/close", sync_to_thread=True, status_code=HTTP_200_OK)
    def close_plan(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        data: JSONBody[ClosePlan],
    ) -> NewVersion:
        """Closed: every further content write answers 409 until it is reopened."""
        return NewVersion(version=commands(plan_id, data).version)

    @post("/{plan_id:uuid}/reopen", sync_to_thread=True, status_code=HTTP_200_OK)
    def reopen_plan(
        self,
        *,
        commands: NamedDependency[Commands],
        plan_id: FromPath[UUID],
        data: JSONBody[ReopenPlan | None] = None,
    ) -> NewVersion:
        return NewVersion(version=commands(plan_id, data or ReopenPlan()).version)
