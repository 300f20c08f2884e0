"""The person directory: a mutable table plus a change log, on SQLite or PostgreSQL.

It shares the plan application's datastore (connection pool), and so its
database file or schema, but keeps its own tables. The change log records who
changed which fields of whom and when — never the values — so erasing a person
deletes their personal data and leaves an accountable trail.

A person's photo is a row of its own (`person_photos`: our re-encoded JPEG, never
the upload), replaced and removed on its own, logged as `photo_changed` and
`photo_removed` with the field `photo` (never the bytes), and erased with the person.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from stafett.aggregates.person import Person, PersonDetails
from stafett.persistence.recorders import to_micros
from stafett.persistence.sql import SqlTables, Table, escape_like

DETAIL_FIELDS = tuple(f.name for f in fields(PersonDetails))
BOOL_FIELDS = ("hide_phone", "hide_mobile", "restrict_search")
# Detail columns added after the first release: older databases get them on start.
ADDED_COLUMNS = {"fax": "TEXT NOT NULL DEFAULT ''"}
PHOTO_FIELD = "photo"


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    """A person's photo as stored: always our own re-encoding (`photo_encoding.py`)."""

    data: bytes
    media_type: str
    width: int
    height: int


class PersonDirectory(SqlTables):
    persons = Table("persons")
    changes = Table("person_changes")
    photos = Table("person_photos")

    # ------------------------------------------------------------------ schema

    def create_tables(self) -> None:
        uuid_type, bool_type, date_type = self.uuid_type, self.bool_type, self.date_type
        serial = self.serial_key
        columns = ", ".join(
            f"{name} {bool_type} NOT NULL"
            if name in BOOL_FIELDS
            else f"{name} {date_type}"
            if name == "birth_date"
            else f"{name} TEXT NOT NULL"
            for name in DETAIL_FIELDS
        )
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.persons} ("
            f"person_id {uuid_type} PRIMARY KEY, {columns}, "
            "name_key TEXT NOT NULL, registered_at BIGINT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS persons_by_name ON {self.persons} (name_key)",
            f"CREATE TABLE IF NOT EXISTS {self.changes} ("
            f"change_id {serial}, person_id {uuid_type} NOT NULL, "
            f"changed_at BIGINT NOT NULL, actor_id {uuid_type}, "
            "kind TEXT NOT NULL, changed_fields TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS person_changes_by_person ON {self.changes} (person_id)",
            f"CREATE INDEX IF NOT EXISTS person_changes_by_time ON {self.changes} (changed_at)",
            f"CREATE TABLE IF NOT EXISTS {self.photos} ("
            f"person_id {uuid_type} PRIMARY KEY, data {self.bytes_type} NOT NULL, "
            "media_type TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, "
            "changed_at BIGINT NOT NULL)",
        ]
        self.create(statements)
        self.add_missing_columns("persons", ADDED_COLUMNS)

    # ------------------------------------------------------------------ writes

    def register(
        self, details: PersonDetails, *, actor_id: UUID | None, at: datetime
    ) -> tuple[Person, list[UUID]]:
        """Add a person; also return ids already registered with the same name and birth date."""
        person = Person(person_id=uuid4(), details=details)
        duplicates = self.likely_duplicates(details)
        row: dict[str, Any] = {"person_id": person.person_id}
        row |= {name: getattr(details, name) for name in DETAIL_FIELDS}
        row |= {"name_key": _name_key(details), "registered_at": to_micros(at)}
        with self.cursor(commit=True) as c:
            self.insert_row(c, self.persons, row)
            self._log(
                c,
                person_id=person.person_id,
                actor_id=actor_id,
                at=at,
                kind="registered",
                changed=DETAIL_FIELDS,
            )
        return person, duplicates

    def update(
        self,
        person_id: UUID,
        before: PersonDetails,
        after: PersonDetails,
        actor_id: UUID | None,
        at: datetime,
        *,
        on: Any | None = None,
    ) -> Person:
        """Write the fields in which `after` differs from `before` (what the caller read,
        or what its form showed); every other field keeps what is stored now. `on`: the
        cursor of a transaction open anyway, to write in it (`update_on`).

        A caller never writes back what it did not change, so two people correcting one
        person at once (the coordinator's form, the person's own profile) cannot put
        each other's old values back: the row is read again under its write lock and
        only the given fields are replaced (decision 0037). KeyError if the person is
        not here (erased meanwhile).
        """
        if on is not None:
            return self.update_on(on, person_id, before, after, actor_id=actor_id, at=at)
        if after == before:
            return self.get(person_id)
        with self.cursor(commit=True) as c:
            return self.update_on(c, person_id, before, after, actor_id=actor_id, at=at)

    def update_on(
        self,
        c: Any,
        person_id: UUID,
        before: PersonDetails,
        after: PersonDetails,
        *,
        actor_id: UUID | None,
        at: datetime,
    ) -> Person:
        """`update` on the cursor of a transaction that is open anyway (a plan command's
        events', so that the plan's part and the person's are saved together or not at
        all). KeyError if the person is not here."""
        given = {
            n: getattr(after, n) for n in DETAIL_FIELDS if getattr(after, n) != getattr(before, n)
        }
        lock = "" if self.is_sqlite else " FOR UPDATE"
        self.execute(c, f"SELECT * FROM {self.persons} WHERE person_id=%s{lock}", person_id)
        row = c.fetchone()
        if row is None:
            raise KeyError(person_id)
        stored = self._person(row).details
        merged = replace(stored, **given)
        changed = [n for n in given if getattr(stored, n) != given[n]]
        if changed:
            assignments = ", ".join(f"{name}=%s" for name in changed)
            self.execute(
                c,
                f"UPDATE {self.persons} SET {assignments}, name_key=%s WHERE person_id=%s",
                *(given[name] for name in changed),
                _name_key(merged),
                person_id,
            )
            self._log(
                c, person_id=person_id, actor_id=actor_id, at=at, kind="changed", changed=changed
            )
        return Person(person_id=person_id, details=merged)

    def erase(self, person_id: UUID, *, actor_id: UUID | None, at: datetime, kind: str) -> None:
        """Delete a person's details and photo; the change log keeps that it happened, and why."""
        with self.cursor(commit=True) as c:
            self.execute(c, f"DELETE FROM {self.persons} WHERE person_id=%s", person_id)
            had_photo = self._delete_photo(c, person_id)
            changed = (*DETAIL_FIELDS, PHOTO_FIELD) if had_photo else DETAIL_FIELDS
            self._log(c, person_id=person_id, actor_id=actor_id, at=at, kind=kind, changed=changed)

    def set_photo(
        self, person_id: UUID, photo: StoredPhoto, *, actor_id: UUID | None, at: datetime
    ) -> None:
        """Store or replace a person's photo (KeyError if the person is not here).

        The person's row is locked first (PostgreSQL; SQLite has one writer), so an
        erasure running at the same time either comes first, and nothing is stored, or
        waits and erases the new photo too.
        """
        lock = "" if self.is_sqlite else " FOR UPDATE"
        with self.cursor(commit=True) as c:
            self.execute(
                c, f"SELECT person_id FROM {self.persons} WHERE person_id=%s{lock}", person_id
            )
            if c.fetchone() is None:
                raise KeyError(person_id)
            self.execute(
                c,
                f"INSERT INTO {self.photos} "
                "(person_id, data, media_type, width, height, changed_at) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (person_id) DO UPDATE SET "
                "data=excluded.data, media_type=excluded.media_type, "
                "width=excluded.width, height=excluded.height, changed_at=excluded.changed_at",
                person_id,
                photo.data,
                photo.media_type,
                photo.width,
                photo.height,
                to_micros(at),
            )
            self._log(
                c,
                person_id=person_id,
                actor_id=actor_id,
                at=at,
                kind="photo_changed",
                changed=(PHOTO_FIELD,),
            )

    def remove_photo(self, person_id: UUID, *, actor_id: UUID | None, at: datetime) -> bool:
        """Remove a person's photo; whether there was one (only then is it logged)."""
        with self.cursor(commit=True) as c:
            removed = self._delete_photo(c, person_id)
            if removed:
                self._log(
                    c,
                    person_id=person_id,
                    actor_id=actor_id,
                    at=at,
                    kind="photo_removed",
                    changed=(PHOTO_FIELD,),
                )
        return removed

    # ------------------------------------------------------------------- reads

    def get(self, person_id: UUID) -> Person:
        found = self.get_many([person_id])
        if person_id not in found:
            raise KeyError(person_id)
        return found[person_id]

    def get_many(self, person_ids: Iterable[UUID]) -> dict[UUID, Person]:
        ids = list(dict.fromkeys(person_ids))
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        rows = self.select(f"SELECT * FROM {self.persons} WHERE person_id IN ({marks})", *ids)
        return {person.person_id: person for person in map(self._person, rows)}

    def photo(self, person_id: UUID) -> StoredPhoto | None:
        row = self.select_one(
            f"SELECT data, media_type, width, height FROM {self.photos} WHERE person_id=%s",
            person_id,
        )
        if row is None:
            return None
        return StoredPhoto(bytes(row["data"]), row["media_type"], row["width"], row["height"])

    def has_photo(self, person_id: UUID) -> bool:
        found = self.select_one(
            f"SELECT 1 AS found FROM {self.photos} WHERE person_id=%s", person_id
        )
        return found is not None

    def find_by_name(self, text: str, *, limit: int = 50) -> list[Person]:
        """People whose name contains every word of `text` (case-insensitive)."""
        words = [w for w in text.casefold().split() if w]
        if not words:
            return []
        where = " AND ".join("name_key LIKE %s ESCAPE '!'" for _ in words)
        rows = self.select(
            f"SELECT * FROM {self.persons} WHERE {where} ORDER BY last_name, first_name LIMIT %s",
            *(f"%{escape_like(w)}%" for w in words),
            limit,
        )
        return [self._person(row) for row in rows]

    def likely_duplicates(self, details: PersonDetails) -> list[UUID]:
        if details.birth_date is None:
            return []
        rows = self.select(
            f"SELECT person_id FROM {self.persons} WHERE name_key=%s AND birth_date=%s",
            _name_key(details),
            details.birth_date,
        )
        return [self.uuid(row["person_id"]) for row in rows]

    def birth_dates_changed(self, since: datetime) -> set[UUID]:
        """The persons whose stored birth date was changed or erased at or after
        `since`, by the change log, which names the fields: the reminder sweep asks it,
        since a plan owner's coming of age is the directory's, not the plan's (decision
        0056). A registration is not a change: a person is registered before any plan
        is made for them, and the plan's first event brings their birth date."""
        rows = self.select(
            f"SELECT DISTINCT person_id FROM {self.changes} WHERE changed_at>=%s "
            "AND kind<>'registered' AND ',' || changed_fields || ',' LIKE '%%,birth_date,%%'",
            to_micros(since),
        )
        return {self.uuid(row["person_id"]) for row in rows}

    def changes_of(self, person_id: UUID) -> list[tuple[str, tuple[str, ...]]]:
        rows = self.select(
            f"SELECT kind, changed_fields FROM {self.changes} "
            "WHERE person_id=%s ORDER BY change_id",
            person_id,
        )
        return [(r["kind"], tuple(r["changed_fields"].split(","))) for r in rows]

    # ---------------------------------------------------------------- helpers

    def _log(
        self,
        c: Any,
        *,
        person_id: UUID,
        actor_id: UUID | None,
        at: datetime,
        kind: str,
        changed: Sequence[str],
    ) -> None:
        self.execute(
            c,
            f"INSERT INTO {self.changes} "
            "(person_id, changed_at, actor_id, kind, changed_fields) "
            "VALUES (%s, %s, %s, %s, %s)",
            person_id,
            to_micros(at),
            actor_id,
            kind,
            ",".join(changed),
        )

    def _delete_photo(self, c: Any, person_id: UUID) -> bool:
        """Delete a person's photo in the transaction of `c`; whether there was one."""
        self.execute(
            c, f"DELETE FROM {self.photos} WHERE person_id=%s RETURNING person_id", person_id
        )
        return bool(c.fetchall())

    def _person(self, row: Any) -> Person:
        data = {name: row[name] for name in DETAIL_FIELDS}
        for name in BOOL_FIELDS:
            data[name] = bool(data[name])
        if isinstance(data["birth_date"], str):
            data["birth_date"] = date.fromisoformat(data["birth_date"])
        return Person(person_id=self.uuid(row["person_id"]), details=PersonDetails(**data))


def _name_key(details: PersonDetails) -> str:
    return f"{details.first_name} {details.last_name}".casefold()
