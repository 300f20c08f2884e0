"""Persons' photos in the directory's database, on SQLite and PostgreSQL.

The photo is a row of its own next to the person's: replaced and removed on its own,
logged by field name only (never the bytes), erased with the person. In a plan the
policy table decides who may change it (`EDIT_PERSON`) before anything is read or
stored.
"""

from uuid import uuid4

import pytest

from stafett.aggregates.errors import NotAParticipantError, NotPermittedError
from stafett.aggregates.values import Rights
from stafett.applications.commands import AddParticipant
from stafett.applications.parts import PersonIn, RightsIn
from stafett.applications.photo_encoding import NotAnImageError
from stafett.applications.photos import NoPhotoError, PersonPhotos
from stafett.applications.plans import PlanApplication
from stafett.persistence.directory import DETAIL_FIELDS
from tests.conftest import ManualClock
from tests.images import TEXT_FILE, camera_jpeg, opened, png
from tests.integration.support import count_rows, new_plan, register


def test_a_photo_is_stored_replaced_and_removed_with_a_log_that_holds_no_bytes(
    plans: PlanApplication,
) -> None:
    photos = PersonPhotos(plans)
    anne = register(plans, "Anne", "Nordmann")
    assert not photos.has_photo(anne)

    first = photos.replace_own(anne, camera_jpeg())
    assert photos.has_photo(anne)
    assert photos.own(anne).data == first.data
    second = photos.replace_own(anne, png(120, 80))
    stored = photos.own(anne)
    assert stored.data == second.data != first.data
    assert (stored.width, stored.height, stored.media_type) == (120, 80, "image/jpeg")
    assert opened(stored.data).size == (120, 80)
    assert count_rows(plans, "person_photos") == 1

    photos.remove_own(anne)
    photos.remove_own(anne)  # nothing left to remove: not logged again
    with pytest.raises(NoPhotoError):
        photos.own(anne)
    assert count_rows(plans, "person_photos") == 0
    assert plans.directory.changes_of(anne) == [
        ("registered", DETAIL_FIELDS),
        ("photo_changed", ("photo",)),
        ("photo_changed", ("photo",)),
        ("photo_removed", ("photo",)),
    ]


def test_erasing_a_person_erases_the_photo(plans: PlanApplication, clock: ManualClock) -> None:
    photos = PersonPhotos(plans)
    anne = register(plans, "Anne", "Nordmann")
    kari = register(plans, "Kari", "Hansen")
    photos.replace_own(anne, camera_jpeg())
    photos.replace_own(kari, png())

    plans.directory.erase(anne, actor_id=None, at=clock.now, kind="erased")

    assert not photos.has_photo(anne)
    assert photos.has_photo(kari)
    assert count_rows(plans, "person_photos") == 1
    assert plans.directory.changes_of(anne)[-1] == ("erased", (*DETAIL_FIELDS, "photo"))
    with pytest.raises(NoPhotoError):  # and no photo can be given to an erased person
        photos.replace_own(anne, png())
    assert count_rows(plans, "person_photos") == 1


def test_a_refused_upload_stores_and_logs_nothing(plans: PlanApplication) -> None:
    photos = PersonPhotos(plans)
    anne = register(plans, "Anne", "Nordmann")
    photos.replace_own(anne, png())
    before = (photos.own(anne), plans.directory.changes_of(anne))

    with pytest.raises(NotAnImageError):
        photos.replace_own(anne, TEXT_FILE)

    assert (photos.own(anne), plans.directory.changes_of(anne)) == before


def test_in_a_plan_the_policy_table_decides_before_the_upload_is_read(
    plans: PlanApplication,
) -> None:
    photos = PersonPhotos(plans)
    plan = new_plan(plans)
    anne = register(plans, "Anne", "Nordmann")
    per = register(plans, "Per", "Helse")
    added = plans.handle(
        plan.plan_id,
        AddParticipant(person=PersonIn(person_id=anne), role="relative"),
        by=plan.coordinator_id,
    )
    helper = RightsIn.of(Rights(edit_person=True))
    plans.handle(
        plan.plan_id,
        AddParticipant(person=PersonIn(person_id=per), role="provider", rights=helper),
        by=plan.coordinator_id,
    )
    anne_pid = added.created_id
    assert anne_pid is not None

    with pytest.raises(NotPermittedError):  # a relative without the right, even with garbage
        photos.replace_in_plan(plan.plan_id, anne_pid, TEXT_FILE, by=anne)
    assert not photos.has_photo(anne)

    photos.replace_in_plan(plan.plan_id, anne_pid, camera_jpeg(), by=per)  # edit_person
    assert photos.of_participant(plan.plan_id, anne_pid, by=anne).data == photos.own(anne).data
    photos.remove_in_plan(plan.plan_id, anne_pid, by=plan.coordinator_id)
    assert not photos.has_photo(anne)
    assert plans.directory.changes_of(anne)[-2:] == [
        ("photo_changed", ("photo",)),
        ("photo_removed", ("photo",)),
    ]


def test_someone_outside_the_plan_learns_nothing(plans: PlanApplication) -> None:
    photos = PersonPhotos(plans)
    plan = new_plan(plans)
    stranger = register(plans, "Ute", "Fremmed")
    photos.replace_own(plan.owner_id, png())
    owner_pid = plans.get_plan(plan.plan_id).participants[1].participant_id

    with pytest.raises(NotAParticipantError):
        photos.of_participant(plan.plan_id, owner_pid, by=stranger)
    with pytest.raises(NotAParticipantError):
        photos.replace_in_plan(plan.plan_id, uuid4(), png(), by=stranger)
