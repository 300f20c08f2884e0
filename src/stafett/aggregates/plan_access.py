"""Who may act on a plan, and the items they act on: the queries every command starts with.

`PlanAccess` is mixed into the Plan aggregate (`plan.py`); it reads only `state` and
turns a refusal of the policy table (`policy.py`) into the domain error for it.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from stafett.aggregates.errors import (
    ConflictingValueError,
    ConsentNotValidError,
    NotAParticipantError,
    NotFoundError,
    NotPermittedError,
    PlanClosedError,
    Refusal,
)
from stafett.aggregates.plan_events import PlanEvent
from stafett.aggregates.plan_state import PlanState
from stafett.aggregates.policy import Action, Denial
from stafett.aggregates.values import (
    Activity,
    Goal,
    Participant,
    Section,
    local_date,
    require_aware,
)


class PlanAccess:
    """The lookups and the policy check of a plan, over its `state`."""

    state: PlanState

    def _trigger(
        self, event_class: type[PlanEvent], at: datetime, by: Participant, **kw: Any
    ) -> None:
        """Record that `by` did this at `at`: the aggregate (`Plan`) supplies it."""
        raise NotImplementedError

    def actor(self, person_id: UUID) -> Participant:
        participant = self.state.participant_of(person_id)
        if participant is None:
            raise NotAParticipantError("the person is not in this plan group")
        return participant

    def is_coordinator(self, person_id: UUID) -> bool:
        participant = self.state.participant_of(person_id)
        return participant is not None and (participant.participant_id == self.state.coordinator_id)

    def permitted(
        self,
        person_id: UUID,
        action: Action,
        *,
        at: datetime | None = None,
        section: Section | None = None,
        owner_of_age: bool | None = None,
    ) -> Participant:
        """The acting participant, if the policy table allows the action at `at`.

        Else the refusal as a domain error. Without `at`, consent is not asked (the
        actions that need it always come with their instant). `owner_of_age`: whether the
        owner has reached the consent age then (None: not known; decision 0055).
        """
        participant = self.state.participant_of(person_id)
        if at is not None:
            require_aware("at", at)
        consent_valid = at is None or self.state.consent.is_valid_on(local_date(at))
        decision = self.state.decision(
            participant,
            action,
            consent_valid=consent_valid,
            section=section,
            owner_of_age=owner_of_age,
        )
        if decision.denial is not None or participant is None:
            raise _refusal(decision.denial, action, section)
        return participant

    def _coordinator(self, person_id: UUID) -> Participant:
        return self.permitted(person_id, Action.RECORD_ARCHIVE)

    def _managing(self, person_id: UUID) -> Participant:
        return self.permitted(person_id, Action.MANAGE)

    def _writer(self, person_id: UUID, section: Section, at: datetime) -> Participant:
        return self.permitted(person_id, Action.WRITE_SECTION, at=at, section=section)

    def member(self, participant_id: UUID) -> Participant:
        """An active participant of this plan, or NotFoundError."""
        return self._participant(participant_id, "participant_id")

    def _participant(self, participant_id: UUID, field_name: str) -> Participant:
        participant = self.state.participants.get(participant_id)
        if participant is None or not participant.active:
            raise NotFoundError(f"{field_name}: no such participant in this plan")
        return participant

    def _addressee(
        self, participant_id: UUID, field_name: str, section: Section, at: datetime
    ) -> Participant:
        """An active participant who may read `section` at `at`: the only ones an item
        of that section can be addressed to (a message's recipient, an activity's
        responsible); anyone else would never see it."""
        participant = self._participant(participant_id, field_name)
        consent_valid = self.state.consent.is_valid_on(local_date(at))
        if not self.state.reads(participant, section, consent_valid=consent_valid):
            raise ConflictingValueError(
                field_name, f"the participant may not read {section.value}", Refusal.CANNOT_READ
            )
        return participant

    def goal(self, goal_id: UUID) -> Goal:
        goal = self.state.goals.get(goal_id)
        if goal is None:
            raise NotFoundError("no such goal in this plan")
        return goal

    def activity(self, activity_id: UUID) -> Activity:
        activity = self.state.activities.get(activity_id)
        if activity is None:
            raise NotFoundError("no such activity in this plan")
        return activity


def _refusal(denial: Denial | None, action: Action, section: Section | None) -> Exception:
    """The domain error for a refusal of the policy table."""
    where = f" to {section.value}" if section is not None else ""
    messages: dict[Denial | None, Exception] = {
        None: NotAParticipantError("the person is not in this plan group"),
        Denial.NOT_FOUND: NotAParticipantError("the person is not in this plan group"),
        Denial.NOT_PERMITTED: NotPermittedError(f"not permitted: {action.value}{where}"),
        Denial.CONSENT: ConsentNotValidError("content needs valid consent"),
        Denial.CLOSED: PlanClosedError("the plan is closed"),
        Denial.NOT_CLOSED: ConflictingValueError("status", "only a closed plan can be reopened"),
    }
    return messages[denial]
