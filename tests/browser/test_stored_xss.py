"""Stored XSS: the corpus (xss.py) typed into everything a person can name or write, then
every page that shows it, as the coordinator and as a parent, each held to `assert_inert`.

The texts go in through the application services (the forms that take them have
tests of their own), one write per payload and kind, so a payload the text rule
refuses is refused alone and recorded:

- per payload, a plan whose short name and owner's names are the payload, holding a
  new person named by it (names, workplace, position, address, responsibility);
  the person also joins the main plan, and an account is named by it too;
- in the main plan, per payload: a goal (title, description, evaluation, a comment),
  an activity, minutes, a message to everyone, a calendar entry, and a read in the
  access log by the payload's person.

Then the coordinator (also an organisation administrator) visits the plan list, the
main plan's home, plan, participants, history (also as of today), access log and
manage pages, the reports and the user administration, and each payload's person
on their own plan's details page (the edit form: the payload in `value` attributes,
the page title and the plan's heading); the parent visits what a parent may see.
Every payload with an HTML-special character must be stored and shown as typed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from uuid import UUID

import pytest
from playwright.sync_api import Page

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.person import PersonDetails
from stafett.aggregates.values import CommentTarget, GoalStatus, local_date
from stafett.applications.commands import (
    AddActivity,
    AddCalendarEntry,
    AddParticipant,
    EvaluateGoal,
    PlanCommand,
    PostComment,
    RecordMinutes,
    SendMessage,
    SetGoal,
)
from stafett.applications.parts import CommentOn, PersonIn
from tests.browser.harness import LiveServer, User, Watch, sign_in
from tests.browser.xss import CORPUS, RTL_OVERRIDE, Payload, assert_inert, shown_verbatim

KINDS = (
    "plan",  # short name and owner's names
    "person",  # a new participant's names, workplace, position, address, responsibility
    "account",  # an account's names (the user administration)
    "goal",  # title, description, evaluation
    "comment",
    "activity",
    "minutes",
    "message",
    "calendar",
)
HTML_SPECIAL = frozenset(p.name for p in CORPUS if any(c in p.text for c in "<>\"'&"))
OVERRIDES = frozenset(p.name for p in CORPUS if RTL_OVERRIDE in p.text)


@dataclass
class Corpus:
    kari: User  # the coordinator, also an organisation administrator
    anne: User  # a parent, with every right
    main: UUID  # the plan that holds every payload as its content
    pages: dict[str, str] = field(default_factory=dict)  # payload → its own page
    stored: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    refused: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})

    def write(self, kind: str, payload: Payload, write: Callable[[], UUID]) -> UUID | None:
        """The write, recorded as stored, or as refused by the text rule."""
        try:
            made = write()
        except ValidationError:
            self.refused[kind].add(payload.name)
            return None
        self.stored[kind].add(payload.name)
        return made

    def texts(self, kind: str) -> list[str]:
        return [p.text for p in CORPUS if p.name in self.stored[kind]]


@dataclass
class Writer:
    """Writes each payload in every kind, as the coordinator, through the services."""

    live: LiveServer
    corpus: Corpus
    anne_pid: UUID
    plain_minutes: UUID  # where a comment goes when the goal was refused

    def run(self, plan_id: UUID, command: PlanCommand) -> UUID:
        by = self.corpus.kari.person_id
        created = self.live.built.plans.handle(plan_id, command, by=by).created_id
        assert created is not None
        return created

    def make_and_run(self, plan_id: UUID, command: Callable[[], PlanCommand]) -> UUID:
        return self.run(plan_id, command())

    def own_plan(self, number: int, payload: Payload) -> UUID:
        """A plan named by the payload (owner too), with the parent in it."""
        live, kari, text = self.live, self.corpus.kari, payload.text
        own = self.corpus.write(
            "plan",
            payload,
            lambda: live.create_plan(kari, short_name=text, owner_first=text, owner_last=text),
        ) or live.create_plan(kari, short_name=f"Reserveplan {number}")
        live.add_participant(own, self.corpus.anne, by=kari)
        self.corpus.pages[payload.name] = f"/plans/{own}"
        return own

    def person(self, own: UUID, payload: Payload) -> None:
        """A new person named by the payload in its own plan; then in the main plan too,
        where they read it (the access log names them)."""
        text, main = payload.text, self.corpus.main
        details = PersonDetails(
            first_name=text,
            last_name=text,
            workplace=text,
            position=text,
            street_address=text,
            place=text,
        )

        def add() -> UUID:  # the details are checked as they become the command
            person = PersonIn.of(details)
            return self.run(
                own, AddParticipant(person=person, role="provider", responsibility=text)
            )

        pid = self.corpus.write("person", payload, add)
        if pid is None:
            return
        self.corpus.pages[payload.name] = f"/plans/{own}/participants/{pid}"
        person_id = self.live.built.plans.member_person(own, pid)
        joined = self.run(
            main,
            AddParticipant(person=PersonIn.of(person_id), role="provider", responsibility=text),
        )
        self.live.built.access_log.record(
            main,
            reader_person_id=person_id,
            role="provider",
            sections=["overview"],
            grounds=f"participant:{joined}",
        )

    def content(self, number: int, payload: Payload) -> None:
        """The payload as the main plan's goal, comment, activity, minutes, message and
        calendar entry, and as an account's names."""
        live, corpus, text, main = self.live, self.corpus, payload.text, self.corpus.main
        corpus.write(
            "account",
            payload,
            lambda: live.new_user("xss", first_name=text, last_name=text).person_id,
        )
        goal = corpus.write(
            "goal", payload, lambda: self.run(main, SetGoal(title=text, description=text))
        )
        if goal is not None:  # the goal stored, so is its evaluation
            evaluation = EvaluateGoal(goal_id=goal, status=GoalStatus.ACTIVE, text=text)
            live.built.plans.handle(main, evaluation, by=corpus.kari.person_id)
        target = CommentOn(kind=CommentTarget.GOAL, id=goal) if goal else None
        target = target or CommentOn(kind=CommentTarget.MINUTES, id=self.plain_minutes)
        today = local_date(live.built.plans.clock())
        starts = live.built.plans.clock() + timedelta(days=1 + number)
        # Made as they are written: a command checks its texts as it is made.
        writes: dict[str, Callable[[], PlanCommand]] = {
            "comment": lambda: PostComment(on=target, text=text),
            "activity": lambda: AddActivity(
                title=text, description=text, responsible_participant_id=self.anne_pid
            ),
            "minutes": lambda: RecordMinutes(
                met_on=today, attendee_ids=[self.anne_pid], notes=text, decisions=text
            ),
            "message": lambda: SendMessage(to="all", subject=text, body=text),
            "calendar": lambda: AddCalendarEntry(
                title=text, starts_at=starts, ends_at=starts + timedelta(hours=1), location=text
            ),
        }
        for kind, command in writes.items():
            corpus.write(kind, payload, partial(self.make_and_run, main, command))


def _furnish(live: LiveServer) -> Corpus:
    plans = live.built.plans
    kari = live.new_user("koordinator", first_name="Kari", coordinator=True, org_admin=True)
    anne = live.new_user("forelder", first_name="Anne", last_name="Nordmann")
    main = live.create_plan(kari, short_name="Hovedplanen")
    anne_pid = live.add_participant(main, anne, by=kari)
    kari_pid = plans.get_plan(main).coordinator_participant_id
    # Anne was here before anything was written: her home lists what is new.
    assert live.built.plan_list is not None
    live.built.plan_list.note_visit(anne.person_id, main, plans.clock() - timedelta(minutes=1))
    corpus = Corpus(kari, anne, main)
    first = RecordMinutes(
        met_on=local_date(plans.clock()), attendee_ids=[kari_pid, anne_pid], notes="Oppstart."
    )
    minutes = plans.handle(main, first, by=kari.person_id).created_id
    assert minutes is not None
    writer = Writer(live, corpus, anne_pid, minutes)
    for number, payload in enumerate(CORPUS):
        writer.person(writer.own_plan(number, payload), payload)
        writer.content(number, payload)
    live.settle()
    return corpus


@pytest.fixture(scope="module")
def corpus(live: LiveServer) -> Corpus:
    return _furnish(live)


def visit(page: Page, watch: Watch, path: str) -> None:
    answer = page.goto(path)
    assert answer is not None
    assert answer.status == 200, f"{path}: {answer.status}"
    assert_inert(page, watch)


def test_what_the_text_rule_stores_and_refuses(corpus: Corpus) -> None:
    """Every HTML-special payload is stored in every kind; only a text-direction
    override is refused (the text rule's one refusal in this corpus)."""
    for kind in KINDS:
        assert corpus.stored[kind] >= HTML_SPECIAL, (kind, HTML_SPECIAL - corpus.stored[kind])
        assert corpus.refused[kind] == OVERRIDES, (kind, corpus.refused[kind])
        assert corpus.stored[kind] | corpus.refused[kind] == {p.name for p in CORPUS}


def test_every_page_the_coordinator_sees_keeps_the_corpus_inert(
    page: Page, live: LiveServer, watch: Watch, corpus: Corpus
) -> None:
    sign_in(page, live, corpus.kari)
    assert_inert(page, watch)
    for text in corpus.texts("plan"):
        assert shown_verbatim(page, text), f"plan list: {text!r}"
    main = f"/plans/{corpus.main}"
    today = local_date(live.built.plans.clock()).isoformat()
    for path in (main, f"{main}/participants", f"{main}/access-log", f"{main}/manage"):
        visit(page, watch, path)
    visit(page, watch, f"{main}/plan")
    for text in corpus.texts("goal") + corpus.texts("activity") + corpus.texts("message"):
        assert shown_verbatim(page, text), f"the plan: {text!r}"
    visit(page, watch, f"{main}/history")
    visit(page, watch, f"{main}/history?on={today}")
    for text in corpus.texts("minutes"):
        assert shown_verbatim(page, text), f"the plan as it stood: {text!r}"
    visit(page, watch, "/reports")
    visit(page, watch, "/admin")
    for text in corpus.texts("account"):
        assert shown_verbatim(page, f"{text} {text}"), f"the users: {text!r}"
    for payload in CORPUS:
        visit(page, watch, corpus.pages[payload.name])
        if payload.name in corpus.stored["person"]:
            name = page.locator("#f-first_name")  # in the edit form, as typed
            assert name.input_value() == payload.text
            assert payload.text in page.title()
            name.focus()  # an injected autofocus/onfocus would fire now
            assert_inert(page, watch)


def test_every_page_a_parent_sees_keeps_the_corpus_inert(
    page: Page, live: LiveServer, watch: Watch, corpus: Corpus
) -> None:
    sign_in(page, live, corpus.anne)
    assert_inert(page, watch)
    main = f"/plans/{corpus.main}"
    visit(page, watch, main)
    for text in corpus.texts("activity"):
        assert shown_verbatim(page, text), f"my activities: {text!r}"
    for path in (f"{main}/participants", f"{main}/access-log"):
        visit(page, watch, path)
    for text in corpus.texts("person"):
        assert shown_verbatim(page, text), f"the access log: {text!r}"
    visit(page, watch, f"{main}/plan")
    for text in corpus.texts("comment") + corpus.texts("minutes"):
        assert shown_verbatim(page, text), f"the plan: {text!r}"
    for payload in CORPUS:
        visit(page, watch, corpus.pages[payload.name])
        if payload.name in corpus.stored["person"]:
            assert shown_verbatim(page, payload.text)  # as text, not in a form
            assert page.locator("#f-first_name").count() == 0
