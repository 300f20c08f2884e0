"""The baton offered and accepted (decision 0052): the BTI model's rule that the
baton-holder keeps the baton until a new holder has accepted it.

`PlanBaton` is mixed into the Plan aggregate (`plan.py`). The coordinator offers the
baton to an active provider of the group (`BatonOffered`) and keeps every right of the
role until that provider accepts (`CoordinatorHandedOver`, the acceptor its actor);
the coordinator may withdraw the offer and the provider decline it (`BatonOfferEnded`).
An offer that can no longer be taken up ends where its cause is applied: a direct
handover, the offered participant's removal and the plan's closing each clear it.
"""

from datetime import datetime
from uuid import UUID

from stafett.aggregates.errors import ConflictingValueError
from stafett.aggregates.plan_access import PlanAccess
from stafett.aggregates.plan_events import BatonOffered, BatonOfferEnded, CoordinatorHandedOver
from stafett.aggregates.policy import Action
from stafett.aggregates.values import Participant, Role


class PlanBaton(PlanAccess):
    """The commands on the baton besides the direct handover (`Plan.hand_over_coordinator`)."""

    def baton_target(self, participant_id: UUID) -> Participant:
        """A participant the baton may pass to: an active provider of the group who does
        not hold it. Refused for what is stored (the role, the holder), not for the value
        alone: 409."""
        target = self.member(participant_id)
        if target.role is not Role.PROVIDER:
            raise ConflictingValueError("participant_id", "the baton can only pass to a provider")
        if participant_id == self.state.coordinator_id:
            raise ConflictingValueError("participant_id", "already holds the baton")
        return target

    def offer_baton(self, *, by: UUID, at: datetime, participant_id: UUID) -> None:
        """Offer the baton; one offer at a time, so a pending one is withdrawn first."""
        actor = self._managing(by)
        self.baton_target(participant_id)
        if self.state.baton_offered_to is not None:
            raise ConflictingValueError(
                "participant_id", "the baton is already offered: withdraw that offer first"
            )
        self._trigger(BatonOffered, at, actor, participant_id=participant_id)

    def accept_baton(self, *, by: UUID, at: datetime) -> None:
        """The participant offered the baton takes it: they become the coordinator."""
        actor = self._answering(by, at)
        self.baton_target(actor.participant_id)  # still a provider the baton may pass to
        self._trigger(CoordinatorHandedOver, at, actor, participant_id=actor.participant_id)

    def end_baton_offer(self, *, by: UUID, at: datetime) -> None:
        """The coordinator withdraws the offer, or the participant offered declines it."""
        participant = self.state.participant_of(by)
        if participant is not None and participant.participant_id == self.state.coordinator_id:
            actor, declined = self._managing(by), False
        else:
            actor, declined = self._answering(by, at), True
        offered = self.state.baton_offered_to
        if offered is None:
            raise ConflictingValueError("participant_id", "the baton is not offered to anyone")
        self._trigger(BatonOfferEnded, at, actor, participant_id=offered, declined=declined)

    def _answering(self, by: UUID, at: datetime) -> Participant:
        """The participant answering an offer, if the policy table lets them
        (`answer_baton_offer`) and the baton is offered to them; anyone else in the
        group who may answer offers is refused for what is stored (409)."""
        actor = self.permitted(by, Action.ANSWER_BATON_OFFER, at=at)
        if self.state.baton_offered_to != actor.participant_id:
            raise ConflictingValueError("participant_id", "the baton is not offered to you")
        return actor
