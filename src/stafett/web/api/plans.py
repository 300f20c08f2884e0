"""Writes to plans (api.md: Plans): create, details, plan group, consent, content, close, reopen.

Every handler decodes its command (`applications/commands.py`, the struct is the
body) and gives it to `Commands`, the one dependency every write shares: the
logged-in person is the actor, the version the caller last saw comes as
`If-Match: "<version>"` or `expected_version` in the body, and the answer waits
(bounded) until the plan list has the write. The rules are the plan's: who may
write what, consent, a closed plan. Someone outside a plan gets the 404 of a plan
that does not exist, whatever they send.
"""

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, delete, patch, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from stafett.applications.commands import (
    AcceptBaton,
    ActivityChange,
    AddActivity,
    AddCalendarEntry,
    AddParticipant,
    ChangeActivity,
    ChangeParticipant,
    ChangePlanDetails,
    ChooseNotifications,
    ClosePlan,
    EndBatonOffer,
    EvaluateGoal,
    GoalEvaluation,
    GoalRevision,
    HandOverCoordinator,
    NotificationsIn,
    OfferBaton,
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
from stafett.applications.parts import CreatePlan
from stafett.applications.results import CommandResult
from stafett.web.api.lists import PlanListRoutes
from stafett.web.auth import Policy, policy
from stafett.web.controllers import LoggedInRoutes
from stafett.web.idempotency import KEEPS_ANSWER
from stafett.web.params import Writes
from stafett.web.writes import Commands

# ---------------------------------------------------------------- answers


class NewPlan(msgspec.Struct):
    id: UUID
    version: int


class NewVersion(msgspec.Struct):
    version: int


def new_plan(result: CommandResult) -> NewPlan:
    return NewPlan(id=result.plan_id, version=result.version)


def new_item(name: str, id_field: str) -> type[msgspec.Struct]:
    """The answer to a write that adds an item: `{id_field: ..., "version": ...}`."""
    return msgspec.defstruct(name, [(id_field, UUID), ("version", int)], module=__name__)


NewParticipant = new_item("NewParticipant", "participant_id")
NewGoal = new_item("NewGoal", "goal_id")
NewActivity = new_item("NewActivity", "activity_id")
NewMinutes = new_item("NewMinutes", "minutes_id")
NewComment = new_item("NewComment", "comment_id")
NewMessage = new_item("NewMessage", "message_id")
NewCalendarEntry = new_item("NewCalendarEntry", "entry_id")


# ------------------------------------------------------------- the routes

PATH_IDS = re.compile(r"\{(\w+):uuid\}")
Method = type[post] | type[patch] | type[put] | type[delete]
Stub = Callable[[], None]


def plan_write(
    method: Method,
    path: str,
    body: type[PlanCommand],
    *,
    command: type[PlanCommand] | None = None,
    answer: type[msgspec.Struct] = NewVersion,
    optional: bool = False,
) -> Callable[[Stub], HTTPRouteHandler]:
    """The route handler of one plan write, named and documented by the stub it decorates.

    The handler decodes `body` (an `optional` one may be left out: `body()`), gives
    it to `Commands` and answers the new version, or with `answer` the new item's id
    and version (201). A path naming an item besides the plan (`.../{goal_id:uuid}`)
    makes `command` from the body and that id (`Command.addressed`). The signature is
    built here so that litestar reads, validates and documents each route's own path
    parameters and body type, as it does for a handler written out.
    """
    address = PATH_IDS.findall(path)[1:]  # after plan_id
    make = command or body
    id_field = None if answer is NewVersion else next(iter(answer.__struct_fields__))
    status = HTTP_200_OK if id_field is None else HTTP_201_CREATED

    def respond(result: CommandResult) -> msgspec.Struct:
        if id_field is None:
            return NewVersion(version=result.version)
        return answer(**{id_field: result.created_id, "version": result.version})

    def handler(self: Controller, *, commands: Commands, plan_id: UUID, **given: Any) -> Any:
        data = given.pop("data") or body()
        command = make.addressed(data, **given) if address else data
        write = functools.partial(commands, plan_id, command)
        return commands.answered(write, status=status, answer=respond)

    keyword = inspect.Parameter.KEYWORD_ONLY
    data = JSONBody[body | None] if optional else JSONBody[body]  # type: ignore[misc,valid-type]
    parameters = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("commands", keyword, annotation=Writes),
        *(inspect.Parameter(n, keyword, annotation=FromPath[UUID]) for n in ["plan_id", *address]),
        inspect.Parameter("data", keyword, annotation=data)
        if not optional
        else inspect.Parameter("data", keyword, annotation=data, default=None),
    ]
    handler.__signature__ = inspect.Signature(parameters, return_annotation=answer)  # type: ignore[attr-defined]
    handler.__annotations__ = {p.name: p.annotation for p in parameters[1:]} | {"return": answer}

    def route(stub: Stub) -> HTTPRouteHandler:
        handler.__name__, handler.__qualname__ = stub.__name__, stub.__qualname__
        handler.__doc__ = stub.__doc__
        keeps = {KEEPS_ANSWER: True}  # under an Idempotency-Key, in the events' transaction
        return method(path, sync_to_thread=True, status_code=status, opt=keeps)(handler)

    return route


class PlanController(PlanListRoutes, LoggedInRoutes):
    path = "/api/v1/plans"
    tags = ["plans"]  # noqa: RUF012

    @post(
        "/",
        sync_to_thread=True,
        opt=policy(Policy.CREATE_PLAN) | {KEEPS_ANSWER: True},
        status_code=HTTP_201_CREATED,
    )
    def create_plan(self, *, commands: Writes, data: JSONBody[CreatePlan]) -> NewPlan:
        """A new plan; the caller becomes its coordinator (coordinator accounts only)."""
        write = functools.partial(commands.create_plan, data)
        return commands.answered(write, status=HTTP_201_CREATED, answer=new_plan)

    # Every other write is one `plan_write`: method, path, body, and what differs.

    @plan_write(patch, "/{plan_id:uuid}", ChangePlanDetails)
    def change_plan_details() -> None:
        """Short name, start or end date, BTI level or review date (the coordinator's, in
        an open plan); fields left out keep their value, null clears the end date, level
        or review date."""

    # ------------------------------------------------------- plan group

    @plan_write(post, "/{plan_id:uuid}/participants", AddParticipant, answer=NewParticipant)
    def add_participant() -> None:
        """An existing person, or a new one registered in the directory, joins the group."""

    @plan_write(
        patch,
        "/{plan_id:uuid}/participants/{participant_id:uuid}",
        ParticipantChange,
        command=ChangeParticipant,
    )
    def change_participant() -> None:
        """New rights and/or responsibility, saved together (one version, or nothing)."""

    @plan_write(
        delete,
        "/{plan_id:uuid}/participants/{participant_id:uuid}",
        Versioned,
        command=RemoveParticipant,
        optional=True,
    )
    def remove_participant() -> None:
        """Out of the plan group; what they wrote stays in the history."""

    @plan_write(
        put,
        "/{plan_id:uuid}/participants/{participant_id:uuid}/notifications",
        NotificationsIn,
        command=ChooseNotifications,
    )
    def choose_notifications() -> None:
        """Per kind of change, SMS and/or e-mail; the participant themself or the coordinator."""

    @plan_write(post, "/{plan_id:uuid}/coordinator", HandOverCoordinator)
    def hand_over_coordinator() -> None:
        """Hand the baton to another provider in the group at once: for a handover agreed
        with the new holder outside the service (decision 0052); any pending offer ends."""

    @plan_write(post, "/{plan_id:uuid}/coordinator/offer", OfferBaton)
    def offer_baton() -> None:
        """Offer the baton to another provider in the group: the coordinator keeps it,
        with every right of the role, until that provider accepts (decision 0052)."""

    @plan_write(post, "/{plan_id:uuid}/coordinator/offer/acceptance", AcceptBaton, optional=True)
    def accept_baton() -> None:
        """The provider offered the baton takes it and becomes the coordinator."""

    @plan_write(delete, "/{plan_id:uuid}/coordinator/offer", EndBatonOffer, optional=True)
    def end_baton_offer() -> None:
        """The coordinator withdraws the offer, or the provider offered declines it."""

    # ---------------------------------------------------------- consent

    @plan_write(put, "/{plan_id:uuid}/consent", RenewConsent)
    def renew_consent() -> None:
        """Consent given again, or changed; it is active from now on."""

    @plan_write(delete, "/{plan_id:uuid}/consent", ResetConsent, optional=True)
    def reset_consent() -> None:
        """Reset: no new content until consent is given again."""

    @plan_write(post, "/{plan_id:uuid}/consent/withdrawal", WithdrawConsent, optional=True)
    def withdraw_consent() -> None:
        """The coordinator or the family withdraws consent (also when closed): the owner
        who has reached the consent age (15 or 16, the municipality's setting), the
        relatives of one who has not, both when the owner's birth date is not known.
        Providers lose the plan from the next request, and nothing new is written until
        consent is given again."""

    # ------------------------------------------------------------ goals

    @plan_write(post, "/{plan_id:uuid}/goals", SetGoal, answer=NewGoal)
    def set_goal() -> None: ...

    @plan_write(patch, "/{plan_id:uuid}/goals/{goal_id:uuid}", GoalRevision, command=ReviseGoal)
    def revise_goal() -> None:
        """Title, description or due date; fields left out keep their value."""

    @plan_write(
        post,
        "/{plan_id:uuid}/goals/{goal_id:uuid}/evaluations",
        GoalEvaluation,
        command=EvaluateGoal,
    )
    def evaluate_goal() -> None:
        """An evaluation dated today; its status becomes the goal's."""

    # ------------------------------------------------------- activities

    @plan_write(post, "/{plan_id:uuid}/activities", AddActivity, answer=NewActivity)
    def add_activity() -> None: ...

    @plan_write(
        patch,
        "/{plan_id:uuid}/activities/{activity_id:uuid}",
        ActivityChange,
        command=ChangeActivity,
    )
    def change_activity() -> None:
        """Fields left out keep their value; status "completed" completes it (dated today).

        Every change in one body is saved together, or none is.
        """

    # ------------------------------------------------- minutes and talk

    @plan_write(post, "/{plan_id:uuid}/minutes", RecordMinutes, answer=NewMinutes)
    def record_minutes() -> None: ...

    @plan_write(post, "/{plan_id:uuid}/comments", PostComment, answer=NewComment)
    def post_comment() -> None:
        """On a goal, activity or minutes; reading that section is enough."""

    @plan_write(post, "/{plan_id:uuid}/messages", SendMessage, answer=NewMessage)
    def send_message() -> None:
        """To the listed participants, or to everyone else in the group ("all")."""

    @plan_write(post, "/{plan_id:uuid}/calendar", AddCalendarEntry, answer=NewCalendarEntry)
    def add_calendar_entry() -> None: ...

    # -------------------------------------------------------- lifecycle

    @plan_write(post, "/{plan_id:uuid}/close", ClosePlan)
    def close_plan() -> None:
        """Closed: every further content write answers 409 until it is reopened."""

    @plan_write(post, "/{plan_id:uuid}/reopen", ReopenPlan, optional=True)
    def reopen_plan() -> None: ...
