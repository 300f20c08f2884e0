"""The plan list's tables, the columns that date each part of a plan, and the schema version.

"Changed since your last visit" is asked per reader (decision 0050): a plan row dates
each part of the plan apart, and a member row holds what only that member reads of it,
so the list's SQL (`access.newest_readable`) can take the newest change of the parts the
policy table lets the member read now:

- `shared_changed_at`: what everyone who may open the plan reads: overview, consent,
  the plan group as everyone sees it, status, archives;
- `<section>_changed_at` (`SECTION_COLUMNS`): a content section's items and the comments
  on them, read by those who may read the section; messages are not dated on the plan,
  since each reader reads only those they sent or received: the member's
  `last_message_mine_at`;
- `<field>_changed_at` (`FIELD_COLUMNS`): a field of the plan group that the policy
  table's field rules show only to some (others' rights, others' notice choices), and
  the member's own `own_changed_at` (their own rights or notice choices changed).

Each member row also holds its rights per section as given (`rights_<section>`); those in
force (the coordinator's are full) are derived from them where they are read
(`access.right_in_force`), so handing the baton over rewrites no rights.

`SCHEMA_VERSION` is recorded in `planlist_schema`. A view made by another version (or
before versions were recorded) cannot be brought up to date column by column, since what
the new columns hold lies in the events: the runner rebuilds it at its start
(`PlanListSQL.upgrade`), from the event log.
"""

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from stafett.aggregates.values import Section
from stafett.persistence.sql import SqlTables
from stafett.projections.faults import FaultTable
from stafett.projections.plan_list.view import APPLICATION_NAME, PROJECTION_NAME

SCHEMA_VERSION = 2  # 1: one `last_event_at` for every reader (unrecorded); 2: dated by part
SCHEMA_TABLE = "planlist_schema"

SHARED_COLUMN = "shared_changed_at"
SECTION_COLUMNS = {s: f"{s.value}_changed_at" for s in Section if s is not Section.MESSAGES}
FIELD_COLUMNS = {
    ("participants", "rights"): "rights_changed_at",
    ("participants", "notifications"): "notices_changed_at",
}
CONTENT_COLUMN = "last_content_at"
# What one kept stamp of a plan may date, in the order its statement sets them.
STAMP_COLUMNS = (CONTENT_COLUMN, SHARED_COLUMN, *SECTION_COLUMNS.values(), *FIELD_COLUMNS.values())

MESSAGE_COLUMN = "last_message_mine_at"  # the newest message the member sent or received
OWN_COLUMN = "own_changed_at"  # the member's own rights or notice choices last changed


def given_column(section: Section) -> str:
    """The member's right in `section` as given."""
    return f"rights_{section.value}"


def table_statements(t: SqlTables, plans: str, members: str, visits: str) -> list[str]:
    """The `CREATE` statements of the view's tables (all `IF NOT EXISTS`)."""
    uuid, boolean, day = t.uuid_type, t.bool_type, t.date_type
    dated = "".join(f"{c} BIGINT, " for c in (*SECTION_COLUMNS.values(), *FIELD_COLUMNS.values()))
    rights = "".join(f"{given_column(s)} TEXT NOT NULL, " for s in Section)
    return [
        f"CREATE TABLE IF NOT EXISTS {plans} ("
        f"plan_id {uuid} PRIMARY KEY, plan_type TEXT NOT NULL, short_name TEXT NOT NULL, "
        f"owner_person_id {uuid} NOT NULL, start_date {day} NOT NULL, end_date {day}, "
        "status TEXT NOT NULL, consent_status TEXT NOT NULL, "
        f"consent_expires_on {day} NOT NULL, consent_given_on {day} NOT NULL, "
        f"coordinator_person_id {uuid} NOT NULL, created_at BIGINT NOT NULL, "
        f"last_event_at BIGINT NOT NULL, {CONTENT_COLUMN} BIGINT, last_archived_at BIGINT, "
        f"{SHARED_COLUMN} BIGINT NOT NULL, {dated}version BIGINT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {members} ("
        f"plan_id {uuid} NOT NULL, participant_id {uuid} NOT NULL, "
        f"person_id {uuid} NOT NULL, role TEXT NOT NULL, is_coordinator {boolean} NOT NULL, "
        f"active {boolean} NOT NULL, {rights}last_message_to_me_at BIGINT, "
        f"{MESSAGE_COLUMN} BIGINT, {OWN_COLUMN} BIGINT, PRIMARY KEY (plan_id, participant_id))",
        f"CREATE INDEX IF NOT EXISTS planlist_members_by_person ON {members} (person_id)",
        f"CREATE TABLE IF NOT EXISTS {visits} ("
        f"person_id {uuid} NOT NULL, plan_id {uuid} NOT NULL, visited_at BIGINT NOT NULL, "
        "PRIMARY KEY (person_id, plan_id))",
        f"CREATE TABLE IF NOT EXISTS {t.table(SCHEMA_TABLE)} "
        "(name TEXT PRIMARY KEY, version BIGINT NOT NULL)",
    ]


class Tables:
    """The view's tables made, remade (a rebuild) and brought up to `SCHEMA_VERSION`:
    the part of `PlanListSQL` that is about its tables, not its rows."""

    datastore: Any
    _sql: SqlTables
    _faults: FaultTable
    _plans: str
    _members: str
    _visits: str
    _schema: str

    def _table_statements(self) -> list[str]:
        made = table_statements(self._sql, self._plans, self._members, self._visits)
        return [*made, *self._faults.create_statements()]

    def _tracking_table(self) -> str:
        raise NotImplementedError

    def _has_plans_table(self) -> bool:
        raise NotImplementedError

    def _making_tables(self) -> AbstractContextManager[Any]:
        """Around dropping and making the view's tables: the engine's lock for it, if any."""
        return nullcontext()

    def create_table(self) -> None:
        """The library's tables and ours; tables made new here are of this schema version."""
        new = not self._has_plans_table()
        super().create_table()  # type: ignore[misc]  # the engine's tracking recorder's
        if new:
            with self.datastore.transaction(commit=True) as c:
                self._record_version(c)

    def reset(self, application_name: str = APPLICATION_NAME) -> None:
        with self._making_tables(), self.datastore.transaction(commit=True) as c:
            self._remake(c, application_name)

    def upgrade(self, application_name: str = APPLICATION_NAME) -> int | None:
        t = self._sql
        with self._making_tables(), self.datastore.transaction(commit=True) as c:
            for statement in self._table_statements():  # none yet, if never made
                c.execute(statement)
            c.execute(t.sql(f"SELECT version FROM {self._schema} WHERE name=%s"), [PROJECTION_NAME])
            row = c.fetchone()
            version = 1 if row is None else int(row["version"])
            if version == SCHEMA_VERSION:
                return None
            c.execute(
                t.sql(f"SELECT 1 FROM {self._tracking_table()} WHERE application_name=%s"),
                [application_name],
            )
            held = c.fetchone() is not None
            self._remake(c, application_name)
        return version if held else None

    def _remake(self, c: Any, application_name: str) -> None:
        """Drop the projected tables, the tracking position and any fault, and make the
        tables anew, of this schema version; on the open cursor `c`. Visits stay."""
        t = self._sql
        for table in (self._plans, self._members):
            c.execute(f"DROP TABLE IF EXISTS {table}")
        c.execute(
            t.sql(f"DELETE FROM {self._tracking_table()} WHERE application_name=%s"),
            [application_name],
        )
        for statement in self._table_statements():
            c.execute(statement)
        c.execute(t.sql(f"DELETE FROM {self._faults.table} WHERE projection=%s"), [PROJECTION_NAME])
        self._record_version(c)

    def _record_version(self, c: Any) -> None:
        c.execute(
            self._sql.sql(
                f"INSERT INTO {self._schema} (name, version) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET version=excluded.version"
            ),
            [PROJECTION_NAME, SCHEMA_VERSION],
        )
