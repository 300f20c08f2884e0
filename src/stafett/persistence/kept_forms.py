"""Forms sent after their session ended, kept for their writer's next login (decision
0039): the `kept_forms` table, a part of the session store (`SessionStore`)."""

from datetime import datetime
from uuid import UUID

from stafett.persistence.locks import lock_own_tables
from stafett.persistence.recorders import to_micros
from stafett.persistence.sql import SqlTables, Table

# µs: how long a form sent after its session ended is kept for its writer's next login
FORM_KEPT = 3_600 * 1_000_000


class KeptFormTables(SqlTables):
    kept = Table("kept_forms")

    def _kept_table(self, name: str) -> str:
        """Forms kept after a session ended: one a person, place and form (the newest)."""
        return (
            f"CREATE TABLE IF NOT EXISTS {name} (person_id {self.uuid_type} NOT NULL, "
            "place TEXT NOT NULL, form_key TEXT NOT NULL, fields TEXT NOT NULL, "
            "kept_at BIGINT NOT NULL, PRIMARY KEY (person_id, place, form_key))"
        )

    def _rekey_kept_forms(self) -> None:
        """A `kept_forms` table made before (one form a person and place, so the second
        form sent to one plan replaced the first) is made again with the form in its
        key, its rows copied over, in one transaction."""
        if self.is_sqlite:
            found = self.select_one(
                "SELECT sql FROM sqlite_master WHERE type='table' AND name=%s", "kept_forms"
            )
        else:
            found = self.select_one(
                "SELECT pg_get_constraintdef(oid) AS sql FROM pg_constraint "
                "WHERE conrelid=%s::regclass AND contype='p'",
                self.kept,
            )
        if found is None or "form_key" in found["sql"].split("PRIMARY KEY", 1)[-1]:
            return
        rekeyed = self.table("kept_forms_rekeyed")
        with self.cursor(commit=True) as c:
            if not self.is_sqlite:
                lock_own_tables(c)
            c.execute(self._kept_table(rekeyed))
            c.execute(
                f"INSERT INTO {rekeyed} SELECT person_id, place, form_key, fields, kept_at "
                f"FROM {self.kept}"
            )
            c.execute(f"DROP TABLE {self.kept}")
            c.execute(f"ALTER TABLE {rekeyed} RENAME TO kept_forms")

    def keep_form(
        self, person_id: UUID, place: str, form_key: str, fields: str, *, at: datetime
    ) -> None:
        """Keep a form that `person_id` sent to `place` (a page, or a plan) after their
        session ended, until they take it back (`take_forms`) within `FORM_KEPT`: one a
        person, place and form (`form_key`), the newest. Older forms are deleted by
        `sweep`."""
        now = to_micros(at)
        with self.cursor(commit=True) as c:
            where = "WHERE person_id=%s AND place=%s AND form_key=%s"
            self.execute(c, f"DELETE FROM {self.kept} {where}", person_id, place, form_key)
            row = {
                "person_id": person_id,
                "place": place,
                "form_key": form_key,
                "fields": fields,
                "kept_at": now,
            }
            self.insert_row(c, self.kept, row)

    def take_forms(self, person_id: UUID, place: str, *, at: datetime) -> list[tuple[str, str]]:
        """(form key, fields) of each form `person_id` sent to `place` after their session
        ended, the oldest first, taken out: shown once, to them only. A form older than
        `FORM_KEPT` is taken out all the same, and never shown."""
        with self.cursor(commit=True) as c:
            self.execute(
                c,
                f"DELETE FROM {self.kept} WHERE person_id=%s AND place=%s "
                "RETURNING form_key, fields, kept_at",
                person_id,
                place,
            )
            rows = c.fetchall()
        since = to_micros(at) - FORM_KEPT
        kept = sorted((row["kept_at"], row["form_key"], row["fields"]) for row in rows)
        return [(key, fields) for kept_at, key, fields in kept if kept_at > since]

    def forget_forms_of(self, person_id: UUID) -> None:
        """Every form kept for `person_id` (they logged out, or out everywhere)."""
        self.write(f"DELETE FROM {self.kept} WHERE person_id=%s", person_id)
