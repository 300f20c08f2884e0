"""The permitted view equals the full plan filtered by the rights in force (hypothesis).

Random sequences of rights changes, removals and re-additions, consent resets and
renewals, closing, time passing and content written by everyone (refused
commands are simply refused) are applied to a plan. After every step, each
person's view from `permitted_view` must equal what an independent oracle in
this file derives from the product rules and the full plan state: the oracle is
written from the rules, not from `stafett.aggregates.policy`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from stafett.aggregates.errors import ConsentNotValidError, DomainError, NotAParticipantError
from stafett.aggregates.person import Person, PersonDetails
from stafett.aggregates.plan import Plan
from stafett.aggregates.values import (
    FULL_RIGHTS,
    Access,
    Activity,
    CalendarEntry,
    CommentTarget,
    Consent,
    Minutes,
    PlanStatus,
    PlanType,
    Rights,
    Role,
    Section,
    local_date,
)
from stafett.applications.permitted import PlanOut, permitted_view

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONSENT = Consent(
    given_by="Mor og far",
    given_on=date(2026, 3, 1),
    expires_on=date(2026, 3, 20),
    scope="Full deling",
)
COORDINATOR, OWNER, RELATIVE, PROVIDER_A, PROVIDER_B, STRANGER = (UUID(int=i) for i in range(1, 7))
PLAN_ID = UUID(int=99)
PEOPLE = (COORDINATOR, OWNER, RELATIVE, PROVIDER_A, PROVIDER_B, STRANGER)
MEMBERS = {RELATIVE: Role.RELATIVE, PROVIDER_A: Role.PROVIDER, PROVIDER_B: Role.PROVIDER}

rights = st.builds(
    Rights,
    goals=st.sampled_from(Access),
    activities=st.sampled_from(Access),
    minutes=st.sampled_from(Access),
    messages=st.sampled_from(Access),
    print=st.booleans(),
    edit_person=st.booleans(),
)
person = st.sampled_from(PEOPLE)
steps = st.one_of(
    st.tuples(st.just("rights"), st.sampled_from((OWNER, *MEMBERS)), rights),
    st.tuples(st.just("remove"), st.sampled_from(tuple(MEMBERS))),
    st.tuples(st.just("add"), st.sampled_from(tuple(MEMBERS)), rights),
    # decision 0054: a relative made a provider and back, which changes what consent allows
    st.tuples(
        st.just("role"),
        st.sampled_from(tuple(MEMBERS)),
        st.sampled_from((Role.RELATIVE, Role.PROVIDER)),
    ),
    st.tuples(st.just("goal"), person),
    st.tuples(st.just("activity"), person),
    st.tuples(st.just("calendar"), person),
    st.tuples(st.just("minutes"), person),
    st.tuples(st.just("message"), person, st.sampled_from(PEOPLE)),
    st.tuples(st.just("comment"), person, st.sampled_from(CommentTarget)),
    st.tuples(
        st.just("reset"),
    ),
    st.tuples(
        st.just("renew"),
    ),
    st.tuples(
        st.just("close"),
    ),
    st.tuples(
        st.just("reopen"),
    ),
    st.tuples(st.just("days"), st.integers(min_value=1, max_value=15)),
)


@dataclass
class World:
    plan: Plan
    now: datetime
    counter: int = 10_000

    def new_id(self) -> UUID:
        self.counter += 1
        return UUID(int=self.counter)

    def pid(self, person_id: UUID) -> UUID | None:
        member = self.plan.state.participant_of(person_id)
        return None if member is None else member.participant_id

    def apply(self, step: tuple[object, ...]) -> None:
        kind, *args = step
        plan, at, by = self.plan, self.now, COORDINATOR
        try:
            if kind == "rights":
                target = self.pid(args[0])  # type: ignore[arg-type]
                if target is not None:
                    plan.change_rights(by=by, at=at, participant_id=target, rights=args[1])  # type: ignore[arg-type]
            elif kind == "remove":
                target = self.pid(args[0])  # type: ignore[arg-type]
                if target is not None:
                    plan.remove_participant(by=by, at=at, participant_id=target)
            elif kind == "role":
                target = self.pid(args[0])  # type: ignore[arg-type]
                if target is not None:
                    plan.change_role(by=by, at=at, participant_id=target, role=args[1])  # type: ignore[arg-type]
            elif kind == "add":
                who: UUID = args[0]  # type: ignore[assignment]
                plan.add_participant(
                    by=by,
                    at=at,
                    participant_id=self.new_id(),
                    person_id=who,
                    role=MEMBERS[who],
                    responsibility="Ansvar",
                    rights=args[1],  # type: ignore[arg-type]
                )
            elif kind == "goal":
                plan.set_goal(
                    by=args[0],  # type: ignore[arg-type]
                    at=at,
                    goal_id=self.new_id(),
                    title="Mål",
                    description="",
                    due_on=None,
                )
            elif kind in ("activity", "calendar", "minutes"):
                self._content(str(kind), args[0])  # type: ignore[arg-type]
            elif kind == "message":
                to = self.pid(args[1])  # type: ignore[arg-type]
                plan.send_message(
                    by=args[0],  # type: ignore[arg-type]
                    at=at,
                    message_id=self.new_id(),
                    recipient_ids=None if to is None else (to,),
                    subject="Emne",
                    body="Tekst",
                )
            elif kind == "comment":
                self._comment(args[0], args[1])  # type: ignore[arg-type]
            elif kind == "reset":
                plan.reset_consent(by=by, at=at)
            elif kind == "renew":
                given = local_date(at)
                plan.renew_consent(
                    by=by,
                    at=at,
                    consent=Consent("Mor", given, given + timedelta(days=20), "Alt"),
                )
            elif kind == "close":
                plan.close(by=by, at=at, ended_on=local_date(at), reason="")
            elif kind == "reopen":
                plan.reopen(by=by, at=at)
            elif kind == "days":
                self.now += timedelta(days=args[0])  # type: ignore[arg-type]
        except DomainError:
            pass  # refused: the plan is unchanged

    def _content(self, kind: str, by: UUID) -> None:
        responsible = self.pid(COORDINATOR)
        assert responsible is not None
        if kind == "activity":
            self.plan.add_activity(
                by=by,
                at=self.now,
                activity=Activity(self.new_id(), "Tiltak", "", responsible, None, None),
            )
        elif kind == "calendar":
            self.plan.add_calendar_entry(
                by=by,
                at=self.now,
                entry=CalendarEntry(
                    self.new_id(), "Møte", self.now, self.now + timedelta(hours=1), ""
                ),
            )
        else:
            self.plan.record_minutes(
                by=by,
                at=self.now,
                minutes=Minutes(self.new_id(), local_date(self.now), (responsible,), "Notat", ""),
            )

    def _comment(self, by: UUID, kind: CommentTarget) -> None:
        by_kind: dict[CommentTarget, Mapping[UUID, object]] = {
            CommentTarget.GOAL: self.plan.state.goals,
            CommentTarget.ACTIVITY: self.plan.state.activities,
            CommentTarget.MINUTES: self.plan.state.minutes,
        }
        items = by_kind[kind]
        if items:
            self.plan.post_comment(
                by=by,
                at=self.now,
                comment_id=self.new_id(),
                on_kind=kind,
                on_id=next(iter(items)),
                text="Kommentar",
            )


def oracle(plan: Plan, person_id: UUID, now: datetime) -> dict[str, object] | type[Exception]:
    """What the product rules say `person_id` sees, from the full plan state."""
    state = plan.state
    me = state.participant_of(person_id)
    if me is None:
        return NotAParticipantError
    coordinator = me.participant_id == state.coordinator_id
    consent_valid = state.consent.is_valid_on(local_date(now))
    if me.role is Role.PROVIDER and not coordinator and not consent_valid:
        return ConsentNotValidError
    mine = FULL_RIGHTS if coordinator else me.rights

    def sees(section: Section) -> bool:
        return mine.level(section) is not Access.NONE

    on_section = {
        CommentTarget.GOAL: Section.GOALS,
        CommentTarget.ACTIVITY: Section.ACTIVITIES,
        CommentTarget.MINUTES: Section.MINUTES,
    }
    writes = consent_valid and state.status is PlanStatus.OPEN
    return {
        "goals": tuple(state.goals.values()) if sees(Section.GOALS) else None,
        "activities": tuple(state.activities.values()) if sees(Section.ACTIVITIES) else None,
        "calendar": tuple(state.calendar.values()) if sees(Section.ACTIVITIES) else None,
        "minutes": tuple(state.minutes.values()) if sees(Section.MINUTES) else None,
        "messages": tuple(
            m
            for m in state.messages
            if m.sender_participant_id == me.participant_id or me.participant_id in m.recipient_ids
        )
        if sees(Section.MESSAGES)
        else None,
        "comments": tuple(c for c in state.comments if sees(on_section[c.on_kind])),
        "members": {
            (p.participant_id, p.rights if coordinator or p is me else None)
            for p in state.participants.values()
            if p.active
        },
        "given_by": state.consent.given_by if me.role is not Role.PROVIDER or coordinator else None,
        "writable": {s for s in Section if writes and mine.level(s) is Access.WRITE},
    }


def absent(value: object) -> object:
    """A part or field the view leaves out (no key in the answer) as None."""
    return None if value is msgspec.UNSET else value


def seen(view: PlanOut) -> dict[str, object]:
    return {
        "goals": absent(view.goals),
        "activities": absent(view.activities),
        "calendar": absent(view.calendar),
        "minutes": absent(view.minutes),
        "messages": absent(view.messages),
        "comments": view.comments,
        "members": {(m.participant_id, absent(m.rights)) for m in view.participants},
        "given_by": absent(view.consent.given_by),
        "writable": set(view.me.writable),
    }


def view_of(plan: Plan, person_id: UUID, now: datetime) -> PlanOut:
    return permitted_view(
        plan.id,
        plan.version,
        plan.modified_on,
        plan.state,
        person_id,
        now=now,
        people=lambda ids: {i: Person(i, PersonDetails("Navn", "Navnesen")) for i in ids},
    )


def new_plan(plan_id: UUID = PLAN_ID) -> Plan:
    plan = Plan.create(
        plan_id=plan_id,
        at=START,
        creator_person_id=COORDINATOR,
        creator_participant_id=UUID(int=101),
        plan_type=PlanType.RELAY_LOG,
        short_name="Plan",
        owner_person_id=OWNER,
        owner_participant_id=UUID(int=102),
        start_date=START.date(),
        end_date=None,
        consent=CONSENT,
    )
    for number, (who, role) in enumerate(MEMBERS.items()):
        plan.add_participant(
            by=COORDINATOR,
            at=START,
            participant_id=UUID(int=110 + number),
            person_id=who,
            role=role,
            responsibility="Ansvar",
            rights=Rights(),
        )
    return plan


@given(st.lists(steps, min_size=1, max_size=40))
def test_every_view_is_the_full_plan_filtered_by_the_rights_in_force(
    history: list[tuple[object, ...]],
) -> None:
    world = World(plan=new_plan(), now=START)
    for step in history:
        world.apply(step)
        for person_id in PEOPLE:
            want = oracle(world.plan, person_id, world.now)
            try:
                got: dict[str, object] | type[Exception] = seen(
                    view_of(world.plan, person_id, world.now)
                )
            except (NotAParticipantError, ConsentNotValidError) as refused:
                got = type(refused)
            assert got == want, f"{person_id} after {step}"


def test_the_oracle_is_not_trivial() -> None:
    """The filter hides something real: a relative without goal rights sees no goals."""
    world = World(plan=new_plan(), now=START)
    world.apply(("goal", COORDINATOR))
    relative = world.pid(RELATIVE)
    assert relative is not None
    world.plan.change_rights(
        by=COORDINATOR, at=START, participant_id=relative, rights=Rights(goals=Access.NONE)
    )
    goals = tuple(world.plan.state.goals.values())
    assert goals
    assert view_of(world.plan, RELATIVE, START).goals is msgspec.UNSET
    assert view_of(world.plan, OWNER, START).goals == goals


def test_a_relative_made_provider_needs_the_consent_that_a_provider_needs() -> None:
    """The steps' role change is one the oracle sees (decision 0054): after the consent
    ran out, the relative reads the plan until made a provider, and the provider who was
    refused reads it once made a relative."""
    world = World(plan=new_plan(), now=START + timedelta(days=30))  # past the 20th
    assert isinstance(oracle(world.plan, RELATIVE, world.now), dict)
    assert oracle(world.plan, PROVIDER_A, world.now) is ConsentNotValidError
    world.apply(("role", RELATIVE, Role.PROVIDER))
    world.apply(("role", PROVIDER_A, Role.RELATIVE))
    assert oracle(world.plan, RELATIVE, world.now) is ConsentNotValidError
    assert isinstance(oracle(world.plan, PROVIDER_A, world.now), dict)
    assert seen(view_of(world.plan, PROVIDER_A, world.now)) == oracle(
        world.plan, PROVIDER_A, world.now
    )
