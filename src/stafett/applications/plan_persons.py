"""The person directory as the plan application offers it: registering, finding and
reading persons, and running a plan command for a person registered for it alone."""

from collections.abc import Callable, Iterable
from datetime import date, datetime
from uuid import UUID

from stafett.aggregates.consent_age import has_reached, of_age_on
from stafett.aggregates.errors import ConflictingValueError, Refusal
from stafett.aggregates.person import Person, PersonDetails
from stafett.aggregates.values import local_date
from stafett.applications.results import CommandResult, PersonNotFoundError, PersonRegistered
from stafett.persistence.directory import PersonDirectory


class PlanPersons:
    """The persons of the plan application (its `directory`, on its `clock`)."""

    directory: PersonDirectory
    clock: Callable[[], datetime]
    consent_age: int

    def register_person(self, details: PersonDetails, *, by: UUID | None) -> PersonRegistered:
        now = self.clock()
        checked = details.validated(today=local_date(now))
        person, duplicates = self.directory.register(checked, actor_id=by, at=now)
        return PersonRegistered(person.person_id, tuple(duplicates))

    def get_person(self, person_id: UUID) -> Person:
        try:
            return self.directory.get(person_id)
        except KeyError:
            raise PersonNotFoundError("no such person") from None

    def owner_of_age(self, owner_person_id: UUID, day: date) -> bool | None:
        """Whether a plan's owner has reached the consent age on `day` (decision 0055);
        None when their birth date is not known, or they are no longer in the directory."""
        return has_reached(self._born(owner_person_id), day, self.consent_age)

    def owner_of_age_on(self, owner_person_id: UUID) -> date | None:
        """The day a plan's owner reaches (or reached) the consent age (decision 0056);
        None when their birth date is not known, or they are no longer in the directory."""
        born = self._born(owner_person_id)
        return None if born is None else of_age_on(born, self.consent_age)

    def owners_of_age_on(self, person_ids: Iterable[UUID]) -> dict[UUID, date | None]:
        """`owner_of_age_on` of many persons, read from the directory in one go (the
        notice process asks it for every plan a batch reschedules); one not found: None."""
        found = self.directory.get_many(person_ids)
        return {
            person_id: None if born is None else of_age_on(born, self.consent_age)
            for person_id, person in found.items()
            for born in (person.details.birth_date,)
        }

    def _born(self, person_id: UUID) -> date | None:
        try:
            return self.directory.get(person_id).details.birth_date
        except KeyError:
            return None

    def find_persons(self, text: str) -> list[Person]:
        return self.directory.find_by_name(text)

    def likely_duplicates(self, details: PersonDetails) -> list[Person]:
        """Who `register_person` would report for `details` (the same name and birth
        date), asked before registering; the details are checked as registering would."""
        checked = details.validated(today=local_date(self.clock()))
        found = self.directory.get_many(self.directory.likely_duplicates(checked))
        return sorted(found.values(), key=lambda p: (p.details.last_name, p.details.first_name))

    def _person_ref(self, ref: UUID | PersonDetails, by: UUID, field: str) -> tuple[UUID, bool]:
        """The id of an existing person, or of one registered now (then True)."""
        if isinstance(ref, UUID):
            try:
                self.directory.get(ref)
            except KeyError:
                raise ConflictingValueError(
                    field, "no such person", Refusal.NOT_IN_DIRECTORY
                ) from None
            return ref, False
        return self.register_person(ref, by=by).person_id, True

    def _with_new_person(
        self, ref: UUID | PersonDetails, by: UUID, field: str, act: Callable[[UUID], CommandResult]
    ) -> CommandResult:
        """Run `act` for a person; a person registered for it is erased again if it fails."""
        person_id, is_new = self._person_ref(ref, by, field)
        try:
            return act(person_id)
        except BaseException:
            if is_new:
                self.directory.erase(person_id, actor_id=by, at=self.clock(), kind="withdrawn")
            raise
