"""Plan commands as data: one struct per thing a person can do to a plan.

Each struct is at once the JSON body its route decodes (field for field as
api.md documents it) and what `PlanApplication.handle` takes from every other
caller: tests, the demo, the benchmarks. `run` turns it into one call of the
plan's command method, which checks the rules and triggers the event; `handle`
loads, runs, saves, retries a lost race and answers a `CommandResult`. Where the
command's fields are the method's arguments, the struct only names the method
(`calls = Plan.close`); otherwise it writes its own `run`.

Updates (`ReviseGoal`, `ChangeActivity`, `ChangeParticipant`) are explicit partial
changes: a field left `UNSET` keeps its value, read from the plan inside the
decide step, so a retried command merges with the state it is retried on.

A command addressed by its route (a goal, activity or participant in the path)
extends the struct of its body with that id: the route decodes the body, which may
not name the id, and makes the command with `Command.addressed(body, id=...)`.
The parts of bodies (`PersonIn`, `ConsentIn`, `RightsIn`, `CommentOn`) and
`CreatePlan` are in `parts.py`.

To add a command: a struct here (it `calls` one new method of `Plan`, which
triggers one new event), and one `plan_write` route in `web/api/plans.py`.
"""

from dataclasses import fields, replace
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar
from uuid import UUID

import msgspec

from stafett.aggregates.person import PersonDetails
from stafett.aggregates.plan import Plan
from stafett.aggregates.values import (
    Activity,
    ActivityStatus,
    CalendarEntry,
    Consent,
    GoalStatus,
    Minutes,
    NoticeChannel,
    NoticeKind,
    NotificationChoices,
    Rights,
    Role,
)

# Re-exported: callers import every command, and their bases, from here.
from stafett.applications.command_base import Changes as Changes  # noqa: PLC0414
from stafett.applications.command_base import PlanCommand as PlanCommand  # noqa: PLC0414
from stafett.applications.command_base import Versioned as Versioned  # noqa: PLC0414
from stafett.applications.input import Name, RequiredText, ShortText, Text
from stafett.applications.parts import (
    CommentOn,
    ConsentIn,
    Email,
    Level,
    PersonIn,
    Phone,
    RightsIn,
)

MAX_LIST_LENGTH = 500

Instant = Annotated[datetime, msgspec.Meta(tz=True)]
Ids = Annotated[list[UUID], msgspec.Meta(max_length=MAX_LIST_LENGTH)]
Recipients = Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=MAX_LIST_LENGTH)]
T = TypeVar("T")


def _given(value: T | msgspec.UnsetType, current: T) -> T:
    return current if isinstance(value, msgspec.UnsetType) else value


# --------------------------------------------------------------- commands


# ----------------------------------------------------------- plan group


class AddParticipant(PlanCommand):
    """`handle` resolves `person` to an id first (registering a new person)."""

    person: PersonIn
    role: Literal["relative", "provider"]
    responsibility: Text = ""
    rights: RightsIn | None = None
    creates: ClassVar[bool] = True
    step_up: ClassVar[bool] = True  # a new member of the group gets rights in the plan

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        assert self.person.person_id is not None
        plan.add_participant(
            by=by,
            at=at,
            participant_id=new_id,
            person_id=self.person.person_id,
            role=Role(self.role),
            responsibility=self.responsibility,
            rights=self.rights.value() if self.rights is not None else Rights(),
        )


Unset = msgspec.UnsetType


class ParticipantChange(Changes):
    """The body of `ChangeParticipant`: the plan's fields (responsibility, rights, role:
    the coordinator's to change) and the person's details (their directory entry, shared
    across plans: the coordinator's and those with the `edit_person` right)."""

    responsibility: Text | Unset = msgspec.UNSET
    rights: RightsIn | Unset = msgspec.UNSET
    role: Literal["relative", "provider"] | Unset = msgspec.UNSET  # decision 0054
    first_name: Name | Unset = msgspec.UNSET
    last_name: Name | Unset = msgspec.UNSET
    birth_date: date | Unset | None = msgspec.UNSET
    workplace: ShortText | Unset = msgspec.UNSET
    position: ShortText | Unset = msgspec.UNSET
    email: Email | Unset = msgspec.UNSET
    mobile: Phone | Unset = msgspec.UNSET
    phone: Phone | Unset = msgspec.UNSET
    fax: Phone | Unset = msgspec.UNSET
    hide_phone: bool | Unset = msgspec.UNSET
    hide_mobile: bool | Unset = msgspec.UNSET
    street_address: ShortText | Unset = msgspec.UNSET
    postcode: ShortText | Unset = msgspec.UNSET
    place: ShortText | Unset = msgspec.UNSET
    restrict_search: bool | Unset = msgspec.UNSET

    def person_changes(self) -> dict[str, Any]:
        """The person details given (the fields of `PersonDetails`), by name."""
        return {k: v for k, v in self.changes().items() if k in PERSON_FIELDS}


PERSON_FIELDS = frozenset(f.name for f in fields(PersonDetails))


class ChangeParticipant(ParticipantChange, kw_only=True):
    """New rights, responsibility and/or person details, saved together.

    `handle` checks and stores the person details (the directory's) and runs this
    for the plan's part: one version, or nothing.
    """

    participant_id: UUID
    address: ClassVar[str] = "participant_id"

    def needs_step_up(self) -> bool:
        """New rights or a new role change what the participant may read and do."""
        return not isinstance(self.rights, msgspec.UnsetType) or self.role_given() is not None

    def role_given(self) -> Role | None:
        return None if isinstance(self.role, msgspec.UnsetType) else Role(self.role)

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        rights = self.rights
        plan.update_participant(
            by=by,
            at=at,
            participant_id=self.participant_id,
            responsibility=_given(self.responsibility, None),
            rights=None if isinstance(rights, msgspec.UnsetType) else rights.value(),
            role=self.role_given(),
            person=bool(self.person_changes()),
        )


class RemoveParticipant(Versioned, kw_only=True):
    participant_id: UUID
    calls = Plan.remove_participant


class HandOverCoordinator(PlanCommand):
    """The baton handed over at once, as agreed outside the service (decision 0052)."""

    participant_id: UUID
    calls = Plan.hand_over_coordinator
    step_up = True


class OfferBaton(PlanCommand):
    """No step-up: an offer grants nothing until it is accepted (decision 0052)."""

    participant_id: UUID
    calls = Plan.offer_baton


class AcceptBaton(Versioned):
    calls = Plan.accept_baton
    step_up = True  # the one who accepts becomes the coordinator


class EndBatonOffer(Versioned):
    """The coordinator withdraws the offer, or the participant offered declines it."""

    calls = Plan.end_baton_offer


ChannelName = Literal["sms", "email"]
Channels = Annotated[list[ChannelName], msgspec.Meta(max_length=2)]


class NotificationsIn(PlanCommand):
    """The body of `ChooseNotifications`: per kind of change, the channels (api.md)."""

    new_message: Channels = msgspec.field(default_factory=list)
    new_goal_or_activity: Channels = msgspec.field(default_factory=list)
    new_comment: Channels = msgspec.field(default_factory=list)
    new_calendar_entry: Channels = msgspec.field(default_factory=list)
    new_participant: Channels = msgspec.field(default_factory=list)
    # Optional (decision 0022): e-mails gathered into at most one an hour per plan.
    email_digest: bool = False

    def choices(self) -> NotificationChoices:
        """The value the plan keeps: each kind's channels once, SMS before e-mail."""
        return NotificationChoices(
            **{
                kind.value: tuple(c for c in NoticeChannel if c.value in getattr(self, kind.value))
                for kind in NoticeKind
            },
            email_digest=self.email_digest,
        )


class ChooseNotifications(NotificationsIn, kw_only=True):
    """The notices a participant gets: set by themself or by the coordinator."""

    participant_id: UUID

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        plan.choose_notifications(
            by=by, at=at, participant_id=self.participant_id, choices=self.choices()
        )


# ---------------------------------------------------------------- consent


class RenewConsent(PlanCommand):
    """Consent given again, or changed; it is active from now on."""

    given_by: Name
    given_on: date
    expires_on: date
    scope: RequiredText

    @classmethod
    def of(cls, consent: Consent) -> "RenewConsent":
        return cls(**msgspec.structs.asdict(ConsentIn.of(consent)))

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        consent = Consent(self.given_by, self.given_on, self.expires_on, self.scope)
        plan.renew_consent(by=by, at=at, consent=consent)


class ChangeConsentScope(PlanCommand):
    scope: RequiredText
    calls = Plan.change_consent_scope


class ResetConsent(Versioned):
    calls = Plan.reset_consent


class WithdrawConsent(Versioned):
    """Its plan method needs the owner's age, which the plan does not hold: the
    application reads it from the directory and gives it (`PlanApplication.handle`,
    decision 0055), so `run` has no method to call by itself."""


# ------------------------------------------------------------------ goals


class SetGoal(PlanCommand):
    title: Name
    description: Text = ""
    due_on: date | None = None
    creates: ClassVar[bool] = True

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        plan.set_goal(by=by, at=at, goal_id=new_id, **self.arguments())


class GoalRevision(Changes):
    """The body of `ReviseGoal`."""

    title: Name | msgspec.UnsetType = msgspec.UNSET
    description: Text | msgspec.UnsetType = msgspec.UNSET
    due_on: date | msgspec.UnsetType | None = msgspec.UNSET


class ReviseGoal(GoalRevision, kw_only=True):
    """Title, description or due date; fields left out keep their value."""

    goal_id: UUID
    address: ClassVar[str] = "goal_id"

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        goal = plan.goal(self.goal_id)
        kept = {"title": goal.title, "description": goal.description, "due_on": goal.due_on}
        plan.revise_goal(by=by, at=at, goal_id=self.goal_id, **(kept | self.changes()))


class GoalEvaluation(PlanCommand):
    """The body of `EvaluateGoal`."""

    status: GoalStatus
    text: RequiredText


class EvaluateGoal(GoalEvaluation, kw_only=True):
    """An evaluation dated today; its status becomes the goal's."""

    goal_id: UUID
    calls = Plan.evaluate_goal


# ------------------------------------------------------------- activities


class AddActivity(PlanCommand):
    title: Name
    responsible_participant_id: UUID
    description: Text = ""
    due_on: date | None = None
    goal_id: UUID | None = None
    creates: ClassVar[bool] = True

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        activity = Activity(activity_id=new_id, **self.arguments())
        plan.add_activity(by=by, at=at, activity=activity)


class ActivityChange(Changes):
    """The body of `ChangeActivity`."""

    title: Name | msgspec.UnsetType = msgspec.UNSET
    description: Text | msgspec.UnsetType = msgspec.UNSET
    responsible_participant_id: UUID | msgspec.UnsetType = msgspec.UNSET
    due_on: date | msgspec.UnsetType | None = msgspec.UNSET
    goal_id: UUID | msgspec.UnsetType | None = msgspec.UNSET
    status: ActivityStatus | msgspec.UnsetType = msgspec.UNSET


class ChangeActivity(ActivityChange, kw_only=True):
    """Fields left out keep their value; status "completed" completes it (dated today).

    Every change in one command is saved together, or none is.
    """

    activity_id: UUID
    address: ClassVar[str] = "activity_id"

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        new = replace(plan.activity(self.activity_id), **self.changes())
        plan.revise_activity(by=by, at=at, activity=new)


class CompleteActivity(PlanCommand):
    activity_id: UUID
    calls = Plan.complete_activity


# ------------------------------------------------------- minutes and talk


class RecordMinutes(PlanCommand):
    met_on: date
    attendee_ids: Ids
    notes: RequiredText
    decisions: Text = ""
    creates: ClassVar[bool] = True

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        attendees = tuple(self.attendee_ids)  # a list as decoded; the value holds a tuple
        minutes = Minutes(minutes_id=new_id, **(self.arguments() | {"attendee_ids": attendees}))
        plan.record_minutes(by=by, at=at, minutes=minutes)


class PostComment(PlanCommand):
    """On a goal, activity or minutes; reading that section is enough."""

    on: CommentOn
    text: RequiredText
    creates: ClassVar[bool] = True

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        plan.post_comment(
            by=by, at=at, comment_id=new_id, on_kind=self.on.kind, on_id=self.on.id, text=self.text
        )


class SendMessage(PlanCommand):
    """To the listed participants, or to everyone else in the group ("all")."""

    to: Recipients | Literal["all"]
    subject: Name
    body: RequiredText
    creates: ClassVar[bool] = True

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        plan.send_message(
            by=by,
            at=at,
            message_id=new_id,
            recipient_ids=None if self.to == "all" else tuple(self.to),
            subject=self.subject,
            body=self.body,
        )


class AddCalendarEntry(PlanCommand):
    title: Name
    starts_at: Instant
    ends_at: Instant
    location: Text = ""
    creates: ClassVar[bool] = True

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        entry = CalendarEntry(entry_id=new_id, **self.arguments())
        plan.add_calendar_entry(by=by, at=at, entry=entry)


# -------------------------------------------------------------- lifecycle


class ClosePlan(PlanCommand):
    """Closed: every further content write is refused until it is reopened."""

    ended_on: date
    reason: Text = ""
    calls = Plan.close
    step_up = True


class ReopenPlan(PlanCommand):
    reason: Text = ""
    calls = Plan.reopen


class ChangePlanDetails(Changes):
    """The plan's short name, period, BTI level or review date corrected (decision 0051):
    a field left out keeps its value, null clears the end date, level or review date.
    No step-up: it grants no rights and ends nothing."""

    short_name: Name | Unset = msgspec.UNSET
    start_date: date | Unset = msgspec.UNSET
    end_date: date | Unset | None = msgspec.UNSET
    level: Level | Unset | None = msgspec.UNSET
    review_on: date | Unset | None = msgspec.UNSET

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        plan.change_details(by=by, at=at, **self.changes())  # those left out: KEEP


class RecordArchive(PlanCommand):
    """Note that a sealed record was made (`digest`); not a route, the archive's own.

    The archive service names the record (`archive_id`) before it is built, since the
    record holds its own id; without one, `handle` makes one."""

    digest: str
    archive_id: UUID | None = None
    creates: ClassVar[bool] = True

    def chosen_id(self) -> UUID | None:
        return self.archive_id

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        plan.record_archive(by=by, at=at, archive_id=new_id, digest=self.digest)
