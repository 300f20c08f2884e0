"""Time travel: a plan as it stood at a version or an instant, whole or as one participant saw it.

Both are rebuilt from the event store (the time index gives the version at an
instant; snapshots keep the load short), never from a projection.

- `plan_as_of`: the whole plan at a version or instant (`PlanView`); who may read it
  and which of its messages they get is the policy table's (`READ_HISTORY`,
  `EVERY_MESSAGE_IN_HISTORY`, applied by `messages_for`, and to the view below by
  `messages_seen_for`: a coordinator asking what the mother could see does not read
  the mother's messages to the school that way).
- `plan_as_participant`: the plan as one participant could see it at an instant
  ("what did the school know on 3 March?"). It is the live permitted view
  (`permitted.permitted_view`, the same builder and so the same policy table) run on
  the plan's state at that instant, with the reader's standing, rights and the
  consent in force then, and consent validity taken on that instant's municipal
  date. Nothing about it is written twice. A participant who was not in the plan
  group then (never yet added, or removed) has no view: `NotInGroupThenError`, a
  422 naming `as_participant`. One who was, but whom the rules then kept out (a
  provider without valid consent), has a view that says so (`could_open` false,
  `refused`): "the school could see nothing" is an answer, not an error.

Names come from the person directory as it is now (it is not historised); contact
details, which are, are left out of a view of the past.
"""

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Literal, cast
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError

from stafett.aggregates.errors import (
    ConflictingValueError,
    ConsentNotValidError,
    NotAParticipantError,
    ValidationError,
)
from stafett.aggregates.plan import Plan
from stafett.aggregates.policy import EVERY_MESSAGE_IN_HISTORY, Standing
from stafett.aggregates.values import (
    Activity,
    Goal,
    Message,
    Participant,
    Role,
    Section,
    local_date,
)
from stafett.applications.permitted import (
    ERASED,
    EncodedParts,
    MemberOut,
    PlanOut,
    permitted_view,
)
from stafett.applications.recording import PlanRecording
from stafett.applications.results import PlanNotFoundError, PlanView
from stafett.persistence.directory import PersonDirectory
from stafett.persistence.recorders import TimeIndex


class NotInGroupThenError(ConflictingValueError):
    """The participant asked about was not in the plan group at that instant."""

    def __init__(self) -> None:
        super().__init__("as_participant", "was not in the plan group at that instant")


class SeenAsParticipant(msgspec.Struct, omit_defaults=True):
    """The plan as one participant could see it at an instant (`history?as_participant=`)."""

    as_of: datetime  # the instant asked about
    version: int  # the plan's version then
    participant_id: UUID
    person_id: UUID
    name: str
    role: Role  # in the plan then: owner, relative or provider
    is_coordinator: bool  # held the baton then
    could_open: bool  # whether the rules then let them open the plan at all
    refused: Literal["consent"] | msgspec.UnsetType = msgspec.UNSET  # why not, if not
    plan: PlanOut | msgspec.UnsetType = msgspec.UNSET  # their permitted view then
    # Their messages are cut to those the one asking may read in a history (`messages_for`).
    messages_limited: bool = False


def view_of(plan: Plan) -> PlanView:
    return PlanView.of(plan.id, plan.version, plan.created_on, plan.modified_on, plan.state)


def messages_for(view: PlanView, standing: Standing, person_id: UUID) -> PlanView:
    """The plan as it stood with the messages a history reader may read: every message for
    the standings the policy table names, else those the person sent or received."""
    if standing in EVERY_MESSAGE_IN_HISTORY:
        return view
    return replace(view, messages=_messages_of(person_id, view.participants, view.messages))


def messages_seen_for(
    seen: SeenAsParticipant, standing: Standing, person_id: UUID
) -> SeenAsParticipant:
    """The participant's view with the messages the one asking may read in a history: all
    of theirs for the standings the policy table names, else only those the asker was a
    member of the plan group then and sent or received (a message is for its sender and
    recipients, whoever asks what someone else could see)."""
    view = seen.plan
    if standing in EVERY_MESSAGE_IN_HISTORY or isinstance(view, msgspec.UnsetType):
        return seen
    if isinstance(view.messages, msgspec.UnsetType):
        return seen
    messages = view.messages
    if isinstance(messages, msgspec.Raw):  # kept encoded for the participant (permitted.py)
        messages = msgspec.json.decode(messages, type=tuple[Message, ...])
    kept = _messages_of(person_id, view.participants, messages)
    if len(kept) == len(messages):
        return seen
    cut = msgspec.structs.replace(view, messages=kept)
    return msgspec.structs.replace(seen, plan=cut, messages_limited=True)


def _messages_of(
    person_id: UUID, participants: Iterable[Participant | MemberOut], messages: Iterable[Message]
) -> tuple[Message, ...]:
    """The messages the person sent or received as a member of the plan group."""
    mine = {p.participant_id for p in participants if p.person_id == person_id}
    return tuple(m for m in messages if m.concerns(mine))


class PlanHistory(PlanRecording):
    """The history half of `PlanApplication` (plans.py), which sets these three."""

    time_index: TimeIndex
    directory: PersonDirectory
    encoded_parts: EncodedParts

    def plan_as_of(
        self, plan_id: UUID, *, version: int | None = None, at: datetime | None = None
    ) -> PlanView:
        """The plan as it stood at a version, or at an instant, or at the earlier of the
        two when both are given; with neither, as it is now."""
        return view_of(self._plan_at(plan_id, version=version, at=at))

    def items_changed_since(self, plan_id: UUID, version: int) -> frozenset[UUID]:
        """The goals and activities that the plan's events after `version` set or changed
        (`PlanEvent.changed_item`)."""
        events = cast(Iterable[Plan.Event], self.events.get(plan_id, gt=version))
        return frozenset(item for e in events if (item := e.changed_item) is not None)

    def item_as_of(
        self, plan_id: UUID, item_id: UUID, version: int, *, reader: UUID
    ) -> Goal | Activity | None:
        """The goal or activity `item_id` as it stood at `version`, for comparing a form
        with what it was opened on (`merging.three_way`); it is not shown to anyone. None
        if it was not there yet, and None unless `reader` could read it then (an active
        participant with the section's right, under the consent valid that day): the
        version is the form's, so a comparison must not tell anyone whether a guess
        matches what an item was when they could not see it."""
        plan = self._plan_at(plan_id, version=version)
        state = plan.state
        item: Goal | Activity | None = state.goals.get(item_id) or state.activities.get(item_id)
        section = Section.GOALS if isinstance(item, Goal) else Section.ACTIVITIES
        participant = state.participant_of(reader)
        consent_valid = state.consent.is_valid_on(local_date(plan.modified_on))
        if item is None or participant is None:
            return None
        if not state.reads(participant, section, consent_valid=consent_valid):
            return None
        return item

    def plan_as_participant(
        self, plan_id: UUID, participant_id: UUID, *, at: datetime, version: int | None = None
    ) -> SeenAsParticipant:
        """What the participant could see of the plan at `at` (see the module's text); with
        an earlier `version`, at the instant the plan reached that version."""
        plan = self._plan_at(plan_id, version=version, at=at)
        if version is not None and plan.version < (self.time_index.version_at(plan_id, at) or 0):
            at = plan.modified_on
        state = plan.state
        participant = state.participants.get(participant_id)
        if participant is None or not participant.active:
            raise NotInGroupThenError
        names = self._names([participant.person_id])
        seen = SeenAsParticipant(
            as_of=at,
            version=plan.version,
            participant_id=participant_id,
            person_id=participant.person_id,
            name=names.get(participant.person_id, ERASED),
            role=participant.role,
            is_coordinator=participant_id == state.coordinator_id,
            could_open=True,
        )
        try:
            seen.plan = permitted_view(
                plan.id,
                plan.version,
                plan.modified_on,
                state,
                participant.person_id,
                now=at,
                names=self._names,
                encoded=self.encoded_parts,
            )
        except ConsentNotValidError:
            seen.could_open = False
            seen.refused = "consent"
        except NotAParticipantError:  # an active participant always stands in the group
            raise NotInGroupThenError from None
        return seen

    def _names(self, person_ids: Iterable[UUID]) -> dict[UUID, str]:
        """Full names from the directory as it is now; an erased person is missing."""
        return {pid: p.full_name for pid, p in self.directory.get_many(person_ids).items()}

    def _plan_at(
        self, plan_id: UUID, *, version: int | None = None, at: datetime | None = None
    ) -> Plan:
        if at is not None:
            if at.tzinfo is None:
                raise ValidationError("as_of", "must include a time zone offset")
            reached = self.time_index.version_at(plan_id, at)
            if reached is None:
                raise PlanNotFoundError("the plan did not exist at that instant")
            version = reached if version is None else min(version, reached)
        if version is not None and version < 1:
            raise ValidationError("version", "must be at least 1")
        try:
            plan: object = self.repository.get(plan_id, version=version)
        except AggregateNotFoundError:
            raise PlanNotFoundError("no such plan") from None
        if not isinstance(plan, Plan):
            raise PlanNotFoundError("no such plan")
        if version is not None and plan.version < version:  # it may have them later
            raise ConflictingValueError("version", f"the plan has only {plan.version} versions")
        return plan
