"""Who is told of a plan event, and how: the one rule of notices (decision 0020).

`notices_for(state, event)` takes the plan's state just after the event (so the
participants, rights, coordinator and consent in force at the event's instant) and
answers one `Notice` per (participant, channel) that chose the event's kind of
change. Whether someone may be told is asked of the policy table, as if they read
what the notice is about at that instant:

- a new goal or activity: `read_section` on goals or activities;
- a new calendar entry: `read_section` on activities (calendar entries count as
  activities);
- a new comment: `read_section` on the section of what it comments on;
- a new message: only its recipients, with `read_section` on messages;
- a new participant: `open`;
- the baton (decision 0053): its offer, to the provider offered it, who must be able to
  answer offers (`answer_baton_offer`); its withdrawal, to that provider (`open`); its
  refusal, to the coordinator (`manage`); its acceptance, to the coordinator it passed
  from (`open`); a direct handover, to the new holder (`manage`).
  Nobody chooses these kinds: they go by every channel the recipient chose for some
  kind, or by e-mail when they chose none.

Nobody is told of their own change (the actor), and only active participants are
told: a removed participant is outside the plan; a provider whose consent is no
longer valid on the event's municipal date may read nothing. Pure: no I/O.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from stafett.aggregates.plan_content import COMMENT_SECTION
from stafett.aggregates.plan_events import (
    ActivityAdded,
    BatonOffered,
    BatonOfferEnded,
    CalendarEntryAdded,
    CommentPosted,
    CoordinatorHandedOver,
    GoalSet,
    MessageSent,
    ParticipantAdded,
    PlanEvent,
)
from stafett.aggregates.plan_state import PlanState
from stafett.aggregates.policy import Action
from stafett.aggregates.values import (
    NO_NOTIFICATIONS,
    DutyKind,
    NoticeChannel,
    NoticeKind,
    NotificationChoices,
    Participant,
    ReminderKind,
    Role,
    Section,
    local_date,
)


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice: to whom (participant and person), of what kind, by which channel;
    `held` for an e-mail to one who chose the hourly digest (decision 0022)."""

    participant_id: UUID
    person_id: UUID
    kind: NoticeKind | ReminderKind | DutyKind
    channel: NoticeChannel
    held: bool = False


@dataclass(frozen=True, slots=True)
class About:
    """What an event tells: its kind of change, the action and section a reader needs,
    and who may be told at all (None: every participant)."""

    kind: NoticeKind | DutyKind
    action: Action
    section: Section | None
    only: frozenset[UUID] | None = None


def _about(event: PlanEvent, state: PlanState) -> About | None:
    told = _TOLD.get(type(event))
    return None if told is None else told(event, state)


def _baton_offer_ended(event: BatonOfferEnded, state: PlanState) -> About:
    if event.declined:  # the coordinator who offered it hears the answer
        return About(
            DutyKind.BATON_OFFER_DECLINED, Action.MANAGE, None, _only(state.coordinator_id)
        )
    return About(DutyKind.BATON_OFFER_WITHDRAWN, Action.OPEN, None, _only(event.participant_id))


def _only(participant_id: UUID | None) -> frozenset[UUID]:
    return frozenset() if participant_id is None else frozenset({participant_id})


_TOLD: dict[type[PlanEvent], Callable[[Any, PlanState], About | None]] = {
    GoalSet: lambda e, s: About(
        NoticeKind.NEW_GOAL_OR_ACTIVITY, Action.READ_SECTION, Section.GOALS
    ),
    ActivityAdded: lambda e, s: About(
        NoticeKind.NEW_GOAL_OR_ACTIVITY, Action.READ_SECTION, Section.ACTIVITIES
    ),
    CalendarEntryAdded: lambda e, s: About(
        NoticeKind.NEW_CALENDAR_ENTRY, Action.READ_SECTION, Section.ACTIVITIES
    ),
    CommentPosted: lambda e, s: About(
        NoticeKind.NEW_COMMENT, Action.READ_SECTION, COMMENT_SECTION[e.comment.on_kind]
    ),
    MessageSent: lambda e, s: About(
        NoticeKind.NEW_MESSAGE,
        Action.READ_SECTION,
        Section.MESSAGES,
        frozenset(e.message.recipient_ids),
    ),
    ParticipantAdded: lambda e, s: About(NoticeKind.NEW_PARTICIPANT, Action.OPEN, None),
    BatonOffered: lambda e, s: About(
        DutyKind.BATON_OFFERED, Action.ANSWER_BATON_OFFER, None, _only(e.participant_id)
    ),
    BatonOfferEnded: _baton_offer_ended,
    CoordinatorHandedOver: lambda e, s: (
        About(DutyKind.BATON_HANDED_OVER, Action.MANAGE, None, _only(e.participant_id))
        if e.actor_role is Role.COORDINATOR  # handed over directly, else accepted
        else About(DutyKind.BATON_ACCEPTED, Action.OPEN, None, _only(s.baton_passed_from))
    ),
}

NOTICE_EVENT_TYPES: tuple[type[PlanEvent], ...] = tuple(_TOLD)
"""The events that may give notices; every other event gives none."""


def may_be_told(
    state: PlanState,
    participant: Participant,
    about: About,
    event: PlanEvent,
    *,
    consent_valid: bool,
) -> bool:
    """Whether the policy table lets `participant` read what `event` is about, then
    (`consent_valid` on the event's municipal date: the same for every participant)."""
    if participant.person_id == event.actor_id:
        return False
    if about.only is not None and participant.participant_id not in about.only:
        return False
    decision = state.decision(
        participant, about.action, consent_valid=consent_valid, section=about.section
    )
    return decision.allowed


def notices_for(state: PlanState, event: PlanEvent) -> list[Notice]:
    """The notices `event` gives, `state` being the plan just after it; sorted."""
    about = _about(event, state)
    if about is None:
        return []
    consent_valid = state.consent.is_valid_on(local_date(event.timestamp))
    found: list[Notice] = []
    for participant in state.participants.values():
        choices = state.notifications.get(participant.participant_id, NO_NOTIFICATIONS)
        channels = _channels(choices, about.kind)
        if channels and may_be_told(state, participant, about, event, consent_valid=consent_valid):
            found.extend(notices_to(participant, about.kind, channels, digest=choices.email_digest))
    # By the id's integer: the order of its text (fixed-width hex), without making the text.
    return sorted(found, key=lambda n: (n.participant_id.int, n.channel.value))


def _channels(
    choices: NotificationChoices, kind: NoticeKind | DutyKind
) -> tuple[NoticeChannel, ...]:
    """The channels chosen for `kind`; for a duty, which nobody chooses, every channel
    chosen for some kind, or e-mail."""
    if isinstance(kind, DutyKind):
        return choices.unchosen_channels()
    return choices.channels(kind)


def notices_to(
    participant: Participant,
    kind: NoticeKind | ReminderKind | DutyKind,
    channels: Iterable[NoticeChannel],
    *,
    digest: bool,
) -> Iterable[Notice]:
    """One notice by each channel; the e-mail held for the digest when it was chosen."""
    for channel in channels:
        held = digest and channel is NoticeChannel.EMAIL
        yield Notice(participant.participant_id, participant.person_id, kind, channel, held)
