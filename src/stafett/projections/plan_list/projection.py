"""The plan-list projection: each plan event told to the view by what it means.

Each kind of event calls one intent-named method of `PlanListView` (`view.py`)
with the event's values: a handler of its own where it needs more than one value,
else a row of `TOLD`; which rows and columns change is the view's business. An
event the list does not know only advances the view's position.
"""

from collections.abc import Callable
from operator import attrgetter
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
        told = TOLD.get(type(event))
        if told is not None:
            method, value = told
            getattr(self.view, method.__name__)(_stamp(event), value(event), tracking=tracking)
        elif isinstance(event, CONTENT_EVENT_TYPES):
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


View = PlanListView
# The events that tell the view one value: its method (called on the view by name, so
# the store's own implementation answers), and the event's value it is given.
TOLD: dict[type[Plan.Event], tuple[Callable[..., None], Callable[[Any], object]]] = {
    Plan.ParticipantRemoved: (View.participant_removed, attrgetter("participant_id")),
    Plan.CoordinatorHandedOver: (View.coordinator_handed_over, attrgetter("participant_id")),
    Plan.ConsentRenewed: (View.consent_renewed, attrgetter("consent")),
    Plan.ConsentReset: (View.consent_ended, lambda _: ConsentStatus.RESET),
    Plan.ConsentWithdrawn: (View.consent_ended, lambda _: ConsentStatus.WITHDRAWN),
    Plan.MessageSent: (View.message_sent, attrgetter("message.recipient_ids")),
    Plan.Closed: (View.plan_closed, attrgetter("ended_on")),
    Plan.Reopened: (View.plan_reopened, attrgetter("end_date")),
    Plan.Archived: (View.archive_recorded, attrgetter("archive.archived_at")),
}


def _stamp(event: Plan.Event | Plan.Created) -> Stamp:
    return Stamp(event.originator_id, event.originator_version, event.timestamp)
