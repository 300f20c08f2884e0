"""A reader's permitted view of one plan: the full plan filtered by the policy table.

The filter runs on every read, on the plan's current state and the instant of the
request, so a right taken away, a removal, a reset or an expired consent counts
from the next request on (SEC-AC-05); nothing about rights is cached anywhere.
A part the reader may not read is absent (None), not empty, so an API answer
carries no key for it (SEC-AC-04).
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar
from uuid import UUID

from stafett.aggregates.errors import ConsentNotValidError, NotAParticipantError
from stafett.aggregates.plan import COMMENT_SECTION
from stafett.aggregates.policy import (
    PART_SECTION,
    Action,
    Denial,
    Standing,
    decide,
    sees_field,
)
from stafett.aggregates.values import (
    FULL_RIGHTS,
    Activity,
    ArchiveRecord,
    CalendarEntry,
    Comment,
    ConsentStatus,
    Goal,
    Message,
    Minutes,
    Participant,
    PlanStatus,
    PlanType,
    Rights,
    Role,
    Section,
    local_date,
)
from stafett.applications.results import PlanView

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ConsentSeen:
    given_by: str | None  # only the family and the coordinator see who gave it
    given_on: date
    expires_on: date
    scope: str
    status: ConsentStatus
    valid_now: bool


@dataclass(frozen=True, slots=True)
class MemberSeen:
    participant_id: UUID
    person_id: UUID
    role: Role  # owner, relative or provider: the role in this plan, shown only inside it
    is_coordinator: bool
    responsibility: str  # plan-specific, shown only inside the plan
    rights: Rights | None  # only the coordinator sees the rights of others


@dataclass(frozen=True, slots=True)
class Me:
    participant_id: UUID
    standing: Standing
    rights: Rights  # in force (the coordinator's are always full)
    readable: tuple[Section, ...]
    writable: tuple[Section, ...]


@dataclass(frozen=True, slots=True)
class PermittedPlan:
    plan_id: UUID
    version: int
    modified_at: datetime
    plan_type: PlanType
    short_name: str
    owner_person_id: UUID
    start_date: date
    end_date: date | None
    status: PlanStatus
    closed_reason: str
    consent: ConsentSeen
    me: Me
    participants: tuple[MemberSeen, ...]
    archives: tuple[ArchiveRecord, ...]
    goals: tuple[Goal, ...] | None
    activities: tuple[Activity, ...] | None
    calendar: tuple[CalendarEntry, ...] | None
    minutes: tuple[Minutes, ...] | None
    messages: tuple[Message, ...] | None
    comments: tuple[Comment, ...]  # only on items of readable sections

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts this view carries, for the access log."""
        present = ["overview", "consent", "participants"]
        present += [part for part in PART_SECTION if getattr(self, part) is not None]
        if self.comments:
            present.append("comments")
        return tuple(present)


def standing_in(plan: PlanView, person_id: UUID) -> tuple[Standing, Participant | None]:
    """How a person stands towards the plan now; removed participants are outsiders."""
    for participant in plan.participants:
        if participant.person_id == person_id and participant.active:
            if participant.participant_id == plan.coordinator_participant_id:
                return Standing.COORDINATOR, participant
            return Standing(participant.role.value), participant
    return Standing.OUTSIDER, None


def permitted_view(plan: PlanView, person_id: UUID, *, now: datetime) -> PermittedPlan:
    """What `person_id` may see of `plan` at `now`; refuses outsiders and lapsed readers."""
    standing, me = standing_in(plan, person_id)
    consent_valid = plan.consent.is_valid_on(local_date(now))
    plan_open = plan.status is PlanStatus.OPEN
    opened = decide(Action.OPEN, standing, consent_valid=consent_valid, plan_open=plan_open)
    if opened.denial is Denial.CONSENT:
        raise ConsentNotValidError("consent is not valid: the plan is closed to providers")
    if not opened.allowed or me is None:
        raise NotAParticipantError("not in this plan")
    rights = FULL_RIGHTS if standing is Standing.COORDINATOR else me.rights

    def may(action: Action, section: Section) -> bool:
        return decide(
            action,
            standing,
            consent_valid=consent_valid,
            plan_open=plan_open,
            access=rights.level(section),
        ).allowed

    readable = tuple(s for s in Section if may(Action.READ_SECTION, s))
    writable = tuple(s for s in Section if may(Action.WRITE_SECTION, s))

    def part(name: str, items: tuple[T, ...]) -> tuple[T, ...] | None:
        return items if PART_SECTION[name] in readable else None

    mine = me.participant_id
    messages = part("messages", plan.messages)
    if messages is not None:
        messages = tuple(
            m for m in messages if m.sender_participant_id == mine or mine in m.recipient_ids
        )
    return PermittedPlan(
        plan_id=plan.plan_id,
        version=plan.version,
        modified_at=plan.modified_at,
        plan_type=plan.plan_type,
        short_name=plan.short_name,
        owner_person_id=plan.owner_person_id,
        start_date=plan.start_date,
        end_date=plan.end_date,
        status=plan.status,
        closed_reason=plan.closed_reason,
        consent=ConsentSeen(
            given_by=plan.consent.given_by if sees_field(standing, "consent", "given_by") else None,
            given_on=plan.consent.given_on,
            expires_on=plan.consent.expires_on,
            scope=plan.consent.scope,
            status=plan.consent.status,
            valid_now=consent_valid,
        ),
        me=Me(
            participant_id=mine,
            standing=standing,
            rights=rights,
            readable=readable,
            writable=writable,
        ),
        participants=tuple(
            MemberSeen(
                participant_id=p.participant_id,
                person_id=p.person_id,
                role=p.role,
                is_coordinator=p.participant_id == plan.coordinator_participant_id,
                responsibility=p.responsibility,
                rights=p.rights
                if p.participant_id == mine or sees_field(standing, "participants", "rights")
                else None,
            )
            for p in plan.participants
            if p.active
        ),
        archives=plan.archives,
        goals=part("goals", plan.goals),
        activities=part("activities", plan.activities),
        calendar=part("calendar", plan.calendar),
        minutes=part("minutes", plan.minutes),
        messages=messages,
        comments=tuple(c for c in plan.comments if COMMENT_SECTION[c.on_kind] in readable),
    )
