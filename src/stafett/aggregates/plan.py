"""The Plan aggregate: one collaboration around a child; its events are its history.

Commands (the public methods) check every rule and then trigger one event; the
events' `apply` methods only assign state, so a stream recorded under older
rules always replays. Every event names its actor (person id and role in the
plan) and carries the instant the command was given, which is also the
library's `timestamp`.

The aggregate is spread over modules of one concern each: its state
(`plan_state.py`), its events (`plan_events.py`), who may act and on what
(`plan_access.py`), the content commands (`plan_content.py`); here are the
commands on the plan group, consent and the plan's lifecycle. Everything other
modules use is importable from here.
"""

from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeAlias
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as BaseSnapshot
from eventsourcing.utils import get_topic

from stafett.aggregates import plan_events as events
from stafett.aggregates.errors import (
    ConflictingValueError,
    ConsentNotValidError,
    DuplicateError,
    Refusal,
    ValidationError,
)
from stafett.aggregates.plan_baton import PlanBaton
from stafett.aggregates.plan_checks import BTI_LEVELS, check_details, checked_consent
from stafett.aggregates.plan_content import COMMENT_SECTION, PlanContent
from stafett.aggregates.plan_events import (
    CONTENT_EVENT_TYPES,
    DETAIL_FIELDS,
    KEEP,
    TOPIC_PREFIX,
    Keep,
)
from stafett.aggregates.plan_state import PlanState
from stafett.aggregates.policy import Action
from stafett.aggregates.values import (
    FULL_RIGHTS,
    NO_NOTIFICATIONS,
    ArchiveRecord,
    Consent,
    ConsentStatus,
    NotificationChoices,
    Participant,
    PlanType,
    Rights,
    Role,
    clean_name,
    clean_text,
    local_date,
    require_aware,
)

__all__ = [
    "BTI_LEVELS",
    "COMMENT_SECTION",
    "CONTENT_EVENT_TYPES",
    "DETAIL_FIELDS",
    "KEEP",
    "Keep",
    "Plan",
    "PlanState",
]


class Plan(PlanBaton, PlanContent, Aggregate):
    """A stafettlogg (SL) or individuell plan (IP)."""

    TOPIC = TOPIC_PREFIX + "Plan"

    class Snapshot(BaseSnapshot):
        TOPIC = TOPIC_PREFIX + "Snapshot"

    class Created(Aggregate.Created):
        TOPIC = TOPIC_PREFIX + "PlanCreated"
        actor_id: UUID
        actor_role: Role
        plan_type: PlanType
        short_name: str
        owner_person_id: UUID
        owner_participant_id: UUID
        coordinator_person_id: UUID
        coordinator_participant_id: UUID
        start_date: date
        end_date: date | None
        consent: Consent
        # The BTI level and the review date (decision 0051); events stored before they
        # were carried read None, as the plan then had them.
        level: int | None = None
        review_on: date | None = None

        def apply(self, aggregate: Any) -> None:
            """The plan's first state: its owner and its coordinator are its group."""
            aggregate.state = PlanState(
                plan_type=self.plan_type,
                short_name=self.short_name,
                owner_person_id=self.owner_person_id,
                start_date=self.start_date,
                end_date=self.end_date,
                level=self.level,
                review_on=self.review_on,
                consent=self.consent,
                coordinator_id=self.coordinator_participant_id,
                participants={
                    self.owner_participant_id: Participant(
                        participant_id=self.owner_participant_id,
                        person_id=self.owner_person_id,
                        role=Role.OWNER,
                        responsibility="",
                        rights=Rights(),
                    ),
                    self.coordinator_participant_id: Participant(
                        participant_id=self.coordinator_participant_id,
                        person_id=self.coordinator_person_id,
                        role=Role.PROVIDER,
                        responsibility="",
                        rights=FULL_RIGHTS,
                    ),
                },
            )

    # The events (plan_events.py) are attributes of Plan too, as callers expect: aliases
    # for the type checker; at run time set after the class, from `PLAN_EVENTS`, since
    # annotated here each would become a field of the aggregate's dataclass.
    if TYPE_CHECKING:
        Event: TypeAlias = events.PlanEvent
        ParticipantAdded: TypeAlias = events.ParticipantAdded
        ParticipantChanged: TypeAlias = events.ParticipantChanged
        RightsChanged: TypeAlias = events.RightsChanged
        RoleChanged: TypeAlias = events.RoleChanged
        ParticipantRemoved: TypeAlias = events.ParticipantRemoved
        ConsentRenewed: TypeAlias = events.ConsentRenewed
        ConsentChanged: TypeAlias = events.ConsentChanged
        ConsentReset: TypeAlias = events.ConsentReset
        ConsentWithdrawn: TypeAlias = events.ConsentWithdrawn
        CoordinatorHandedOver: TypeAlias = events.CoordinatorHandedOver
        BatonOffered: TypeAlias = events.BatonOffered
        BatonOfferEnded: TypeAlias = events.BatonOfferEnded
        GoalSet: TypeAlias = events.GoalSet
        GoalRevised: TypeAlias = events.GoalRevised
        GoalEvaluated: TypeAlias = events.GoalEvaluated
        ActivityAdded: TypeAlias = events.ActivityAdded
        ActivityChanged: TypeAlias = events.ActivityChanged
        ActivityCompleted: TypeAlias = events.ActivityCompleted
        MinutesRecorded: TypeAlias = events.MinutesRecorded
        CommentPosted: TypeAlias = events.CommentPosted
        MessageSent: TypeAlias = events.MessageSent
        CalendarEntryAdded: TypeAlias = events.CalendarEntryAdded
        Closed: TypeAlias = events.Closed
        Reopened: TypeAlias = events.Reopened
        Archived: TypeAlias = events.Archived
        NotificationsChosen: TypeAlias = events.NotificationsChosen
        PlanDetailsChanged: TypeAlias = events.PlanDetailsChanged
    else:
        Event = events.PlanEvent  # the base event class: the library looks for it here

    def __init__(self) -> None:
        """Nothing to take: `Created.apply` builds the state from the event's fields."""

    def __deepcopy__(self, memo: dict[int, Any]) -> "Plan":
        """Copy cheaply: containers are copied, the frozen items are shared."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.__dict__["state"] = self.state.copy()
        clone.__dict__["_pending_events"] = list(self._pending_events)
        return clone

    # ----------------------------------------------------------------- create

    @classmethod
    def create(
        cls,
        *,
        plan_id: UUID,
        at: datetime,
        creator_person_id: UUID,
        creator_participant_id: UUID,
        plan_type: PlanType,
        short_name: str,
        owner_person_id: UUID,
        owner_participant_id: UUID,
        start_date: date,
        end_date: date | None,
        consent: Consent,
        level: int | None = None,
        review_on: date | None = None,
    ) -> "Plan":
        """Open a plan; the creator becomes its coordinator."""
        require_aware("at", at)
        if owner_person_id == creator_person_id:
            raise ValidationError(
                "owner", "the coordinator cannot be the plan's owner", Refusal.OWNER_IS_COORDINATOR
            )
        if owner_participant_id == creator_participant_id:
            raise ValidationError("owner", "the owner and the coordinator are two participants")
        check_details(start_date, end_date, level, review_on)
        if consent.expires_on > consent.given_on and not consent.is_valid_on(local_date(at)):
            raise ConsentNotValidError("a plan can only be created under valid consent")
        consent = checked_consent(consent, today=local_date(at))
        return cls._create(
            cls.Created,
            id=plan_id,
            timestamp=at,
            actor_id=creator_person_id,
            actor_role=Role.COORDINATOR,
            plan_type=plan_type,
            short_name=clean_name("short_name", short_name),
            owner_person_id=owner_person_id,
            owner_participant_id=owner_participant_id,
            coordinator_person_id=creator_person_id,
            coordinator_participant_id=creator_participant_id,
            start_date=start_date,
            end_date=end_date,
            consent=consent,
            level=level,
            review_on=review_on,
        )

    def change_details(
        self,
        *,
        by: UUID,
        at: datetime,
        short_name: str | Keep = KEEP,
        start_date: date | Keep = KEEP,
        end_date: date | Keep | None = KEEP,
        level: int | Keep | None = KEEP,
        review_on: date | Keep | None = KEEP,
    ) -> None:
        """Correct the plan's details: those given (`KEEP` leaves one as it is; None
        clears the end date, the level or the review date), under the rules of creation.
        A change that changes nothing is refused, as an empty partial change is."""
        actor = self._managing(by)
        if not isinstance(short_name, Keep):
            short_name = clean_name("short_name", short_name)
        values = (short_name, start_date, end_date, level, review_on)
        given = {n: v for n, v in zip(DETAIL_FIELDS, values, strict=True) if v is not KEEP}
        now = {name: getattr(self.state, name) for name in DETAIL_FIELDS}
        after = now | given
        check_details(after["start_date"], after["end_date"], after["level"], after["review_on"])
        changes = {name: value for name, value in given.items() if value != now[name]}
        if not changes:
            raise ValidationError("body", "changes nothing")
        self._trigger(self.PlanDetailsChanged, at, actor, **changes)

    # ---------------------------------------------------------------- helpers

    state: PlanState

    def _trigger(self, event_class: type[Event], at: datetime, by: Participant, **kw: Any) -> None:
        require_aware("at", at)
        self.trigger_event(
            event_class,
            timestamp=at,
            actor_id=by.person_id,
            actor_role=self.state.role_of(by),
            **kw,
        )

    # ----------------------------------------------------------- participants

    def _managing_member(self, by: UUID, participant_id: UUID) -> tuple[Participant, Participant]:
        """The coordinator who acts (`by`), and the participant of the group acted on."""
        return self._managing(by), self.member(participant_id)

    def add_participant(
        self,
        *,
        by: UUID,
        at: datetime,
        participant_id: UUID,
        person_id: UUID,
        role: Role,
        responsibility: str,
        rights: Rights,
    ) -> None:
        actor = self._managing(by)
        if role not in (Role.RELATIVE, Role.PROVIDER):
            raise ValidationError("role", "must be relative or provider")
        if self.state.participant_of(person_id) is not None:
            raise DuplicateError("the person is already in this plan group")
        if participant_id in self.state.participants:
            raise DuplicateError("participant id already used")
        self._trigger(
            self.ParticipantAdded,
            at,
            actor,
            participant_id=participant_id,
            person_id=person_id,
            role=role,
            responsibility=clean_text("responsibility", responsibility),
            rights=rights,
        )

    def change_participant(
        self, *, by: UUID, at: datetime, participant_id: UUID, responsibility: str
    ) -> None:
        actor, target = self._managing_member(by, participant_id)
        responsibility = clean_text("responsibility", responsibility)
        if target.responsibility == responsibility:
            return
        self._trigger(
            self.ParticipantChanged,
            at,
            actor,
            participant_id=participant_id,
            responsibility=responsibility,
        )

    def change_rights(
        self, *, by: UUID, at: datetime, participant_id: UUID, rights: Rights
    ) -> None:
        actor, target = self._managing_member(by, participant_id)
        if participant_id == self.state.coordinator_id:
            raise ConflictingValueError(  # refused for who holds the baton now (409)
                "participant_id", "the coordinator always has full rights"
            )
        if target.rights == rights:
            return
        self._trigger(self.RightsChanged, at, actor, participant_id=participant_id, rights=rights)

    def change_role(self, *, by: UUID, at: datetime, participant_id: UUID, role: Role) -> None:
        """A relative becomes a provider, or a provider a relative (decision 0054): who
        they are is the same person, so what they wrote and what is addressed to them
        stay theirs. Refused for the owner, for who holds the baton, and while the baton
        is offered to them (an offer is to a provider: withdraw it first)."""
        actor, target = self._managing_member(by, participant_id)
        if role not in (Role.RELATIVE, Role.PROVIDER):
            raise ValidationError("role", "must be relative or provider")
        if target.role is role:
            return
        if target.role is Role.OWNER:
            raise ConflictingValueError("role", "the plan owner's role cannot change")
        if participant_id == self.state.coordinator_id:
            raise ConflictingValueError("role", "hand the baton over before the role changes")
        if self.state.baton_offered_to == participant_id:
            raise ConflictingValueError(
                "role", "the baton is offered to this participant: withdraw that offer first"
            )
        self._trigger(self.RoleChanged, at, actor, participant_id=participant_id, role=role)

    def update_participant(
        self,
        *,
        by: UUID,
        at: datetime,
        participant_id: UUID,
        responsibility: str | None = None,
        rights: Rights | None = None,
        role: Role | None = None,
        person: bool = False,
    ) -> None:
        """New role, rights and/or responsibility (None keeps it), in one save or not at all.

        `person`: the participant's person details change too. They are the
        directory's, not the plan's (the application stores them), so nothing is
        triggered for them here; the plan only says whether `by` may (EDIT_PERSON).
        """
        if person:
            self.permitted(by, Action.EDIT_PERSON, at=at)
            self.member(participant_id)
        if role is not None:
            self.change_role(by=by, at=at, participant_id=participant_id, role=role)
        if rights is not None:
            self.change_rights(by=by, at=at, participant_id=participant_id, rights=rights)
        if responsibility is not None:
            self.change_participant(
                by=by, at=at, participant_id=participant_id, responsibility=responsibility
            )

    def remove_participant(self, *, by: UUID, at: datetime, participant_id: UUID) -> None:
        actor, target = self._managing_member(by, participant_id)
        if participant_id == self.state.coordinator_id:
            raise ConflictingValueError("participant_id", "hand the baton over before leaving")
        if target.role is Role.OWNER:
            raise ConflictingValueError("participant_id", "the plan owner cannot be removed")
        self._trigger(self.ParticipantRemoved, at, actor, participant_id=participant_id)

    def hand_over_coordinator(self, *, by: UUID, at: datetime, participant_id: UUID) -> None:
        """Hand the baton over at once, as agreed with the new holder outside the service
        (decision 0052); any offer pending ends with it."""
        actor = self._managing(by)
        self.baton_target(participant_id)
        self._trigger(self.CoordinatorHandedOver, at, actor, participant_id=participant_id)

    def choose_notifications(
        self, *, by: UUID, at: datetime, participant_id: UUID, choices: NotificationChoices
    ) -> None:
        """The notices a participant gets: their own choice, or the coordinator's for them."""
        actor = self.permitted(by, Action.CHOOSE_OWN_NOTIFICATIONS)
        if actor.participant_id != participant_id:
            self.permitted(by, Action.CHOOSE_NOTIFICATIONS)
        self.member(participant_id)
        if self.state.notifications.get(participant_id, NO_NOTIFICATIONS) == choices:
            return  # unchanged (none chosen is the default): no event
        self._trigger(
            self.NotificationsChosen, at, actor, participant_id=participant_id, choices=choices
        )

    # ----------------------------------------------------------------- consent

    def renew_consent(self, *, by: UUID, at: datetime, consent: Consent) -> None:
        actor = self._managing(by)
        consent = checked_consent(
            replace(consent, status=ConsentStatus.ACTIVE), today=local_date(at)
        )
        self._trigger(self.ConsentRenewed, at, actor, consent=consent)

    def change_consent_scope(self, *, by: UUID, at: datetime, scope: str) -> None:
        actor = self._managing(by)
        if self.state.consent.status is not ConsentStatus.ACTIVE:
            raise ConsentNotValidError("consent must be given again before its scope changes")
        self._trigger(
            self.ConsentChanged, at, actor, scope=clean_text("scope", scope, required=True)
        )

    def reset_consent(self, *, by: UUID, at: datetime) -> None:
        actor = self._managing(by)
        if self.state.consent.status is not ConsentStatus.ACTIVE:
            return  # already reset, or withdrawn by the family: a reset must not hide that
        self._trigger(self.ConsentReset, at, actor)

    def withdraw_consent(self, *, by: UUID, at: datetime, owner_of_age: bool | None) -> None:
        """The coordinator withdraws consent (also when closed), or the family: the owner
        who has reached the consent age, the relatives of one who has not (`owner_of_age`
        on the day of `at`, None when the owner's birth date is not known: both; decision
        0055). The caller must say: the plan does not hold the birth date."""
        actor = self.permitted(by, Action.WITHDRAW_CONSENT, owner_of_age=owner_of_age)
        if self.state.consent.status is ConsentStatus.WITHDRAWN:
            return
        self._trigger(self.ConsentWithdrawn, at, actor)

    # ------------------------------------------------------------- lifecycle

    def close(self, *, by: UUID, at: datetime, ended_on: date, reason: str) -> None:
        actor = self._managing(by)
        if ended_on < self.state.start_date:
            raise ConflictingValueError(
                "ended_on", "must not be before the plan's start date", Refusal.ENDS_BEFORE_START
            )
        self._trigger(
            self.Closed, at, actor, ended_on=ended_on, reason=clean_text("reason", reason)
        )

    def reopen(self, *, by: UUID, at: datetime, reason: str = "") -> None:
        actor = self.permitted(by, Action.REOPEN)
        self._trigger(
            self.Reopened,
            at,
            actor,
            end_date=self.state.planned_end_date,
            reason=clean_text("reason", reason),
        )

    def record_archive(self, *, by: UUID, at: datetime, archive_id: UUID, digest: str) -> None:
        """Note that a sealed record was made; archiving may happen more than once."""
        actor = self._coordinator(by)
        if not digest:
            raise ValidationError("digest", "must not be empty")
        archive = ArchiveRecord(archive_id=archive_id, archived_at=at, digest=digest)
        self._trigger(self.Archived, at, actor, archive=archive)


for _event_class in events.PLAN_EVENTS:
    setattr(Plan, _event_class.__name__, _event_class)


def _register_topics() -> None:
    """Make every stored topic of a plan resolvable as soon as this module is imported.

    The library registers a class's own `TOPIC` only when it first encodes one, so a
    process that reads before it writes (a restarted server, a fresh loader) could not
    resolve `stafett.plan:...` topics.
    """
    for cls in (Plan, *vars(Plan).values()):
        if isinstance(cls, type) and "TOPIC" in vars(cls):
            get_topic(cls)


_register_topics()
