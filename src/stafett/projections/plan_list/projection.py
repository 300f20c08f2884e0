"""The plan-list projection: each plan event told to the view by what it means.

One handler per kind of event calls one intent-named method of `PlanListView`
(`view.py`) with the event's values; which rows and columns change is the view's
business. An event the list does not know only advances the view's position.
"""

from typing import Any, ClassVar

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from stafett.aggregates.plan import CONTENT_EVENT_TYPES, Plan
from stafett.aggregates.values import Access, ConsentStatus, Role
from stafett.projections.plan_list.view import (
    PROJECTION_NAME,
    MemberRow,
    NewPlan,
    PlanListView,
    Stamp,
)


class PlanListProjection(Projection[PlanListView]):
    name = PROJECTION_NAME
    topics: ClassVar[tuple[str, ...]] = (  # type: ignore[misc]
        Plan.Created.TOPIC,
        *(
            cls.TOPIC
            for cls in vars(Plan).values()
            if isinstance(cls, type) and issubclass(cls, Plan.Event) and cls is not Plan.Event
        ),
    )

    def __init__(self, view: PlanListView) -> None:
        super().__init__(view)
        self.processed = 0

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """The one way in: the event's effect and its position, then the count."""
        self._project(domain_event, tracking)
        self.processed += 1

    @singledispatchmethod
    def _project(self, domain_event: Any, tracking: Tracking) -> None:
        """An event the list does not know: only its position is recorded."""
        self.view.insert_tracking(tracking)

    @_project.register
    def _created(self, event: Plan.Created, tracking: Tracking) -> None:
        plan = NewPlan(
            owner=MemberRow(
                event.owner_participant_id, event.owner_person_id, Role.OWNER, False, Access.WRITE
            ),
            coordinator=MemberRow(
                event.coordinator_participant_id,
                event.coordinator_person_id,
                Role.PROVIDER,
                True,
                Access.WRITE,
            ),
            plan_type=event.plan_type,
            short_name=event.short_name,
            start_date=event.start_date,
            end_date=event.end_date,
            consent=event.consent,
        )
        self.view.plan_created(_stamp(event), plan, tracking=tracking)

    @_project.register
    def _other(self, event: Plan.Event, tracking: Tracking) -> None:
        if isinstance(event, CONTENT_EVENT_TYPES):
            self.view.content_changed(_stamp(event), tracking=tracking)
        else:
            self.view.plan_touched(_stamp(event), tracking=tracking)

    @_project.register
    def _added(self, event: Plan.ParticipantAdded, tracking: Tracking) -> None:
        member = MemberRow(
            event.participant_id, event.person_id, event.role, False, event.rights.messages
        )
        self.view.participant_added(_stamp(event), member, tracking=tracking)

    @_project.register
    def _rights(self, event: Plan.RightsChanged, tracking: Tracking) -> None:
        messages = event.rights.messages
        self.view.rights_changed(_stamp(event), event.participant_id, messages, tracking=tracking)

    @_project.register
    def _removed(self, event: Plan.ParticipantRemoved, tracking: Tracking) -> None:
        self.view.participant_removed(_stamp(event), event.participant_id, tracking=tracking)

    @_project.register
    def _handed_over(self, event: Plan.CoordinatorHandedOver, tracking: Tracking) -> None:
        self.view.coordinator_handed_over(_stamp(event), event.participant_id, tracking=tracking)

    @_project.register
    def _renewed(self, event: Plan.ConsentRenewed, tracking: Tracking) -> None:
        self.view.consent_renewed(_stamp(event), event.consent, tracking=tracking)

    @_project.register
    def _reset(self, event: Plan.ConsentReset, tracking: Tracking) -> None:
        self.view.consent_ended(_stamp(event), ConsentStatus.RESET, tracking=tracking)

    @_project.register
    def _withdrawn(self, event: Plan.ConsentWithdrawn, tracking: Tracking) -> None:
        self.view.consent_ended(_stamp(event), ConsentStatus.WITHDRAWN, tracking=tracking)

    @_project.register
    def _message(self, event: Plan.MessageSent, tracking: Tracking) -> None:
        recipients = event.message.recipient_ids
        self.view.message_sent(_stamp(event), recipients, tracking=tracking)

    @_project.register
    def _closed(self, event: Plan.Closed, tracking: Tracking) -> None:
        self.view.plan_closed(_stamp(event), event.ended_on, tracking=tracking)

    @_project.register
    def _reopened(self, event: Plan.Reopened, tracking: Tracking) -> None:
        self.view.plan_reopened(_stamp(event), event.end_date, tracking=tracking)

    @_project.register
    def _archived(self, event: Plan.Archived, tracking: Tracking) -> None:
        self.view.archive_recorded(_stamp(event), event.archive.archived_at, tracking=tracking)


def _stamp(event: Plan.Event | Plan.Created) -> Stamp:
    return Stamp(event.originator_id, event.originator_version, event.timestamp)
