"""The application tests that need no database, on the in-memory store (milliseconds).

The same test functions run on SQLite and PostgreSQL in tests/integration; here
the `plans` fixture is the plan application built by the composition root on the
library's POPO store (`memory://`), with the directory in an in-memory SQLite.
"""

from collections.abc import Iterator
from uuid import uuid4

import pytest

from stafett.applications.plans import PlanApplication
from stafett.bootstrap import build_plans
from stafett.settings import Settings
from tests.conftest import ManualClock
from tests.integration.test_permitted_view_stored import (
    test_a_stored_view_is_read_from_the_store_not_from_the_caller,
    test_stored_views_are_the_full_plan_filtered_by_the_rights_in_force,
)
from tests.integration.test_plan_application import (
    test_a_command_that_changes_nothing_returns_no_notification_id,
    test_a_plan_is_created_for_a_new_owner_who_is_registered_in_the_directory,
    test_a_plan_is_created_for_an_owner_already_in_the_directory,
    test_a_refused_command_leaves_the_cached_plan_untouched,
    test_a_refused_command_writes_nothing,
    test_a_stale_expected_version_is_refused_and_writes_nothing,
    test_a_stranger_with_a_stale_version_learns_nothing_about_the_plan,
    test_an_activity_revised_and_completed_in_one_go_is_saved_together_or_not_at_all,
    test_an_unknown_plan_is_not_found_by_commands_and_reads,
    test_creating_a_plan_by_an_unknown_person_is_refused_and_writes_nothing,
    test_creating_a_plan_for_an_owner_id_not_in_the_directory_names_the_owner,
    test_creating_a_plan_with_invalid_input_names_the_field_and_leaves_no_new_person,
    test_every_command_returns_its_new_version_and_notification_id,
    test_rights_and_responsibility_change_together_or_not_at_all,
    test_the_current_expected_version_is_accepted,
)

__all__ = [
    "test_a_command_that_changes_nothing_returns_no_notification_id",
    "test_a_plan_is_created_for_a_new_owner_who_is_registered_in_the_directory",
    "test_a_plan_is_created_for_an_owner_already_in_the_directory",
    "test_a_refused_command_leaves_the_cached_plan_untouched",
    "test_a_refused_command_writes_nothing",
    "test_a_stale_expected_version_is_refused_and_writes_nothing",
    "test_a_stored_view_is_read_from_the_store_not_from_the_caller",
    "test_a_stranger_with_a_stale_version_learns_nothing_about_the_plan",
    "test_an_activity_revised_and_completed_in_one_go_is_saved_together_or_not_at_all",
    "test_an_unknown_plan_is_not_found_by_commands_and_reads",
    "test_creating_a_plan_by_an_unknown_person_is_refused_and_writes_nothing",
    "test_creating_a_plan_for_an_owner_id_not_in_the_directory_names_the_owner",
    "test_creating_a_plan_with_invalid_input_names_the_field_and_leaves_no_new_person",
    "test_every_command_returns_its_new_version_and_notification_id",
    "test_rights_and_responsibility_change_together_or_not_at_all",
    "test_stored_views_are_the_full_plan_filtered_by_the_rights_in_force",
    "test_the_current_expected_version_is_accepted",
]


@pytest.fixture
def plans(clock: ManualClock) -> Iterator[PlanApplication]:
    app = build_plans(Settings(database_url="memory://"), clock=clock)
    try:
        yield app
    finally:
        app.close()


def test_the_in_memory_store_is_the_librarys_and_keeps_a_time_index(
    plans: PlanApplication, clock: ManualClock
) -> None:
    from eventsourcing.popo import POPOApplicationRecorder

    from stafett.applications.commands import SetGoal
    from tests.integration.support import new_plan

    assert isinstance(plans.recorder, POPOApplicationRecorder)
    made = new_plan(plans)
    first = clock()
    clock.advance()
    plans.handle(made.plan_id, SetGoal(title="Mål"), by=made.coordinator_id)
    assert plans.plan_as_of(made.plan_id, at=first).version == 1
    assert plans.plan_as_of(made.plan_id, at=clock()).version == 2


def test_on_the_in_memory_store_snapshots_name_chunks_kept_in_memory(
    plans: PlanApplication, clock: ManualClock
) -> None:
    from eventsourcing.application import Repository

    from stafett.aggregates.plan import Plan
    from stafett.applications.plans import SNAPSHOT_INTERVAL
    from stafett.applications.transcodings import PlanSnapshotTranscoder
    from stafett.persistence.log_chunks import MemoryLogChunks
    from tests.integration.test_snapshots_and_cache import write_plan

    plan = write_plan(plans, clock, SNAPSHOT_INTERVAL + 4)
    assert plans.snapshots is not None
    transcoder = plans.snapshots.mapper.transcoder
    assert isinstance(transcoder, PlanSnapshotTranscoder)
    assert isinstance(transcoder.chunks, MemoryLogChunks)
    from_snapshot: object = Repository(
        event_store=plans.events, snapshot_store=plans.snapshots
    ).get(plan.plan_id)
    assert isinstance(from_snapshot, Plan)
    assert from_snapshot.state.comments.undecoded_chunks() > 0
    cached: object = plans.repository.get(plan.plan_id)
    assert isinstance(cached, Plan)
    assert from_snapshot.state == cached.state


def test_an_item_as_a_form_was_opened_on_is_given_only_to_who_could_read_it_then(
    plans: PlanApplication,
) -> None:
    """A form's version is the sender's to choose: the comparison with the item as it
    stood then (decision 0038, field by field) must not answer for a version at which
    the sender could not read the item, or a guess could be checked against it."""
    from stafett.aggregates.values import Access, Rights
    from stafett.applications.commands import ChangeParticipant, ReviseGoal, SetGoal
    from stafett.applications.parts import RightsIn
    from tests.integration.support import add_provider, new_plan

    made = new_plan(plans)
    helga, helga_pid = add_provider(plans, made, "Helga", "Helsesykepleier")
    kari = made.coordinator_id
    plans.handle(
        made.plan_id,
        ChangeParticipant(participant_id=helga_pid, rights=RightsIn.of(Rights(goals=Access.NONE))),
        by=kari,
    )
    goal = plans.handle(made.plan_id, SetGoal(title="Skjult mål"), by=kari).created_id
    assert goal is not None
    hidden = plans.get_plan(made.plan_id).version
    plans.handle(made.plan_id, ReviseGoal(goal_id=goal, title="Nytt navn"), by=kari)
    plans.handle(
        made.plan_id,
        ChangeParticipant(participant_id=helga_pid, rights=RightsIn.of(Rights())),
        by=kari,
    )
    shown = plans.get_plan(made.plan_id).version

    assert plans.item_as_of(made.plan_id, goal, hidden, reader=helga) is None
    assert plans.item_as_of(made.plan_id, goal, hidden, reader=kari) is not None
    seen = plans.item_as_of(made.plan_id, goal, shown, reader=helga)
    assert seen is not None
    assert getattr(seen, "title", None) == "Nytt navn"
    assert plans.item_as_of(made.plan_id, goal, shown, reader=uuid4()) is None
