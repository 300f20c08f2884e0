"""A reader's permitted view of one plan: built in one step from the plan's state.

The filter runs on every read, on the plan's current state and the instant of the
request, so a right taken away, a removal, a reset or an expired consent counts
from the next request on (SEC-AC-05); nothing about rights is cached anywhere.
A part the reader may not read is absent (UNSET), not empty, so the answer
carries no key for it (SEC-AC-04).

The answer is the response itself (`PlanOut`, a msgspec struct the web layer
returns as it is). Plan items are the frozen domain values, encoded as they are;
comments and messages, the bulk of a long plan, are decoded from the plan's
logs only when the reader may read them (decision 0003).

A version of a plan never changes, so the JSON of its shared parts (goals,
activities, calendar, minutes, and the comments a set of readable sections
allows) is the same for every reader who may see them: `EncodedParts` keeps it,
keyed by plan, version and part, and a later view embeds it as it is
(`msgspec.Raw`) instead of encoding thousands of items again. Messages differ per
reader (those they sent or received): they are kept by plan, version and reader, so a
reader rereading an unchanged plan gets theirs from the cache too. A caller that reads
the items (a page, a history's cut of messages) decodes what it gets.

Each member of the plan group comes with how to reach them (`ContactOut`: the
fields the directory shows everyone), read from the person directory on each
view, so a changed or hidden number counts at once; a number the person hid is
an empty string to everyone but themself.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date, datetime
from functools import partial
from typing import TypeVar, cast
from uuid import UUID

import msgspec

from stafett.aggregates.errors import ConsentNotValidError, NotAParticipantError
from stafett.aggregates.person import Person
from stafett.aggregates.plan import COMMENT_SECTION, PlanState
from stafett.aggregates.policy import (
    PART_SECTION,
    Action,
    Denial,
    Standing,
    sees_field,
)
from stafett.aggregates.values import (
    NO_NOTIFICATIONS,
    Activity,
    ArchiveRecord,
    CalendarEntry,
    Comment,
    CommentTarget,
    ConsentStatus,
    Goal,
    Message,
    Minutes,
    NotificationChoices,
    PlanStatus,
    PlanType,
    Rights,
    Role,
    Section,
    local_date,
)

ERASED = "(slettet person)"
T = TypeVar("T")
EMPTY = msgspec.Raw(b"[]")  # an empty part, kept so that finding it costs nothing either


class ConsentOut(msgspec.Struct, omit_defaults=True):
    given_on: date
    expires_on: date
    expires_in_days: int
    scope: str
    status: ConsentStatus
    valid_now: bool
    given_by: str | msgspec.UnsetType = msgspec.UNSET  # the family and the coordinator


class ContactOut(msgspec.Struct):
    """How to reach a member: the directory's cross-plan fields, hidden numbers as ""."""

    workplace: str
    position: str
    email: str
    mobile: str
    phone: str
    fax: str

    @classmethod
    def of(cls, person: Person, *, own: bool) -> "ContactOut":
        d = person.details if own else person.seen_by_others()
        return cls(d.workplace, d.position, d.email, d.mobile, d.phone, d.fax)


ADDRESSED = (Section.ACTIVITIES, Section.MESSAGES)
"""The sections whose items name a participant they are for: an activity its responsible,
a message its recipients (the plan refuses one who may not read the section)."""


class MemberOut(msgspec.Struct, omit_defaults=True):
    participant_id: UUID
    person_id: UUID
    name: str
    role: Role  # owner, relative or provider: the role in this plan, shown only inside it
    is_coordinator: bool
    responsibility: str  # plan-specific, shown only inside the plan
    rights: Rights | msgspec.UnsetType = msgspec.UNSET  # one's own; others' for the coordinator
    contact: ContactOut | msgspec.UnsetType = msgspec.UNSET  # absent for an erased person
    # the notices chosen (decision 0020): one's own; others' for the coordinator
    notifications: NotificationChoices | msgspec.UnsetType = msgspec.UNSET
    # the sections where an item can be addressed to them (a message's recipient, an
    # activity's responsible): those of `ADDRESSED` they may read now (decision 0049)
    addressed_in: tuple[Section, ...] = ()


class MeOut(msgspec.Struct):
    participant_id: UUID
    standing: Standing
    rights: Rights  # in force (the coordinator's are always full)
    readable: list[Section]
    writable: list[Section]


class PlanOut(msgspec.Struct, omit_defaults=True):
    """What one reader may see of a plan now; parts they may not read have no key."""

    id: UUID
    version: int
    modified_at: datetime
    type: PlanType
    short_name: str
    owner_person_id: UUID
    owner_name: str
    start_date: date
    end_date: date | None
    level: int | None  # the BTI level, 0–3 (decision 0051)
    review_on: date | None  # when the plan is next evaluated/revised
    # The participant the coordinator offered the baton to, and when; null when none
    # (decision 0052).
    baton_offered_to: UUID | None
    baton_offered_at: datetime | None
    status: PlanStatus
    closed_reason: str
    consent: ConsentOut
    me: MeOut
    participants: list[MemberOut]
    archives: tuple[ArchiveRecord, ...]
    comments: tuple[Comment, ...]  # only on items of readable sections
    goals: tuple[Goal, ...] | msgspec.UnsetType = msgspec.UNSET
    activities: tuple[Activity, ...] | msgspec.UnsetType = msgspec.UNSET
    calendar: tuple[CalendarEntry, ...] | msgspec.UnsetType = msgspec.UNSET
    minutes: tuple[Minutes, ...] | msgspec.UnsetType = msgspec.UNSET
    messages: tuple[Message, ...] | msgspec.UnsetType = msgspec.UNSET  # sent or received

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts this view carries, for the access log."""
        present = ["overview", "consent", "participants"]
        present += [part for part in PART_SECTION if getattr(self, part) is not msgspec.UNSET]
        if self.comments:
            present.append("comments")
        return tuple(present)


def people_in(state: PlanState) -> list[UUID]:
    """The person ids a view names: the owner and the active plan group."""
    return [state.owner_person_id, *(p.person_id for p in state.active_participants())]


def permitted_view(
    plan_id: UUID,
    version: int,
    modified_at: datetime,
    state: PlanState,
    person_id: UUID,
    *,
    now: datetime,
    names: Callable[[Iterable[UUID]], Mapping[UUID, str]] | None = None,
    people: Callable[[Iterable[UUID]], Mapping[UUID, Person]] | None = None,
    encoded: "EncodedParts | None" = None,
) -> PlanOut:
    """What `person_id` may see of the plan at `now`; refuses outsiders and lapsed readers.

    `people` looks up the persons named (their names and contact), or `names` their
    full names only; either is asked only once the reader is let in. With
    `encoded`, shared parts come from (or go into) that cache as embedded JSON.
    """
    standing, me = state.standing_of(person_id)
    today = local_date(now)
    consent = state.consent
    consent_valid = consent.is_valid_on(today)
    opened = state.decision(me, Action.OPEN, consent_valid=consent_valid)
    if opened.denial is Denial.CONSENT:
        raise ConsentNotValidError("consent is not valid: the plan is closed to providers")
    if not opened.allowed or me is None:
        raise NotAParticipantError("not in this plan")
    rights = state.rights_of(me)

    def may(action: Action, section: Section) -> bool:
        return state.decision(me, action, consent_valid=consent_valid, section=section).allowed

    readable = [s for s in Section if may(Action.READ_SECTION, s)]
    writable = [s for s in Section if may(Action.WRITE_SECTION, s)]
    found: Mapping[UUID, Person] = {}
    if people is not None:
        found = people(people_in(state))
        named: Mapping[UUID, str] = {pid: p.full_name for pid, p in found.items()}
    elif names is not None:
        named = names(people_in(state))
    else:
        raise TypeError("give `people` or `names`")

    def shared(part: str, variant: object, make: Callable[[], tuple[T, ...]]) -> tuple[T, ...]:
        if encoded is None:
            return make()
        return encoded.get((plan_id, version, part, variant), make)

    sees_rights = sees_field(standing, "participants", "rights")
    sees_notices = sees_field(standing, "participants", "notifications")
    out = PlanOut(
        id=plan_id,
        version=version,
        modified_at=modified_at,
        type=state.plan_type,
        short_name=state.short_name,
        owner_person_id=state.owner_person_id,
        owner_name=named.get(state.owner_person_id, ERASED),
        start_date=state.start_date,
        end_date=state.end_date,
        level=state.level,
        review_on=state.review_on,
        baton_offered_to=state.baton_offered_to,
        baton_offered_at=state.baton_offered_at,
        status=state.status,
        closed_reason=state.closed_reason,
        consent=ConsentOut(
            given_on=consent.given_on,
            expires_on=consent.expires_on,
            expires_in_days=(consent.expires_on - today).days,
            scope=consent.scope,
            status=consent.status,
            valid_now=consent_valid,
            given_by=consent.given_by
            if sees_field(standing, "consent", "given_by")
            else msgspec.UNSET,
        ),
        me=MeOut(
            participant_id=me.participant_id,
            standing=standing,
            rights=rights,
            readable=readable,
            writable=writable,
        ),
        participants=[
            MemberOut(
                participant_id=p.participant_id,
                person_id=p.person_id,
                name=named.get(p.person_id, ERASED),
                role=p.role,
                is_coordinator=p.participant_id == state.coordinator_id,
                responsibility=p.responsibility,
                rights=p.rights if p is me or sees_rights else msgspec.UNSET,
                notifications=state.notifications.get(p.participant_id, NO_NOTIFICATIONS)
                if p is me or sees_notices
                else msgspec.UNSET,
                contact=ContactOut.of(found[p.person_id], own=p is me)
                if p.person_id in found
                else msgspec.UNSET,
                addressed_in=tuple(
                    s for s in ADDRESSED if state.reads(p, s, consent_valid=consent_valid)
                ),
            )
            for p in state.active_participants()
        ],
        archives=tuple(state.archives),
        comments=shared("comments", tuple(readable), lambda: _comments(state, readable)),
    )
    items: dict[str, Mapping[UUID, object]] = {
        "goals": state.goals,
        "activities": state.activities,
        "calendar": state.calendar,
        "minutes": state.minutes,
    }
    for part, section in PART_SECTION.items():
        if section not in readable:
            continue
        if part == "messages":  # only those the reader sent or received: kept per reader
            mine = partial(_messages_of, state, me.participant_id)
            out.messages = shared(part, me.participant_id, mine)
        else:
            setattr(out, part, shared(part, None, partial(tuple, items[part].values())))
    return out


def _messages_of(state: PlanState, participant_id: UUID) -> tuple[Message, ...]:
    """The messages the participant sent or received (whoever else reads the plan)."""
    mine = {participant_id}
    return tuple(m for m in state.messages if m.concerns(mine))


def _comments(state: PlanState, readable: list[Section]) -> tuple[Comment, ...]:
    """Comments on items of readable sections; the log is decoded only if some are."""
    kinds = {kind for kind, section in COMMENT_SECTION.items() if section in readable}
    if not kinds:
        return ()
    if len(kinds) == len(CommentTarget):
        return tuple(state.comments)
    return tuple(c for c in state.comments if c.on_kind in kinds)


class EncodedParts:
    """The encoded JSON of plan parts by (plan, version, part, variant), least recent out.

    Bounded by total bytes; safe across threads. Entries never go stale: a new
    event makes a new version, and so a new key.
    """

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, msgspec.Raw] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], tuple[T, ...]]) -> tuple[T, ...]:
        """The part's items as embedded JSON (typed as the items it stands for); an empty
        part stays an empty tuple, so the view can tell it carries nothing."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return () if found is EMPTY else cast(tuple[T, ...], found)
        items = make()
        raw = msgspec.Raw(msgspec.json.encode(items)) if items else EMPTY
        with self._lock:
            if key not in self._entries:
                self._entries[key] = raw
                self._bytes += len(raw)
            while self._bytes > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped)
        return items if raw is EMPTY else cast(tuple[T, ...], raw)
