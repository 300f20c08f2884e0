"""The plan list's batched catch-up (decision 0027): many events, one transaction.

A batch writes what its events change with the LAST event's position, or nothing:
a batch that fails part-way leaves neither rows nor position behind, a batch reaching
back to what the view already has is refused whole, a runner resumes after the last
batch, and batches of any size give the rows that one event at a time gives.
"""

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Notification, Tracking
from structlog.testing import capture_logs

from stafett.aggregates.plan import COMMENT_SECTION, Plan
from stafett.aggregates.values import Access, CommentTarget, Rights
from stafett.applications.commands import (
    AddActivity,
    ChangeParticipant,
    ChooseNotifications,
    PostComment,
    ResetConsent,
    SendMessage,
    SetGoal,
)
from stafett.applications.parts import CommentOn, RightsIn
from stafett.applications.plans import PlanApplication
from stafett.bootstrap import plan_list_runner
from stafett.persistence.background import Backoff
from stafett.projections.heads import Addressed, EventHead, event_class, head_of
from stafett.projections.plan_list import (
    APPLICATION_NAME,
    PlanListProjection,
    PlanListView,
)
from stafett.projections.plan_list.sql import PlanListSQL
from stafett.settings import Settings
from tests.conftest import ManualClock
from tests.integration.support import FailingUntilReleased, eventually
from tests.integration.test_plan_list import make_group
from tests.integration.test_plan_list_runner import varied_history

WAIT_SECONDS = 60.0  # an upper bound for a loaded 2-core machine, not a speed goal
FAST = Backoff(first=0.01, factor=2.0, cap=0.05)


def notifications(plans: PlanApplication) -> list[Notification]:
    return list(plans.recorder.select_notifications(0, 10_000, topics=PlanListProjection.topics))


def in_batches(
    projection: PlanListProjection,
    plans: PlanApplication,
    stored: Sequence[Notification],
    size: int,
) -> None:
    """Every notification through the projection, `size` to a batch, as the runner does."""
    for at in range(0, len(stored), size):
        one_batch(projection, plans, stored[at : at + size])


def one_batch(
    projection: PlanListProjection,
    plans: PlanApplication,
    stored: Sequence[Notification],
    then: Callable[[], None] = lambda: None,
) -> None:
    """The notifications in one batch, then `then()` before the batch ends."""
    with projection.batch():
        for n in stored:
            projection.process_event(projection.decode(n, plans.mapper), Tracking(plans.name, n.id))
        then()


def one_at_a_time(projection: PlanListProjection, plans: PlanApplication) -> None:
    for n in notifications(plans):
        event = plans.mapper.to_domain_event(n)
        projection.process_event(event, Tracking(plans.name, n.id))


def rich_history(plans: PlanApplication, clock: ManualClock) -> None:
    """`varied_history`, then content between other changes of one plan, so a batch
    keeps stamps (and the parts they date) that later writes to the same plan must not
    lose."""
    varied_history(plans, clock)
    group = make_group(plans, short_name="Fjerde")
    for hour in range(3):
        clock.advance(timedelta(hours=1))
        goal = plans.handle(group.plan_id, SetGoal(title=f"Mål {hour}"), by=group.coordinator)
        plans.handle(
            group.plan_id, SendMessage(to="all", subject="Hei", body="Ja"), by=group.coordinator
        )
        assert goal.created_id is not None
        on_goal = CommentOn(kind=CommentTarget.GOAL, id=goal.created_id)
        plans.handle(group.plan_id, PostComment(on=on_goal, text="Bra"), by=group.coordinator)
        plans.handle(
            group.plan_id,
            AddActivity(
                title=f"Gjøre {hour}", responsible_participant_id=group.relative_participant
            ),
            by=group.coordinator,
        )
        plans.handle(
            group.plan_id,
            ChangeParticipant(
                participant_id=group.provider_participant,
                rights=RightsIn.of(Rights(goals=Access.NONE if hour % 2 else Access.READ)),
            ),
            by=group.coordinator,
        )
        plans.handle(
            group.plan_id,
            ChooseNotifications(participant_id=group.relative_participant, new_message=["sms"]),
            by=group.coordinator,
        )
        plans.handle(group.plan_id, SetGoal(title=f"Mer {hour}"), by=group.coordinator)
    plans.handle(group.plan_id, ResetConsent(), by=group.coordinator)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 10_000])
def test_batches_of_any_size_give_the_rows_of_one_event_at_a_time(
    plans: PlanApplication, view: PlanListView, clock: ManualClock, size: int
) -> None:
    rich_history(plans, clock)
    one_at_a_time(PlanListProjection(view), plans)
    expected = view.rows()
    view.reset()
    stored = notifications(plans)
    projection = PlanListProjection(view)
    in_batches(projection, plans, stored, size)
    assert view.rows() == expected
    assert view.max_tracking_id(APPLICATION_NAME) == stored[-1].id
    assert projection.processed == len(stored)


def test_a_batch_that_raises_part_way_writes_nothing_and_keeps_the_position(
    plans: PlanApplication, view: PlanListView, clock: ManualClock
) -> None:
    varied_history(plans, clock)
    stored = notifications(plans)
    projection = PlanListProjection(view)
    in_batches(projection, plans, stored[:4], 4)
    before, position = view.rows(), view.max_tracking_id(APPLICATION_NAME)

    def killed() -> None:
        raise RuntimeError("killed before the batch ended")

    with pytest.raises(RuntimeError, match="killed"):
        one_batch(projection, plans, stored[4:], then=killed)
    assert view.rows() == before
    assert view.max_tracking_id(APPLICATION_NAME) == position == stored[3].id
    assert projection.processed == 4  # the lost batch is not counted


def test_a_batch_whose_transaction_fails_half_way_leaves_no_row_behind(
    plans: PlanApplication, view: PlanListView, clock: ManualClock
) -> None:
    """A statement in the middle of the batch fails in the database: the statements
    before it, already executed in the transaction, are rolled back with it."""
    varied_history(plans, clock)
    stored = notifications(plans)
    projection = PlanListProjection(view)
    created = plans.mapper.to_domain_event(stored[0])
    assert isinstance(created, Plan.Created)
    last = stored[-1].id

    def created_again() -> None:  # its row exists by now, in this very transaction
        projection.process_event(created, Tracking(plans.name, last + 1))

    with pytest.raises(IntegrityError):
        one_batch(projection, plans, stored[:5], then=created_again)
    assert view.rows() == {name: [] for name in view.rows()}
    assert view.max_tracking_id(APPLICATION_NAME) is None


def test_a_batch_reaching_back_into_the_view_is_refused_whole(
    plans: PlanApplication, view: PlanListView, clock: ManualClock
) -> None:
    rich_history(plans, clock)
    stored = notifications(plans)
    # the view's position: an event that could be applied twice without a key conflict
    at = next(i for i, n in enumerate(stored) if event_class(n) is Plan.GoalSet)
    projection = PlanListProjection(view)
    in_batches(projection, plans, stored[: at + 1], 10_000)
    before = view.rows()
    for again in (stored[: at + 1], stored[at - 2 : at + 1], stored[at:]):
        with pytest.raises(IntegrityError):  # the same, inside, overlapping
            one_batch(projection, plans, again)
        assert view.rows() == before
        assert view.max_tracking_id(APPLICATION_NAME) == stored[at].id
    in_batches(projection, plans, stored[at + 1 :], 10_000)  # what follows still goes in
    assert view.max_tracking_id(APPLICATION_NAME) == stored[-1].id


def test_the_runner_catches_up_a_page_in_one_transaction_and_resumes_after_it(
    plans: PlanApplication,
    view: PlanListView,
    settings: Settings,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    commits: list[int] = []
    commit = PlanListSQL._commit

    def counted(self: PlanListSQL, tracking: Tracking, writes: Any, **kw: Any) -> None:
        commit(self, tracking, writes, **kw)
        commits.append(tracking.notification_id)

    monkeypatch.setattr(PlanListSQL, "_commit", counted)
    varied_history(plans, clock)
    first = notifications(plans)
    env = settings.event_store_env()
    with plan_list_runner(env) as runner:
        runner.wait(first[-1].id, timeout=WAIT_SECONDS)
        assert runner.projection.processed == len(first)  # type: ignore[attr-defined]
    assert commits == [first[-1].id]  # every event of the page, one transaction

    rich_history(plans, clock)
    later = notifications(plans)[len(first) :]
    with plan_list_runner(env) as runner:
        runner.wait(later[-1].id, timeout=WAIT_SECONDS)
        assert runner.projection.processed == len(later)  # type: ignore[attr-defined]
    assert commits == [first[-1].id, later[-1].id]
    caught_up = view.rows()
    view.reset()
    one_at_a_time(PlanListProjection(view), plans)
    assert view.rows() == caught_up


def test_a_bad_event_in_a_batch_stops_it_there_and_is_retried_alone(
    plans: PlanApplication,
    view: PlanListView,
    settings: Settings,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    varied_history(plans, clock)
    ids = [n.id for n in notifications(plans)]
    poison = ids[len(ids) // 2]
    failing = FailingUntilReleased(monkeypatch, lambda _, t: t.notification_id == poison)
    with capture_logs() as logs, plan_list_runner(settings.event_store_env(), backoff=FAST):
        eventually(lambda: (f := view.fault()) is not None and f.attempts >= 2)
        # the events before it are in (from the same page, before the poison failed)
        assert view.max_tracking_id(APPLICATION_NAME) == ids[ids.index(poison) - 1]
        failing.released.set()
        eventually(lambda: view.max_tracking_id(APPLICATION_NAME) == ids[-1])
    assert failing.applied == dict.fromkeys(ids, 1)  # each once: none twice, none skipped
    failed = [e for e in logs if e["event"] == "projection_event_failed"]
    assert len(failed) == failing.failures
    assert {e["notification_id"] for e in failed} == {poison}
    assert view.fault() is None


def test_a_head_is_read_only_where_the_stored_json_has_it(plans: PlanApplication) -> None:
    group = make_group(plans)
    plans.handle(group.plan_id, SetGoal(title="Lese"), by=group.coordinator)
    stored = notifications(plans)[-1]
    event = plans.mapper.to_domain_event(stored)
    assert isinstance(event, Plan.Event)
    cls = event_class(stored)
    assert cls is type(event)
    assert head_of(stored, cls) == EventHead(
        cls, event.originator_id, event.originator_version, event.timestamp
    )
    for state in (b"not json", b'{"title": "x"}', b'{"timestamp": "2026-03-02"}'):
        broken = Notification(
            id=stored.id,
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=state,
        )
        assert head_of(broken, cls) is None


def test_only_events_that_tell_the_list_a_stamp_are_read_as_heads(
    plans: PlanApplication, view: PlanListView, clock: ManualClock
) -> None:
    rich_history(plans, clock)
    projection = PlanListProjection(view)
    kinds: dict[str, set[bool]] = {}
    for n in notifications(plans):
        decoded = projection.decode(n, plans.mapper)
        name = event_class(n).__name__
        kinds.setdefault(name, set()).add(isinstance(decoded, EventHead))
        event: Any = plans.mapper.to_domain_event(n)
        if name == "MessageSent":  # its head carries what the list is told: who and to whom
            message = event.message
            assert decoded.told == Addressed(message.sender_participant_id, message.recipient_ids)
            assert decoded.timestamp == event.timestamp
        if name == "CommentPosted":  # and a comment's the section of the item it is on
            assert decoded.told == COMMENT_SECTION[event.comment.on_kind]
    assert kinds["GoalSet"] == {True}
    assert kinds["MessageSent"] == {True}
    assert kinds["CommentPosted"] == {True}
    for whole in ("Created", "ParticipantAdded", "ConsentRenewed", "Closed"):
        assert kinds[whole] == {False}, whole


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)
