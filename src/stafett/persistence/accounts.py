"""Accounts: credentials and login state, in mutable, deletable tables.

Nothing here is ever written to the event store (SEC-PW-05). The fact log
`account_facts` keeps what happened ("password_changed", "terms_accepted 1",
"locked") without any secret, for the account's own history and for auditors.
"""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from stafett.aggregates.errors import DuplicateError
from stafett.persistence.recorders import to_micros
from stafett.persistence.sql import SqlTables


@dataclass(frozen=True, slots=True)
class AccountRecord:
    person_id: UUID
    username: str
    password_hash: str
    otp_channel: str
    totp_secret: str | None = None
    totp_last_step: int | None = None
    # An authenticator being enrolled: used for nothing but its confirmation, which
    # moves it to `totp_secret`; until then login keeps the factor it had.
    totp_pending_secret: str | None = None
    terms_version: int | None = None
    failures: int = 0
    locked_until: int | None = None
    hard_locked: bool = False
    is_coordinator: bool = False
    is_org_admin: bool = False
    is_auditor: bool = False


COLUMNS = tuple(f.name for f in fields(AccountRecord))
BOOLS = ("hard_locked", "is_coordinator", "is_org_admin", "is_auditor")
INTS = ("totp_last_step", "terms_version", "failures", "locked_until")
NULLABLE_TEXT = ("totp_secret", "totp_pending_secret")
# Columns added after the first release: older databases get them on start.
ADDED_COLUMNS = {"totp_pending_secret": "TEXT"}


class AccountStore(SqlTables):
    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        super().__init__(datastore)
        self.accounts = self.table("accounts")
        self.facts = self.table("account_facts")

    def create_tables(self) -> None:
        def column(name: str) -> str:
            if name == "person_id":
                return f"person_id {self.uuid_type} PRIMARY KEY"
            if name == "username":
                return "username TEXT NOT NULL UNIQUE"
            if name in BOOLS:
                return f"{name} {self.bool_type} NOT NULL"
            if name in INTS:
                return f"{name} BIGINT" + (" NOT NULL" if name == "failures" else "")
            nullable = name in NULLABLE_TEXT
            return f"{name} TEXT" + ("" if nullable else " NOT NULL")

        self.create(
            [
                f"CREATE TABLE IF NOT EXISTS {self.accounts} "
                f"({', '.join(column(n) for n in COLUMNS)}, created_at BIGINT NOT NULL)",
                f"CREATE TABLE IF NOT EXISTS {self.facts} (fact_id {self.serial_key}, "
                f"person_id {self.uuid_type} NOT NULL, at BIGINT NOT NULL, "
                "kind TEXT NOT NULL, detail TEXT NOT NULL)",
                f"CREATE INDEX IF NOT EXISTS account_facts_by_person ON {self.facts} (person_id)",
            ]
        )
        self.add_missing_columns(self.accounts, "accounts", ADDED_COLUMNS)

    def insert(self, account: AccountRecord, *, at: datetime) -> None:
        values = [self.value(getattr(account, n)) for n in COLUMNS] + [to_micros(at)]
        marks = ", ".join(["%s"] * len(values))
        names = ", ".join([*COLUMNS, "created_at"])  # named: added columns come last on disk
        try:
            with self.cursor(commit=True) as c:
                c.execute(
                    self.sql(f"INSERT INTO {self.accounts} ({names}) VALUES ({marks})"), values
                )
                self._fact(c, account.person_id, at, "account_created", "")
        except (IntegrityError, psycopg.IntegrityError):
            raise DuplicateError("the username or person already has an account") from None

    def by_username(self, username: str) -> AccountRecord | None:
        return self._one("username", username.casefold())

    def by_person(self, person_id: UUID) -> AccountRecord | None:
        return self._one("person_id", person_id)

    def update(
        self, account: AccountRecord, *, at: datetime, fact: str | None = None, detail: str = ""
    ) -> AccountRecord:
        """Store every changed column of `account`, and a fact when one is named."""
        names = [n for n in COLUMNS if n not in ("person_id", "username")]
        assignments = ", ".join(f"{n}=%s" for n in names)
        with self.cursor(commit=True) as c:
            c.execute(
                self.sql(f"UPDATE {self.accounts} SET {assignments} WHERE person_id=%s"),
                [*(self.value(getattr(account, n)) for n in names), self.value(account.person_id)],
            )
            if fact is not None:
                self._fact(c, account.person_id, at, fact, detail)
        return account

    def set_password(self, person_id: UUID, password_hash: str, *, at: datetime, fact: str) -> None:
        """Replace only the hash, so a concurrent update of other columns is not undone."""
        with self.cursor(commit=True) as c:
            c.execute(
                self.sql(f"UPDATE {self.accounts} SET password_hash=%s WHERE person_id=%s"),
                [password_hash, self.value(person_id)],
            )
            self._fact(c, person_id, at, fact, "")

    def set_pending_totp(self, person_id: UUID, secret: str, *, at: datetime) -> None:
        """Hold a new authenticator until it is confirmed; the login factor is untouched."""
        with self.cursor(commit=True) as c:
            c.execute(
                self.sql(f"UPDATE {self.accounts} SET totp_pending_secret=%s WHERE person_id=%s"),
                [secret, self.value(person_id)],
            )
            self._fact(c, person_id, at, "totp_enrolment_started", "")

    def confirm_pending_totp(
        self, person_id: UUID, secret: str, *, step: int, channel: str, at: datetime
    ) -> bool:
        """Make the pending authenticator the login factor, if it is still the pending one.

        Conditional on `secret`, so an enrolment started meanwhile (a new pending
        secret) is not confirmed by a code for the old one.
        """
        with self.cursor(commit=True) as c:
            c.execute(
                self.sql(
                    f"UPDATE {self.accounts} SET totp_secret=totp_pending_secret, "
                    "totp_pending_secret=NULL, totp_last_step=%s, otp_channel=%s "
                    "WHERE person_id=%s AND totp_pending_secret=%s RETURNING person_id"
                ),
                [step, channel, self.value(person_id), secret],
            )
            if c.fetchone() is None:
                return False
            self._fact(c, person_id, at, "otp_channel_changed", channel)
            return True

    def record_fact(self, person_id: UUID, *, at: datetime, kind: str, detail: str = "") -> None:
        with self.cursor(commit=True) as c:
            self._fact(c, person_id, at, kind, detail)

    def facts_of(self, person_id: UUID) -> list[tuple[str, str]]:
        with self.cursor(commit=False) as c:
            c.execute(
                self.sql(
                    f"SELECT kind, detail FROM {self.facts} WHERE person_id=%s ORDER BY fact_id"
                ),
                [self.value(person_id)],
            )
            return [(row["kind"], row["detail"]) for row in c.fetchall()]

    def count(self) -> int:
        with self.cursor(commit=False) as c:
            c.execute(f"SELECT COUNT(*) AS n FROM {self.accounts}")
            n: int = c.fetchone()["n"]
            return n

    def _one(self, column: str, value: Any) -> AccountRecord | None:
        with self.cursor(commit=False) as c:
            c.execute(
                self.sql(f"SELECT * FROM {self.accounts} WHERE {column}=%s"), [self.value(value)]
            )
            row = c.fetchone()
        if row is None:
            return None
        data = {n: row[n] for n in COLUMNS}
        data["person_id"] = self.uuid(data["person_id"])
        for name in BOOLS:
            data[name] = bool(data[name])
        return AccountRecord(**data)

    def _fact(self, c: Any, person_id: UUID, at: datetime, kind: str, detail: str) -> None:
        c.execute(
            self.sql(
                f"INSERT INTO {self.facts} (person_id, at, kind, detail) VALUES (%s, %s, %s, %s)"
            ),
            [self.value(person_id), to_micros(at), kind, detail],
        )
