"""The plan-list projection: each plan event told to the view by what it means.

Each kind of event calls one intent-named method of `PlanListView` (`view.py`)
with the event's values: a handler of its own where it needs more than one value,
else a row of `TOLD`; which rows and columns change is the view's business. An
event the list does not know only advances the view's position.

An event is told with the part of the plan it changes, so the list can say "changed
since your last visit" to those who may read that part only (decision 0050): a content
section (`content_changed`: its part's section, `PART_SECTION`; a comment's is its
item's), what everyone who may open the plan reads (`shared_changed`, and the methods
of changes to the plan group, consent, status and archive), a message (its sender and
recipients), or one participant's rights or notice choices. `STAMPED_PART` names the
part of each event known by its stamp alone; an event of a kind no table here names
changes no reader's "changed" (`plan_touched`), and a test keeps the tables whole.

Catching up, the runner hands it many events inside one `batch()` (one transaction
for all of them and the last one's position, decision 0027) and asks it to `decode`
each stored event first: an event that only says when the plan last changed (and in
which part) is read as its `EventHead` (`projections/heads.py`), and so are a message
(its head carries its sender and recipients) and a comment (the section of its item);
the rest are decoded whole by the application's mapper.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from operator import attrgetter
from typing import Any, ClassVar

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Mapper, Notification, Tracking
from eventsourcing.projection import Projection

from stafett.aggregates.plan import COMMENT_SECTION, Plan
from stafett.aggregates.policy import PART_SECTION
from stafett.aggregates.values import FULL_RIGHTS, ConsentStatus, Rights, Role
from stafett.projections.heads import (
    TOLD_IN_HEAD,
    Addressed,
    EventHead,
    event_class,
    head_of,
    plain_json,
)
from stafett.projections.plan_list.view import (
    PROJECTION_NAME,
    ListedDetails,
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
        # Bound once: the dispatcher makes a new wrapper on every attribute access.
        self._dispatch = self._project

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """The one way in: the event's effect and its position, then the count."""
        self._dispatch(domain_event, tracking)
        self.processed += 1

    def decode(self, notification: Notification, mapper: Mapper[Any]) -> Any:
        """The stored event as `process_event` needs it: its head when the list needs
        no more of it, else the whole event."""
        cls = event_class(notification)
        if plain_json(mapper) and _head_is_enough(cls):
            head = head_of(notification, cls)
            if head is not None:
                return head
        return mapper.to_domain_event(notification)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """The events processed inside take effect together, with the last one's
        position, when the block ends; none of them if it raises (nor in the count)."""
        counted = self.processed
        try:
            with self.view.batch():
                yield
        except BaseException:
            self.processed = counted
            raise

    @singledispatchmethod
    def _project(self, domain_event: Any, tracking: Tracking) -> None:
        """An event the list does not know: only its position is recorded."""
        self.view.insert_tracking(tracking)

    @_project.register
    def _created(self, event: Plan.Created, tracking: Tracking) -> None:
        plan = NewPlan(
            owner=MemberRow(
                event.owner_participant_id, event.owner_person_id, Role.OWNER, False, Rights()
            ),
            coordinator=MemberRow(
                event.coordinator_participant_id,
                event.coordinator_person_id,
                Role.PROVIDER,
                True,
                FULL_RIGHTS,
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
        else:
            self._changed(type(event), _stamp(event), tracking)

    @_project.register
    def _head(self, head: EventHead, tracking: Tracking) -> None:
        stamp = Stamp(head.originator_id, head.originator_version, head.timestamp)
        if head.cls in TOLD_IN_HEAD:  # its one value came with the head: told as `_other` does
            method, _ = TOLD[head.cls]
            getattr(self.view, method.__name__)(stamp, head.told, tracking=tracking)
        else:
            self._changed(head.cls, stamp, tracking)

    def _changed(self, cls: type, stamp: Stamp, tracking: Tracking) -> None:
        """An event the list knows only by when it happened, and in which part."""
        part = STAMPED_PART.get(cls)
        section = None if part is None else PART_SECTION.get(part)
        if section is not None:
            self.view.content_changed(stamp, section, tracking=tracking)
        elif part is not None:
            self.view.shared_changed(stamp, tracking=tracking)
        else:  # a kind no table names: nobody is told of it (a test keeps the tables whole)
            self.view.plan_touched(stamp, tracking=tracking)

    @_project.register
    def _added(self, event: Plan.ParticipantAdded, tracking: Tracking) -> None:
        member = MemberRow(event.participant_id, event.person_id, event.role, False, event.rights)
        self.view.participant_added(_stamp(event), member, tracking=tracking)

    @_project.register
    def _role(self, event: Plan.RoleChanged, tracking: Tracking) -> None:
        self.view.role_changed(_stamp(event), event.participant_id, event.role, tracking=tracking)

    @_project.register
    def _rights(self, event: Plan.RightsChanged, tracking: Tracking) -> None:
        rights = event.rights
        self.view.rights_changed(_stamp(event), event.participant_id, rights, tracking=tracking)

    @_project.register
    def _details(self, event: Plan.PlanDetailsChanged, tracking: Tracking) -> None:
        """Those the list keeps follow; a level or review date changes only the overview."""
        changes = event.changes()
        details = ListedDetails(
            short_name=changes.get("short_name"),
            start_date=changes.get("start_date"),
            end_date=changes.get("end_date"),
            ends="end_date" in changes,
        )
        self.view.details_changed(_stamp(event), details, tracking=tracking)


View = PlanListView
# The events that tell the view one value: its method (called on the view by name, so
# the store's own implementation answers), and the event's value it is given.
TOLD: dict[type[Plan.Event], tuple[Callable[..., None], Callable[[Any], object]]] = {
    Plan.ParticipantRemoved: (View.participant_removed, attrgetter("participant_id")),
    Plan.CoordinatorHandedOver: (View.coordinator_handed_over, attrgetter("participant_id")),
    Plan.ConsentRenewed: (View.consent_renewed, attrgetter("consent")),
    Plan.ConsentReset: (View.consent_ended, lambda _: ConsentStatus.RESET),
    Plan.ConsentWithdrawn: (View.consent_ended, lambda _: ConsentStatus.WITHDRAWN),
    Plan.MessageSent: (
        View.message_sent,
        lambda e: Addressed(e.message.sender_participant_id, e.message.recipient_ids),
    ),
    Plan.CommentPosted: (View.content_changed, lambda e: COMMENT_SECTION[e.comment.on_kind]),
    Plan.NotificationsChosen: (View.notices_chosen, attrgetter("participant_id")),
    Plan.Closed: (View.plan_closed, attrgetter("ended_on")),
    Plan.Reopened: (View.plan_reopened, attrgetter("end_date")),
    Plan.Archived: (View.archive_recorded, attrgetter("archive.archived_at")),
}


# The part of the plan (as the permitted view names its parts) that each event known by
# its stamp alone changes: a content part is read by those who may read its section
# (`PART_SECTION`), the others by everyone who may open the plan.
STAMPED_PART: dict[type[Plan.Event], str] = {
    Plan.ParticipantChanged: "participants",  # a responsibility, which everyone sees
    Plan.ConsentChanged: "consent",
    # Who the baton is offered to, which everyone who opens the plan sees (decision 0052).
    Plan.BatonOffered: "overview",
    Plan.BatonOfferEnded: "overview",
    Plan.GoalSet: "goals",
    Plan.GoalRevised: "goals",
    Plan.GoalEvaluated: "goals",
    Plan.ActivityAdded: "activities",
    Plan.ActivityChanged: "activities",
    Plan.ActivityCompleted: "activities",
    Plan.CalendarEntryAdded: "calendar",
    Plan.MinutesRecorded: "minutes",
}


@cache
def _head_is_enough(cls: type) -> bool:
    """Whether events of `cls` reach `_other` and tell the view nothing but a stamp, or
    only the value their head carries."""
    dispatch = PlanListProjection.__dict__["_project"].dispatcher.dispatch
    return dispatch(cls) is PlanListProjection._other and (cls not in TOLD or cls in TOLD_IN_HEAD)


def _stamp(event: Plan.Event | Plan.Created) -> Stamp:
    return Stamp(event.originator_id, event.originator_version, event.timestamp)
