"""The plan list's queries, the same on both engines: a person's list, an auditor's search
over every plan, and the reports.

Who may open a plan, manage it or read its messages, and what of a plan's changes a
member may read ("changed since your last visit", decision 0050), is answered by SQL
generated from the policy table (`access.py`), with the caller's municipal date, so
consent expiry needs no event. Owner names and birth dates are joined from the person directory's
`persons` table at read time, never copied into the view. What a caller types is only
ever a parameter's value (`%s`), never part of the statement's text.
"""

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from stafett.aggregates.policy import Action
from stafett.aggregates.values import ConsentStatus, PlanStatus, Section, local_date
from stafett.persistence.recorders import to_micros
from stafett.persistence.sql import SqlTables, escape_like
from stafett.projections.plan_list import access
from stafett.projections.plan_list.access import Condition
from stafett.projections.plan_list.view import (
    MEMBERS_TABLE,
    PLANS_TABLE,
    FoundPlan,
    PlanCount,
    PlanListRow,
    PlanListView,
    PlanSearch,
    ReportItem,
    SinceVisit,
    changed_since,
    from_micros,
)


class PlanListQueries(PlanListView):
    """The reading half of both engines' view (`sql.py` has the tables and the writes)."""

    datastore: Any
    latest: str  # the engine's function for the largest of its arguments
    _sql: SqlTables
    _plans: str
    _members: str
    _visits: str

    def plans_for(
        self,
        person_id: UUID,
        *,
        today: date,
        first_name: str | None = None,
        last_name: str | None = None,
        include_closed: bool = False,
    ) -> list[PlanListRow]:
        """Search: `first_name` is a prefix of the owner's first name, `last_name` a
        prefix of a later word of their full name; both case-insensitive."""
        t = self._sql
        day = t.value(today)
        manage = access.allowed(Action.MANAGE, day)
        reopen = access.allowed(Action.REOPEN, day)
        messages = access.right_in_force(Section.MESSAGES)
        read_messages = access.allowed(Action.READ_SECTION, day, access=messages)
        changed = access.newest_readable(day, self.latest)
        where = [
            Condition("m.person_id=%s", (t.value(person_id),)),
            Condition("m.active"),
            access.allowed(Action.OPEN, day),
        ]
        if not include_closed:
            where.append(Condition("p.status=%s", (PlanStatus.OPEN.value,)))
        where += _names(first_name, last_name)
        condition = access.all_of(*where)
        with self._sql.reading() as c:
            c.execute(
                t.sql(
                    "SELECT p.plan_id, p.owner_person_id, p.short_name, p.plan_type, p.status, "
                    "p.consent_expires_on, p.consent_given_on, p.consent_status, "
                    "p.start_date, p.end_date, p.last_archived_at, "
                    f"{changed.sql} AS changed_at, m.last_message_to_me_at, v.visited_at, "
                    f"d.first_name, d.last_name, d.birth_date, {manage.sql} AS may_manage, "
                    f"{reopen.sql} AS may_reopen, "
                    f"{read_messages.sql} AS may_read_messages FROM {self._members} m "
                    f"JOIN {self._plans} p ON p.plan_id=m.plan_id "
                    f"LEFT JOIN {self._visits} v "
                    "ON v.person_id=m.person_id AND v.plan_id=m.plan_id "
                    f"LEFT JOIN {t.table('persons')} d ON d.person_id=p.owner_person_id "
                    # newest first by what the person may read: no order from hidden changes
                    f"WHERE {condition.sql} ORDER BY changed_at DESC, p.plan_id"
                ),
                [
                    *changed.values,
                    *manage.values,
                    *reopen.values,
                    *read_messages.values,
                    *condition.values,
                ],
            )
            rows = c.fetchall()
        return [self._list_row(row, today) for row in rows]

    def _list_row(self, row: Any, today: date) -> PlanListRow:
        visited = row["visited_at"]
        last_message = row["last_message_to_me_at"]
        expires_on = _date(row["consent_expires_on"])
        assert expires_on is not None
        given_on = _date(row["consent_given_on"])
        assert given_on is not None
        start_date = _date(row["start_date"])
        assert start_date is not None
        name = None
        if row["first_name"] is not None:
            name = f"{row['first_name']} {row['last_name']}"
        return PlanListRow(
            id=self._sql.uuid(row["plan_id"]),
            owner_person_id=self._sql.uuid(row["owner_person_id"]),
            owner_name=name,
            owner_birth_date=_date(row["birth_date"]),
            short_name=row["short_name"],
            type=row["plan_type"],
            status=PlanStatus(row["status"]),
            changed_since_last_visit=changed_since(visited, row["changed_at"]),
            new_message=last_message is not None
            and (visited is None or last_message > visited)
            and bool(row["may_read_messages"]),
            consent_expires_on=expires_on,
            consent_expires_in_days=(expires_on - today).days,
            consent_status=ConsentStatus(row["consent_status"]),
            consent_given_on=given_on,
            start_date=start_date,
            end_date=_date(row["end_date"]),
            last_archived_at=from_micros(row["last_archived_at"]),
            can_manage=bool(row["may_manage"]),
            can_reopen=bool(row["may_reopen"]),
            owner_first_name=row["first_name"],
            owner_last_name=row["last_name"],
            quiet_days=_quiet_days(row["changed_at"], today),
        )

    def plans_matching(self, search: PlanSearch, *, limit: int) -> list[FoundPlan]:
        t = self._sql
        where = _names(search.first_name, search.last_name)
        if search.birth_date is not None:
            where.append(Condition("d.birth_date=%s", (t.value(search.birth_date),)))
        if search.status is not None:
            where.append(Condition("p.status=%s", (search.status.value,)))
        if search.active_to is not None:  # it had started by the period's end
            where.append(Condition("p.start_date<=%s", (t.value(search.active_to),)))
        if search.active_from is not None:  # and was still open at its start
            where.append(
                Condition(
                    "(p.status=%s OR p.end_date>=%s)",
                    (PlanStatus.OPEN.value, t.value(search.active_from)),
                )
            )
        condition = access.all_of(Condition("(1=1)"), *where)
        with self._sql.reading() as c:
            c.execute(
                t.sql(
                    "SELECT p.plan_id, p.owner_person_id, p.short_name, p.plan_type, p.status, "
                    "p.start_date, p.end_date, p.last_archived_at, d.first_name, d.last_name, "
                    f"d.birth_date FROM {self._plans} p "
                    f"LEFT JOIN {t.table('persons')} d ON d.person_id=p.owner_person_id "
                    f"WHERE {condition.sql} "
                    "ORDER BY (d.last_name IS NULL), d.last_name, d.first_name, p.start_date DESC, "
                    "p.plan_id LIMIT %s"
                ),
                [*condition.values, limit],
            )
            rows = c.fetchall()
        return [
            FoundPlan(
                id=t.uuid(row["plan_id"]),
                owner_person_id=t.uuid(row["owner_person_id"]),
                owner_first_name=row["first_name"],
                owner_last_name=row["last_name"],
                owner_birth_date=_date(row["birth_date"]),
                short_name=row["short_name"],
                type=row["plan_type"],
                status=row["status"],
                start_date=_started(row["start_date"]),
                end_date=_date(row["end_date"]),
                last_archived_at=from_micros(row["last_archived_at"]),
            )
            for row in rows
        ]

    def plans_owned_by(self, person_ids: Collection[UUID]) -> list[UUID]:
        t = self._sql
        ids = [t.value(i) for i in dict.fromkeys(person_ids)]
        if not ids:
            return []
        marks = ", ".join(["%s"] * len(ids))
        with self._sql.reading() as c:
            c.execute(
                t.sql(
                    f"SELECT plan_id FROM {self._plans} WHERE owner_person_id IN ({marks}) "
                    "ORDER BY plan_id"
                ),
                ids,
            )
            return [t.uuid(row["plan_id"]) for row in c.fetchall()]

    def last_visit(self, person_id: UUID, plan_id: UUID) -> datetime | None:
        t = self._sql
        with self._sql.reading() as c:
            c.execute(
                t.sql(f"SELECT visited_at FROM {self._visits} WHERE person_id=%s AND plan_id=%s"),
                [t.value(person_id), t.value(plan_id)],
            )
            row = c.fetchone()
        return None if row is None else from_micros(row["visited_at"])

    def since_last_visit(self, person_id: UUID, plan_id: UUID, *, today: date) -> SinceVisit:
        t = self._sql
        changed = access.newest_readable(t.value(today), self.latest)
        with self._sql.reading() as c:
            c.execute(
                t.sql(
                    f"SELECT v.visited_at, {changed.sql} AS changed_at FROM {self._members} m "
                    f"JOIN {self._plans} p ON p.plan_id=m.plan_id LEFT JOIN {self._visits} v "
                    "ON v.person_id=m.person_id AND v.plan_id=m.plan_id "
                    "WHERE m.person_id=%s AND m.plan_id=%s AND m.active"
                ),
                [*changed.values, t.value(person_id), t.value(plan_id)],
            )
            row = c.fetchone()
        if row is None:  # the list does not have this membership yet: nothing it can tell
            visited_at = self.last_visit(person_id, plan_id)
            return SinceVisit(visited_at, visited_at is None)
        visited = row["visited_at"]
        return SinceVisit(from_micros(visited), changed_since(visited, row["changed_at"]))

    def report_counts(self) -> list[PlanCount]:
        with self._sql.reading() as c:
            c.execute(
                f"SELECT plan_type, status, COUNT(*) AS n FROM {self._plans} "
                "GROUP BY plan_type, status ORDER BY plan_type, status"
            )
            return [PlanCount(r["plan_type"], r["status"], int(r["n"])) for r in c.fetchall()]

    def consents_expiring(self, today: date, within_days: int = 30) -> list[ReportItem]:
        t = self._sql
        return self._report(
            "consent_expires_on",
            "status='open' AND consent_status='active' "
            "AND consent_expires_on>=%s AND consent_expires_on<=%s",
            [t.value(today), t.value(today + timedelta(days=within_days))],
            "consent_expires_on",
        )

    def inactive_plans(self, now: datetime, days: int = 90) -> list[ReportItem]:
        return self._report(
            "last_event_at",
            "status='open' AND last_event_at<%s",
            [to_micros(now - timedelta(days=days))],
            "last_event_at",
        )

    def never_archived(self) -> list[ReportItem]:
        return self._report("created_at", "last_archived_at IS NULL", [], "created_at")

    def _report(self, on: str, where: str, values: Sequence[Any], order: str) -> list[ReportItem]:
        t = self._sql
        with self._sql.reading() as c:
            c.execute(
                t.sql(
                    f"SELECT plan_id, short_name, plan_type, status, {on} AS on_value "
                    f"FROM {self._plans} WHERE {where} ORDER BY {order}, plan_id"
                ),
                list(values),
            )
            rows = c.fetchall()
        items = []
        for row in rows:
            value = row["on_value"]
            instant = from_micros(value) if isinstance(value, int) else None
            items.append(
                ReportItem(
                    plan_id=t.uuid(row["plan_id"]),
                    short_name=row["short_name"],
                    type=row["plan_type"],
                    status=row["status"],
                    on=local_date(instant) if instant is not None else _date(value),
                )
            )
        return items

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        keys = {PLANS_TABLE: "plan_id", MEMBERS_TABLE: "plan_id, participant_id"}
        found: dict[str, list[tuple[Any, ...]]] = {}
        with self.datastore.transaction(commit=False) as c:
            for name, key in keys.items():
                c.execute(f"SELECT * FROM {self._sql.table(name)} ORDER BY {key}")
                found[name] = [tuple(dict(row).values()) for row in c.fetchall()]
        return found


def _quiet_days(changed_at: int | None, today: date) -> int | None:
    """Whole municipal days from the newest change `changed_at` (microseconds) to `today`."""
    changed = from_micros(changed_at) if changed_at else None
    return None if changed is None else max((today - local_date(changed)).days, 0)


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _started(value: Any) -> date:
    day = _date(value)
    assert day is not None  # a plan always has a start date
    return day


def _names(first_name: str | None, last_name: str | None) -> list[Condition]:
    """The owner's name: `first_name` a prefix of their first name, `last_name` a prefix of
    a later word of the full name; case-insensitive, `%` and `_` matching themselves."""
    found = []
    if first_name and first_name.strip():
        prefix = escape_like(first_name.strip().casefold()) + "%"
        found.append(Condition("d.name_key LIKE %s ESCAPE '!'", (prefix,)))
    if last_name and last_name.strip():
        word = "% " + escape_like(last_name.strip().casefold()) + "%"
        found.append(Condition("d.name_key LIKE %s ESCAPE '!'", (word,)))
    return found
