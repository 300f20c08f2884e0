"""The Plan aggregate's content commands: goals, activities, minutes, comments,
messages and calendar entries, each written under valid consent and its section's rights.

`PlanContent` is mixed into the Plan aggregate (`plan.py`), which records the events.
"""

from dataclasses import replace
from datetime import date, datetime
from typing import Any, TypedDict, Unpack
from uuid import UUID

from stafett.aggregates.errors import (
    ConflictingValueError,
    DuplicateError,
    NotFoundError,
    Refusal,
    ValidationError,
)
from stafett.aggregates.plan_access import PlanAccess
from stafett.aggregates.plan_events import (
    ActivityAdded,
    ActivityChanged,
    ActivityCompleted,
    CalendarEntryAdded,
    CommentPosted,
    GoalEvaluated,
    GoalRevised,
    GoalSet,
    MessageSent,
    MinutesRecorded,
)
from stafett.aggregates.policy import Action
from stafett.aggregates.values import (
    Activity,
    ActivityStatus,
    CalendarEntry,
    Comment,
    CommentTarget,
    Evaluation,
    GoalStatus,
    Message,
    Minutes,
    Section,
    clean_name,
    clean_text,
    local_date,
    require_aware,
)

COMMENT_SECTION = {
    CommentTarget.GOAL: Section.GOALS,
    CommentTarget.ACTIVITY: Section.ACTIVITIES,
    CommentTarget.MINUTES: Section.MINUTES,
}


class GoalFields(TypedDict):
    """A goal as it is set or revised: the fields `GoalSet` and `GoalRevised` carry."""

    goal_id: UUID
    title: str
    description: str
    due_on: date | None


class PlanContent(PlanAccess):
    """What the plan group writes into a plan (the commands of `Plan` for it)."""

    # ------------------------------------------------------------------- goals

    def set_goal(self, *, by: UUID, at: datetime, **goal: Unpack[GoalFields]) -> None:
        actor = self._writer(by, Section.GOALS, at)
        if goal["goal_id"] in self.state.goals:
            raise DuplicateError("goal id already used")
        self._trigger(GoalSet, at, actor, **_goal_fields(**goal))

    def revise_goal(self, *, by: UUID, at: datetime, **goal: Unpack[GoalFields]) -> None:
        actor = self._writer(by, Section.GOALS, at)
        self.goal(goal["goal_id"])
        self._trigger(GoalRevised, at, actor, **_goal_fields(**goal))

    def evaluate_goal(
        self, *, by: UUID, at: datetime, goal_id: UUID, status: GoalStatus, text: str
    ) -> None:
        actor = self._writer(by, Section.GOALS, at)
        self.goal(goal_id)
        evaluation = Evaluation(
            evaluated_on=local_date(at),
            status=status,
            text=clean_text("text", text, required=True),
            by_participant_id=actor.participant_id,
        )
        self._trigger(GoalEvaluated, at, actor, goal_id=goal_id, evaluation=evaluation)

    # -------------------------------------------------------------- activities

    def add_activity(self, *, by: UUID, at: datetime, activity: Activity) -> None:
        actor = self._writer(by, Section.ACTIVITIES, at)
        if activity.activity_id in self.state.activities:
            raise DuplicateError("activity id already used")
        if activity.status is ActivityStatus.COMPLETED:
            raise ValidationError("status", "complete an activity with its own command")
        checked = self._checked_activity(activity, at)
        self._trigger(ActivityAdded, at, actor, activity=checked)

    def change_activity(self, *, by: UUID, at: datetime, activity: Activity) -> None:
        actor = self._writer(by, Section.ACTIVITIES, at)
        old = self.activity(activity.activity_id)
        checked = self._checked_activity(activity, at, old)
        if checked.status is ActivityStatus.COMPLETED and old.status is not checked.status:
            raise ValidationError("status", "complete an activity with its own command")
        self._trigger(ActivityChanged, at, actor, activity=checked)

    def revise_activity(self, *, by: UUID, at: datetime, activity: Activity) -> None:
        """The activity as it should now be, from its fields: changed, completed, or both.

        A status that becomes completed completes it (dated today), with any other
        field changed first, in one save; an unchanged activity triggers nothing.
        """
        old = self.activity(activity.activity_id)
        done = ActivityStatus.COMPLETED
        if activity.status is done and old.status is not done:
            fields = replace(activity, status=old.status, completed_on=old.completed_on)
            if fields != old:
                self.change_activity(by=by, at=at, activity=fields)
            self.complete_activity(by=by, at=at, activity_id=activity.activity_id)
            return
        same_status = activity.status is old.status
        candidate = replace(activity, completed_on=old.completed_on if same_status else None)
        if candidate != old:
            self.change_activity(by=by, at=at, activity=candidate)

    def complete_activity(self, *, by: UUID, at: datetime, activity_id: UUID) -> None:
        actor = self._writer(by, Section.ACTIVITIES, at)
        if self.activity(activity_id).status is ActivityStatus.COMPLETED:
            raise DuplicateError("the activity is already completed")
        self._trigger(
            ActivityCompleted,
            at,
            actor,
            activity_id=activity_id,
            completed_on=local_date(at),
        )

    def _checked_activity(
        self, activity: Activity, at: datetime, old: Activity | None = None
    ) -> Activity:
        """The activity with its texts cleaned; a new responsible must be able to read
        the activities (one kept from before stays, whatever their rights now)."""
        responsible = activity.responsible_participant_id
        if old is None or responsible != old.responsible_participant_id:
            self._addressee(responsible, "responsible_participant_id", Section.ACTIVITIES, at)
        else:
            self._participant(responsible, "responsible_participant_id")
        if activity.goal_id is not None and activity.goal_id not in self.state.goals:
            raise NotFoundError("goal_id: no such goal in this plan")
        return replace(
            activity,
            title=clean_name("title", activity.title),
            description=clean_text("description", activity.description),
        )

    # ------------------------------------------------------ minutes and talk

    def record_minutes(self, *, by: UUID, at: datetime, minutes: Minutes) -> None:
        actor = self._writer(by, Section.MINUTES, at)
        if minutes.minutes_id in self.state.minutes:
            raise DuplicateError("minutes id already used")
        for attendee in minutes.attendee_ids:
            self._participant(attendee, "attendee_ids")
        checked = replace(
            minutes,
            attendee_ids=tuple(dict.fromkeys(minutes.attendee_ids)),
            notes=clean_text("notes", minutes.notes, required=True),
            decisions=clean_text("decisions", minutes.decisions),
        )
        self._trigger(MinutesRecorded, at, actor, minutes=checked)

    def post_comment(
        self,
        *,
        by: UUID,
        at: datetime,
        comment_id: UUID,
        on_kind: CommentTarget,
        on_id: UUID,
        text: str,
    ) -> None:
        """Comment on a goal, activity or minutes; reading its section is enough."""
        actor = self.permitted(by, Action.COMMENT, at=at, section=COMMENT_SECTION[on_kind])
        targets: dict[CommentTarget, dict[UUID, Any]] = {
            CommentTarget.GOAL: self.state.goals,
            CommentTarget.ACTIVITY: self.state.activities,
            CommentTarget.MINUTES: self.state.minutes,
        }
        if on_id not in targets[on_kind]:
            raise NotFoundError(f"on: no such {on_kind.value} in this plan")
        comment = Comment(
            comment_id=comment_id,
            on_kind=on_kind,
            on_id=on_id,
            text=clean_text("text", text, required=True),
            author_participant_id=actor.participant_id,
            posted_at=at,
        )
        self._trigger(CommentPosted, at, actor, comment=comment)

    def send_message(
        self,
        *,
        by: UUID,
        at: datetime,
        message_id: UUID,
        recipient_ids: tuple[UUID, ...] | None,
        subject: str,
        body: str,
    ) -> None:
        """Send to the listed participants, or when None to every other participant who
        may read the messages; each listed one must be able to read them."""
        actor = self._writer(by, Section.MESSAGES, at)
        if recipient_ids is None:
            consent_valid = self.state.consent.is_valid_on(local_date(at))
            recipients = tuple(
                p.participant_id
                for p in self.state.active_participants()
                if p.participant_id != actor.participant_id
                and self.state.reads(p, Section.MESSAGES, consent_valid=consent_valid)
            )
        else:
            recipients = tuple(r for r in dict.fromkeys(recipient_ids) if r != actor.participant_id)
            for recipient in recipients:
                self._addressee(recipient, "to", Section.MESSAGES, at)
        if not recipients:  # only oneself, or alone in the group: a matter of who is there
            raise ConflictingValueError(
                "to", "must name at least one other participant", Refusal.NO_RECIPIENT
            )
        message = Message(
            message_id=message_id,
            sender_participant_id=actor.participant_id,
            recipient_ids=recipients,
            subject=clean_name("subject", subject),
            body=clean_text("body", body, required=True),
            sent_at=at,
        )
        self._trigger(MessageSent, at, actor, message=message)

    def add_calendar_entry(self, *, by: UUID, at: datetime, entry: CalendarEntry) -> None:
        actor = self._writer(by, Section.ACTIVITIES, at)
        if entry.entry_id in self.state.calendar:
            raise DuplicateError("calendar entry id already used")
        require_aware("starts_at", entry.starts_at)
        require_aware("ends_at", entry.ends_at)
        if entry.ends_at <= entry.starts_at:
            raise ValidationError("ends_at", "must be after starts_at", Refusal.ENDS_BEFORE_START)
        checked = replace(
            entry,
            title=clean_name("title", entry.title),
            location=clean_text("location", entry.location),
        )
        self._trigger(CalendarEntryAdded, at, actor, entry=checked)


def _goal_fields(
    goal_id: UUID, title: str, description: str, due_on: date | None
) -> dict[str, Any]:
    """A goal's fields as its events carry them, the text cleaned."""
    return {
        "goal_id": goal_id,
        "title": clean_name("title", title),
        "description": clean_text("description", description),
        "due_on": due_on,
    }
