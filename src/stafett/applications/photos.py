"""Persons' photos: who may replace, remove and see one (product item 8, "bytt bilde").

A photo is the person's, like their details, and lives in the person directory
(decision 0002), never in a plan's events. In a plan it is changed by those who may
edit the participant's person details (the policy table's `EDIT_PERSON`, asked
before anything else is done) and seen by everyone who may open the plan, like the
details the person shares across plans; the person themself changes and sees their
own from My profile. Every upload is re-encoded first (`photo_encoding.reencode`),
so a refused upload stores nothing.
"""

from dataclasses import dataclass
from uuid import UUID

import structlog

from stafett.aggregates.errors import NotFoundError
from stafett.aggregates.policy import Action
from stafett.applications.photo_encoding import Photo, reencode
from stafett.applications.plans import PlanApplication
from stafett.persistence.directory import StoredPhoto

__all__ = ["NoPhotoError", "PersonPhotos", "Photo", "StoredPhoto"]

log = structlog.get_logger(__name__)


class NoPhotoError(NotFoundError):
    """The person has no photo (or is no longer in the directory)."""


@dataclass(frozen=True, slots=True)
class PersonPhotos:
    plans: PlanApplication

    # -------------------------------------------------------------- in a plan

    def replace_in_plan(
        self, plan_id: UUID, participant_id: UUID, upload: bytes, *, by: UUID
    ) -> Photo:
        """A participant's new photo, by someone who may edit their person details."""
        self.plans.authorize(plan_id, by=by, action=Action.EDIT_PERSON)
        person_id = self.plans.member_person(plan_id, participant_id)
        return self._replace(person_id, upload, by=by)

    def remove_in_plan(self, plan_id: UUID, participant_id: UUID, *, by: UUID) -> None:
        self.plans.authorize(plan_id, by=by, action=Action.EDIT_PERSON)
        self._remove(self.plans.member_person(plan_id, participant_id), by=by)

    def of_participant(self, plan_id: UUID, participant_id: UUID, *, by: UUID) -> StoredPhoto:
        """A participant's photo, for anyone who may open the plan (they see the member)."""
        self.plans.authorize(plan_id, by=by, action=Action.OPEN)
        return self._photo(self.plans.member_person(plan_id, participant_id))

    # ------------------------------------------------------------- my own

    def replace_own(self, person_id: UUID, upload: bytes) -> Photo:
        return self._replace(person_id, upload, by=person_id)

    def remove_own(self, person_id: UUID) -> None:
        self._remove(person_id, by=person_id)

    def own(self, person_id: UUID) -> StoredPhoto:
        return self._photo(person_id)

    def has_photo(self, person_id: UUID) -> bool:
        """Whether a person the caller already sees has a photo (to show it or not)."""
        return self.plans.directory.has_photo(person_id)

    # ------------------------------------------------------------- helpers

    def _replace(self, person_id: UUID, upload: bytes, *, by: UUID) -> Photo:
        photo = reencode(upload)
        stored = StoredPhoto(photo.data, photo.media_type, photo.width, photo.height)
        try:
            self.plans.directory.set_photo(person_id, stored, actor_id=by, at=self.plans.clock())
        except KeyError:
            raise NoPhotoError("the person is no longer in the directory") from None
        log.info("person_photo_changed", actor=str(by), person=str(person_id))
        return photo

    def _remove(self, person_id: UUID, *, by: UUID) -> None:
        if self.plans.directory.remove_photo(person_id, actor_id=by, at=self.plans.clock()):
            log.info("person_photo_removed", actor=str(by), person=str(person_id))

    def _photo(self, person_id: UUID) -> StoredPhoto:
        photo = self.plans.directory.photo(person_id)
        if photo is None:
            raise NoPhotoError("no photo")
        return photo
