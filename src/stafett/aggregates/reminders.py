"""Reminders the clock gives: which a plan has coming, and who is told when one is due.

Decision 0022. Two pure rules, on the plan's state:

- `reminders_of(plan_id, state, of_age=)`: the reminders the plan has coming, each with the
  municipal dates it is due from and until. An open plan under active consent has
  two about its expiry (`CONSENT_EXPIRES_30`: from 30 days before to 8 days before;
  `CONSENT_EXPIRES_7`: from 7 days before to the last day); each activity with a due
  date that is neither completed nor cancelled, and whose responsible participant is
  in the plan group, has one from the day after its due date (`ACTIVITY_OVERDUE`); a
  plan with a review date (decision 0051) has one from 7 days before it to the day
  itself (`REVIEW_DUE`); an offer of the baton not answered within a week, from then on
  while it is pending (`BATON_OFFER_WAITING`, decision 0053); and one from the day the
  owner reaches the consent age (`of_age`, read from the directory by the caller: the
  plan's state has no birth date) while a consent given before that day is in force
  (`OWNER_CAME_OF_AGE`, decision 0056).
  A reminder's id is derived from the plan, its kind, what it is about and the date
  it is about, so it is the same however often it is worked out: a new expiry or due
  date is a new reminder, the same one is not reminded of again.
- `reminder_notices(state, reminder, today, of_age=)`: who is told when it is due, asked
  of the policy table as for every notice: the consent's to the coordinator if they may
  manage the plan, and so the review's and the coming of age's; the offer's to the
  provider offered the baton if they may still answer it; the activity's to its
  responsible participant if they may read activities that day (a provider whose consent
  has run out may not). By the channels they chose: for an activity, those of "a new
  goal or activity"; for the consent, which no kind of change is about, every channel the
  coordinator chose for some kind, or e-mail when they chose none (renewing consent is
  their duty).
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from stafett.aggregates import plan_events as events
from stafett.aggregates.notices import Notice, notices_to
from stafett.aggregates.plan_state import PlanState
from stafett.aggregates.policy import Action
from stafett.aggregates.values import (
    NO_NOTIFICATIONS,
    ActivityStatus,
    ConsentStatus,
    NoticeKind,
    Participant,
    PlanStatus,
    ReminderKind,
    Section,
    local_date,
)

REMINDER_NAMESPACE = UUID("0d9a6a1e-4f3b-4c5e-9b7a-2e6f1c8d0a22")
CONSENT_WINDOWS: dict[ReminderKind, tuple[int, int]] = {
    ReminderKind.CONSENT_EXPIRES_30: (30, 8),  # due from 30 days before to 8 days before
    ReminderKind.CONSENT_EXPIRES_7: (7, 0),  # from 7 days before to the last valid day
}
REVIEW_NOTICE_DAYS = 7  # the review's reminder: due from this many days before to the day
BATON_OFFER_WAITS_DAYS = 7  # an offer unanswered this many days is reminded of
FINISHED = (ActivityStatus.COMPLETED, ActivityStatus.CANCELLED)

REMINDER_EVENT_TYPES: tuple[type[events.PlanEvent], ...] = (
    events.ConsentRenewed,
    events.ConsentReset,
    events.ConsentWithdrawn,
    events.ActivityAdded,
    events.ActivityChanged,
    events.ActivityCompleted,
    events.ParticipantRemoved,
    events.Closed,
    events.Reopened,
    events.PlanDetailsChanged,
    events.BatonOffered,
    events.BatonOfferEnded,
    events.CoordinatorHandedOver,
)
"""The plan events after its creation that may change what a plan has coming."""


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder a plan has coming: due from `fire_on` to `last_on` (None: no end)."""

    plan_id: UUID
    kind: ReminderKind
    subject_id: UUID  # the plan (its consent or review), the activity, or the one offered
    # the consent's expiry, the activity's due date, the review date, or the offer's day
    about_on: date
    fire_on: date
    last_on: date | None

    @property
    def reminder_id(self) -> UUID:
        key = f"{self.plan_id}:{self.kind.value}:{self.subject_id}:{self.about_on.isoformat()}"
        return uuid.uuid5(REMINDER_NAMESPACE, key)


def reminders_of(plan_id: UUID, state: PlanState, *, of_age: date | None) -> list[Reminder]:
    """The reminders the plan has coming in this state (none while it is closed);
    `of_age`: the day its owner reaches the consent age (None: not known)."""
    if state.status is not PlanStatus.OPEN:
        return []
    found: list[Reminder] = []
    consent = state.consent
    if consent.status is ConsentStatus.ACTIVE:
        expires = consent.expires_on
        for kind, (first, last) in CONSENT_WINDOWS.items():
            found.append(
                Reminder(
                    plan_id,
                    kind,
                    plan_id,
                    expires,
                    expires - timedelta(days=first),
                    expires - timedelta(days=last),
                )
            )
        if of_age is not None and consent.given_on < of_age <= expires:
            # No last day: a reminder's stored dates stay those of its first schedule,
            # and the consent's expiry may move (renewed by the parents before the
            # birthday) while the reminder, about the birthday, stays the same one.
            kind = ReminderKind.OWNER_CAME_OF_AGE
            found.append(Reminder(plan_id, kind, plan_id, of_age, of_age, None))
    if state.review_on is not None:
        review = state.review_on
        week_before = review - timedelta(days=REVIEW_NOTICE_DAYS)
        kind = ReminderKind.REVIEW_DUE
        found.append(Reminder(plan_id, kind, plan_id, review, week_before, review))
    if state.baton_offered_to is not None and state.baton_offered_at is not None:
        offered_on = local_date(state.baton_offered_at)
        waited = offered_on + timedelta(days=BATON_OFFER_WAITS_DAYS)
        kind = ReminderKind.BATON_OFFER_WAITING
        found.append(Reminder(plan_id, kind, state.baton_offered_to, offered_on, waited, None))
    for activity in state.activities.values():
        responsible = state.participants.get(activity.responsible_participant_id)
        if activity.due_on is None or activity.status in FINISHED:
            continue
        if responsible is None or not responsible.active:
            continue
        found.append(
            Reminder(
                plan_id,
                ReminderKind.ACTIVITY_OVERDUE,
                activity.activity_id,
                activity.due_on,
                activity.due_on + timedelta(days=1),
                None,
            )
        )
    return found


def still_due(state: PlanState, reminder: Reminder, today: date, *, of_age: date | None) -> bool:
    """Whether the plan, as it now is, still has `reminder` coming and it is due today."""
    if reminder not in reminders_of(reminder.plan_id, state, of_age=of_age):
        return False
    return reminder.fire_on <= today and (reminder.last_on is None or today <= reminder.last_on)


def reminder_notices(
    state: PlanState, reminder: Reminder, today: date, *, of_age: date | None
) -> list[Notice]:
    """The notices `reminder` gives when it is due `today`, `state` being the plan now
    (`of_age`: the day its owner reaches the consent age, as the directory says now)."""
    if not still_due(state, reminder, today, of_age=of_age):
        return []
    if reminder.kind is ReminderKind.ACTIVITY_OVERDUE:
        activity = state.activities[reminder.subject_id]
        participant = state.participants[activity.responsible_participant_id]
        if not _may(state, participant, Action.READ_SECTION, Section.ACTIVITIES, today):
            return []
        choices = state.notifications.get(participant.participant_id, NO_NOTIFICATIONS)
        channels = choices.channels(NoticeKind.NEW_GOAL_OR_ACTIVITY)
    elif reminder.kind is ReminderKind.BATON_OFFER_WAITING:
        participant = state.participants[reminder.subject_id]
        if not _may(state, participant, Action.ANSWER_BATON_OFFER, None, today):
            return []
        choices = state.notifications.get(participant.participant_id, NO_NOTIFICATIONS)
        channels = choices.unchosen_channels()  # as the offer itself
    else:
        found = state.participants.get(state.coordinator_id)
        if found is None or not _may(state, found, Action.MANAGE, None, today):
            return []
        participant = found
        choices = state.notifications.get(participant.participant_id, NO_NOTIFICATIONS)
        channels = choices.unchosen_channels()
    return list(notices_to(participant, reminder.kind, channels, digest=choices.email_digest))


def _may(
    state: PlanState, participant: Participant, action: Action, section: Section | None, day: date
) -> bool:
    consent_valid = state.consent.is_valid_on(day)
    return state.decision(participant, action, consent_valid=consent_valid, section=section).allowed
