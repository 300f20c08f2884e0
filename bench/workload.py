"""What the benchmark works on: a few people, many new plans, and one long plan.

Plans are built in memory through the aggregate's own commands (so every rule
is checked) and saved with `app.save`, which is what the application does too,
only with more than one event per save. The long plan is saved in batches of
`SNAPSHOT_INTERVAL` events, so that, as in production, it has a snapshot at
every multiple of 100.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from stafett.aggregates.person import PersonDetails
from stafett.aggregates.plan import Plan
from stafett.aggregates.values import (
    Access,
    Activity,
    ActivityStatus,
    CalendarEntry,
    CommentTarget,
    Consent,
    GoalStatus,
    Minutes,
    PlanType,
    Rights,
    Role,
    local_date,
)
from stafett.applications.plans import SNAPSHOT_INTERVAL, PlanApplication

COMMENTS = (
    "Fint å høre! Vi ser det samme på skolen.",
    "Ola var sliten i dag, men han leste likevel ti minutter i lesekroken før lunsj.",
    "Vi har snakket med Ola om dette hjemme, og han vil gjerne prøve igjen neste uke. "
    "Kan vi ta det opp på neste møte?",
    "Helsesykepleier har hatt samtale med Ola. Han forteller at han trives bedre i klassen nå, "
    "men at friminuttene fortsatt er vanskelige. Vi følger med og melder tilbake.",
    "Takk for oppdateringen. Jeg legger inn en aktivitet for dette.",
    "Lesingen går bedre: i dag leste han en hel side høyt for klassen uten å stoppe. "
    "Det er første gang i år, og han var stolt etterpå. Vi fortsetter med lesekvarteret "
    "hver morgen og ser an om vi kan øke til tjue minutter etter vinterferien.",
)
"""Comment texts; the benchmark's timed comment is COMMENTS[3] (about 200 characters)."""

TIMED_COMMENT = COMMENTS[3]

SUBJECTS = ("Neste møte", "Lesing", "Trivsel", "Henting fredag", "Oppfølging")
BODIES = (
    "Hei! Kan vi flytte møtet til torsdag kl. 14? Jeg har fått et kurs på onsdag.",
    "Ola har glemt gymtøyet på skolen igjen. Det ligger i garderoben.",
    "Oppsummering fra samtalen i dag: Ola ønsker mer tid alene med lesingen, og vi har "
    "avtalt at han får bruke grupperommet to ganger i uka. Gi beskjed om dere ser "
    "endringer hjemme.",
    "Minner om foreldremøtet neste uke.",
)
NOTES = (
    "Oppfølgingsmøte. Gjennomgang av mål og aktiviteter siden sist. Lesingen går bedre, "
    "trivselen i friminuttene er fortsatt et tema. Skolen prøver faste lekegrupper.",
    "Kort møte på telefon. Status for aktivitetene; ingen endringer i målene.",
)
TITLES = ("Ola leser med glede", "Trives i friminuttene", "Sover godt", "Møter presis")
ACTIVITIES = ("Lesekvarter hver morgen", "Faste lekegrupper", "Kveldsrutine", "Busskort")
RESPONSIBILITIES = ("Mor", "Far", "Kontaktlærer", "Helsesykepleier", "PPT", "Fotballtrener")


@dataclass(frozen=True)
class People:
    """The persons the benchmark's plans are about; all in the directory."""

    coordinator: UUID
    owner: UUID
    others: tuple[UUID, ...]


@dataclass(frozen=True)
class NewPlan:
    plan_id: UUID
    goal_id: UUID


@dataclass(frozen=True)
class LongPlan:
    plan_id: UUID
    goal_id: UUID
    events: int


def now() -> datetime:
    return datetime.now(UTC)


def register_people(app: PlanApplication) -> People:
    def register(first: str, last: str) -> UUID:
        details = PersonDetails(first_name=first, last_name=last)
        return app.register_person(details, by=None).person_id

    coordinator = register("Kari", "Stafettholder")
    owner = register("Ola", "Nordmann")
    others = tuple(
        register(first, last)
        for first, last in (
            ("Anne", "Nordmann"),
            ("Jon", "Nordmann"),
            ("Per", "Lærer"),
            ("Helga", "Helsesykepleier"),
            ("Siri", "Rådgiver"),
            ("Geir", "Trener"),
        )
    )
    return People(coordinator, owner, others)


def consent_from(day: date) -> Consent:
    return Consent(
        given_by="Anne Nordmann (mor)",
        given_on=day,
        expires_on=day + timedelta(days=365),
        scope="Full deling i plangruppen",
    )


def _created(people: People, at: datetime, short_name: str) -> Plan:
    today = local_date(at)
    return Plan.create(
        plan_id=uuid4(),
        at=at,
        creator_person_id=people.coordinator,
        creator_participant_id=uuid4(),
        plan_type=PlanType.RELAY_LOG,
        short_name=short_name,
        owner_person_id=people.owner,
        owner_participant_id=uuid4(),
        start_date=today - timedelta(days=30),
        end_date=None,
        consent=consent_from(today - timedelta(days=30)),
    )


def sample_comment_event(app: PlanApplication, people: People) -> tuple[str, bytes]:
    """The stored topic and state of a real CommentPosted event (never saved)."""
    at = now()
    plan = _created(people, at, "Størrelsesprøve")
    goal_id = uuid4()
    plan.set_goal(
        by=people.coordinator, at=at, goal_id=goal_id, title=TITLES[0], description="", due_on=None
    )
    plan.post_comment(
        by=people.coordinator,
        at=at,
        comment_id=uuid4(),
        on_kind=CommentTarget.GOAL,
        on_id=goal_id,
        text=TIMED_COMMENT,
    )
    event = plan.collect_events()[-1]
    assert isinstance(event, Plan.CommentPosted)
    stored = app.mapper.to_stored_event(event)
    return stored.topic, stored.state


def create_new_plans(app: PlanApplication, people: People, count: int) -> list[NewPlan]:
    """`count` new plans of two events each (created, one goal), saved 50 at a time."""
    created: list[NewPlan] = []
    batch: list[Plan] = []
    for number in range(count):
        at = now()
        plan = _created(people, at, f"Plan {number}")
        goal_id = uuid4()
        plan.set_goal(
            by=people.coordinator,
            at=at,
            goal_id=goal_id,
            title=TITLES[number % len(TITLES)],
            description="Målet er satt på oppstartsmøtet.",
            due_on=local_date(at) + timedelta(days=120),
        )
        batch.append(plan)
        created.append(NewPlan(plan.id, goal_id))
        if len(batch) == 50:
            app.save(*batch)
            batch.clear()
    if batch:
        app.save(*batch)
    return created


class _LongPlanWriter:
    """Appends a realistic mix of events to a plan in memory."""

    # (kind, weight): mostly talk, some content, a few management events.
    MIX = (
        ("comment", 40),
        ("message", 28),
        ("calendar", 6),
        ("activity_added", 5),
        ("minutes_recorded", 5),
        ("goal_evaluated", 3),
        ("activity_changed", 3),
        ("goal_set", 2),
        ("goal_revised", 2),
        ("activity_completed", 2),
        ("participant_changed", 2),
        ("rights_changed", 2),
    )

    def __init__(self, plan: Plan, people: People, start: datetime, seed: int = 2026) -> None:
        self.plan = plan
        self.people = people
        self.rng = random.Random(seed)
        self.at = start
        self.kinds = [kind for kind, _ in self.MIX]
        self.weights = [weight for _, weight in self.MIX]
        self.coordinator = people.coordinator
        self.participants: dict[UUID, UUID] = {}  # person -> participant
        self.goals: list[UUID] = []
        self.activities: dict[UUID, Activity] = {}
        self.minutes: list[UUID] = []
        self.nurse_rights = (
            Rights(goals=Access.READ, minutes=Access.READ),
            Rights(goals=Access.READ, minutes=Access.READ, activities=Access.READ),
        )
        self.nurse_turn = 0
        for participant in plan.state.participants.values():
            self.participants[participant.person_id] = participant.participant_id

    def tick(self) -> datetime:
        self.at += timedelta(seconds=self.rng.randint(30, 600))
        return self.at

    def start(self) -> None:
        """Participants, two goals, an activity and minutes: things to comment on."""
        roles = (
            Role.RELATIVE,
            Role.RELATIVE,
            Role.PROVIDER,
            Role.PROVIDER,
            Role.PROVIDER,
            Role.PROVIDER,
        )
        for index, (person_id, role) in enumerate(zip(self.people.others, roles, strict=True)):
            participant_id = uuid4()
            self.plan.add_participant(
                by=self.coordinator,
                at=self.tick(),
                participant_id=participant_id,
                person_id=person_id,
                role=role,
                responsibility=RESPONSIBILITIES[index],
                rights=self.nurse_rights[0] if index == 3 else Rights(),
            )
            self.participants[person_id] = participant_id
        self.goal_set()
        self.goal_set()
        self.activity_added()
        self.minutes_recorded()

    # Who does what. The nurse (others[3]) reads goals and minutes only, so she
    # comments and sends messages but writes no content.
    def writer(self) -> UUID:
        choices = (self.coordinator, *self.people.others[:3], self.people.others[4])
        return self.rng.choice(choices)

    def anyone(self) -> UUID:
        return self.rng.choice((self.coordinator, self.people.owner, *self.people.others))

    def provider_participant(self) -> UUID:
        person = self.rng.choice((self.coordinator, self.people.others[2], self.people.others[4]))
        return self.participants[person]

    def step(self) -> None:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        getattr(self, kind)()

    # The events.
    def comment(self) -> None:
        targets = [
            (CommentTarget.GOAL, self.goals),
            (CommentTarget.ACTIVITY, list(self.activities)),
            (CommentTarget.MINUTES, self.minutes),
        ]
        kind, ids = self.rng.choice(targets)
        self.plan.post_comment(
            by=self.anyone(),
            at=self.tick(),
            comment_id=uuid4(),
            on_kind=kind,
            on_id=self.rng.choice(ids),
            text=self.rng.choice(COMMENTS),
        )

    def message(self) -> None:
        sender = self.rng.choice((*self.people.others, self.coordinator))
        others = [pid for person, pid in self.participants.items() if person != sender]
        recipients = None if self.rng.random() < 0.6 else tuple(self.rng.sample(others, k=2))
        self.plan.send_message(
            by=sender,
            at=self.tick(),
            message_id=uuid4(),
            recipient_ids=recipients,
            subject=self.rng.choice(SUBJECTS),
            body=self.rng.choice(BODIES),
        )

    def calendar(self) -> None:
        at = self.tick()
        starts = at + timedelta(days=self.rng.randint(1, 30))
        self.plan.add_calendar_entry(
            by=self.writer(),
            at=at,
            entry=CalendarEntry(
                entry_id=uuid4(),
                title="Møte i plangruppen",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                location="Solbakken skole, møterom 2",
            ),
        )

    def goal_set(self) -> None:
        at = self.tick()
        goal_id = uuid4()
        self.plan.set_goal(
            by=self.coordinator,
            at=at,
            goal_id=goal_id,
            title=self.rng.choice(TITLES),
            description="Målet er satt i fellesskap på møtet; se referatet.",
            due_on=local_date(at) + timedelta(days=120),
        )
        self.goals.append(goal_id)

    def goal_revised(self) -> None:
        at = self.tick()
        self.plan.revise_goal(
            by=self.coordinator,
            at=at,
            goal_id=self.rng.choice(self.goals),
            title=self.rng.choice(TITLES),
            description="Justert etter evalueringen.",
            due_on=local_date(at) + timedelta(days=90),
        )

    def goal_evaluated(self) -> None:
        self.plan.evaluate_goal(
            by=self.writer(),
            at=self.tick(),
            goal_id=self.rng.choice(self.goals),
            status=self.rng.choice((GoalStatus.ACTIVE, GoalStatus.PARTLY_ACHIEVED)),
            text="Fremgang siden sist, men vi fortsetter som før.",
        )

    def activity_added(self) -> None:
        at = self.tick()
        activity = Activity(
            activity_id=uuid4(),
            title=self.rng.choice(ACTIVITIES),
            description="Avtalt på møtet.",
            responsible_participant_id=self.provider_participant(),
            due_on=local_date(at) + timedelta(days=60),
            goal_id=self.rng.choice(self.goals),
        )
        self.plan.add_activity(by=self.writer(), at=at, activity=activity)
        self.activities[activity.activity_id] = activity

    def _open_activity(self) -> Activity | None:
        open_ones = [
            a for a in self.activities.values() if a.status is not ActivityStatus.COMPLETED
        ]
        return self.rng.choice(open_ones) if open_ones else None

    def activity_changed(self) -> None:
        old = self._open_activity()
        if old is None:
            self.activity_added()
            return
        new = Activity(
            activity_id=old.activity_id,
            title=old.title,
            description=old.description + " Oppdatert.",
            responsible_participant_id=self.provider_participant(),
            due_on=old.due_on,
            goal_id=old.goal_id,
            status=ActivityStatus.IN_PROGRESS,
        )
        self.plan.change_activity(by=self.writer(), at=self.tick(), activity=new)
        self.activities[new.activity_id] = self.plan.state.activities[new.activity_id]

    def activity_completed(self) -> None:
        old = self._open_activity()
        if old is None:
            self.activity_added()
            return
        self.plan.complete_activity(by=self.writer(), at=self.tick(), activity_id=old.activity_id)
        self.activities[old.activity_id] = self.plan.state.activities[old.activity_id]

    def minutes_recorded(self) -> None:
        at = self.tick()
        attendees = tuple(self.rng.sample(sorted(self.participants.values()), k=4))
        minutes = Minutes(
            minutes_id=uuid4(),
            met_on=local_date(at),
            attendee_ids=attendees,
            notes=self.rng.choice(NOTES),
            decisions="Neste møte om seks uker.",
        )
        self.plan.record_minutes(by=self.writer(), at=at, minutes=minutes)
        self.minutes.append(minutes.minutes_id)

    def participant_changed(self) -> None:
        person = self.rng.choice(self.people.others)
        self.plan.change_participant(
            by=self.coordinator,
            at=self.tick(),
            participant_id=self.participants[person],
            responsibility=self.rng.choice(RESPONSIBILITIES),
        )

    def rights_changed(self) -> None:
        self.nurse_turn = 1 - self.nurse_turn
        self.plan.change_rights(
            by=self.coordinator,
            at=self.tick(),
            participant_id=self.participants[self.people.others[3]],
            rights=self.nurse_rights[self.nurse_turn],
        )


def build_long_plan(
    app: PlanApplication,
    people: People,
    events: int,
    saved: Callable[[Plan], object] | None = None,
) -> LongPlan:
    """A plan with exactly `events` events, saved `SNAPSHOT_INTERVAL` at a time
    (`saved` is told of the plan after each save).

    Its events are dated back from now, a few minutes apart, so that the
    commands timed on it later come after them.
    """
    start = now() - timedelta(minutes=6 * events)
    plan = _created(people, start, "Ola – trivsel og lesing")
    writer = _LongPlanWriter(plan, people, start)
    writer.start()
    while plan.version < events:
        writer.step()
        if plan.version % SNAPSHOT_INTERVAL == 0:
            app.save(plan)
            if saved is not None:
                saved(plan)
    if plan.pending_events:
        app.save(plan)
        if saved is not None:
            saved(plan)
    return LongPlan(plan.id, writer.goals[0], plan.version)


def top_up(app: PlanApplication, people: People, plan_id: UUID) -> int:
    """Append events until the version is one short of a snapshot (99 mod 100).

    Saved in one go, so no snapshot is taken; a load then replays 99 events
    after the latest snapshot, the most it ever has to. Returns the version.
    """
    plan: object = app.repository.get(plan_id)
    assert isinstance(plan, Plan)
    writer = _LongPlanWriter(plan, people, now())
    writer.goals = list(plan.state.goals)
    writer.activities = dict(plan.state.activities)
    writer.minutes = list(plan.state.minutes)
    while plan.version % SNAPSHOT_INTERVAL != SNAPSHOT_INTERVAL - 1:
        writer.comment()
    app.save(plan)
    return plan.version
