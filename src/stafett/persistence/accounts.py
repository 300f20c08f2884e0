"""Accounts: credentials and login state, in mutable, deletable tables.

Nothing here is ever written to the event store (SEC-PW-05). The fact log
`account_facts` keeps what happened ("password_changed", "terms_accepted 1",
"locked untrusted") without any secret, for the account's own history and for
auditors. `login_throttles` counts failed logins per account and scope (clients
without a known device, one network address, one known device) and holds their
soft locks (decision 0010); scopes are keyed digests, never a raw address.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import IntegrityError

from stafett.aggregates.errors import DuplicateError
from stafett.persistence.recorders import from_micros, to_micros
from stafett.persistence.sql import SqlTables, Table


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
    failures: int = 0  # consecutive failures from anywhere, for the hard lock
    hard_locked: bool = False
    is_coordinator: bool = False
    is_org_admin: bool = False
    is_auditor: bool = False
    language: str | None = None  # the pages' language the person chose ("nb", "en")
    # The mobile number the person has shown they hold (a code or an SMS link reached
    # them there): SMS login codes go to the directory's number only while it is this
    # one (SEC-OTP-06, decision 0025).
    confirmed_mobile: str | None = None


COLUMNS = tuple(f.name for f in fields(AccountRecord))


@dataclass(frozen=True, slots=True)
class IdleAccount:
    """An account and when it was last used: its last login (None: never) and creation."""

    person_id: UUID
    username: str
    last_login_at: datetime | None
    created_at: datetime


BOOLS = ("hard_locked", "is_coordinator", "is_org_admin", "is_auditor")
INTS = ("totp_last_step", "terms_version", "failures")
NULLABLE_TEXT = ("totp_secret", "totp_pending_secret", "language", "confirmed_mobile")
# Columns added after the first release: older databases get them on start.
# (The first release's `locked_until` is no longer used: soft locks are in
# `login_throttles`. Older databases keep the nullable column, unread.)
ADDED_COLUMNS = {
    "totp_pending_secret": "TEXT",
    "language": "TEXT",
    "confirmed_mobile": "TEXT",
    "last_login_at": "BIGINT",  # the log control's dormant accounts (decision 0058)
}
# How an authenticator seed sealed by applications/seeds.py begins (`unsealed_seeds`
# finds those stored before sealing by its absence).
SEALED_PREFIX = "aesgcm1:"
THROTTLE_ROWS_KEPT = 2 * 86_400 * 1_000_000  # µs: idle, unlocked counters older than this go


class AccountStore(SqlTables):
    accounts = Table("accounts")
    facts = Table("account_facts")
    throttles = Table("login_throttles")

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
                f"({', '.join(column(n) for n in COLUMNS)}, created_at BIGINT NOT NULL, "
                "last_login_at BIGINT)",
                f"CREATE TABLE IF NOT EXISTS {self.facts} (fact_id {self.serial_key}, "
                f"person_id {self.uuid_type} NOT NULL, at BIGINT NOT NULL, "
                "kind TEXT NOT NULL, detail TEXT NOT NULL)",
                f"CREATE INDEX IF NOT EXISTS account_facts_by_person ON {self.facts} (person_id)",
                f"CREATE TABLE IF NOT EXISTS {self.throttles} ("
                f"person_id {self.uuid_type} NOT NULL, scope TEXT NOT NULL, "
                "failures INTEGER NOT NULL, locked_until BIGINT, updated_at BIGINT NOT NULL, "
                "PRIMARY KEY (person_id, scope))",
            ]
        )
        self.add_missing_columns("accounts", ADDED_COLUMNS, fill=self._confirm_proven_numbers)

    def _confirm_proven_numbers(self, c: Any, added: list[str]) -> None:
        """Once, when `confirmed_mobile` arrives in an older database: accounts whose codes
        go by SMS and that have finished a login (accepted the terms, which comes after
        the code) have shown they hold the directory's number, so it counts as confirmed
        (decision 0025). Every other account confirms its number anew."""
        if "confirmed_mobile" not in added:
            return
        persons = self.table("persons")
        self.execute(
            c,
            f"UPDATE {self.accounts} SET confirmed_mobile = (SELECT p.mobile FROM "
            f"{persons} p WHERE p.person_id = {self.accounts}.person_id AND p.mobile <> '') "
            "WHERE otp_channel = %s AND terms_version IS NOT NULL",
            "sms",
        )

    def insert(self, account: AccountRecord, *, at: datetime) -> None:
        row = {n: getattr(account, n) for n in COLUMNS} | {"created_at": to_micros(at)}
        try:
            with self.cursor(commit=True) as c:
                self.insert_row(c, self.accounts, row)
                self._fact(c, account.person_id, at, "account_created", "")
        except (IntegrityError, psycopg.IntegrityError):
            raise DuplicateError("the username or person already has an account") from None

    def by_username(self, username: str) -> AccountRecord | None:
        return self._one("username", username.casefold())

    def by_person(self, person_id: UUID) -> AccountRecord | None:
        return self._one("person_id", person_id)

    def unsealed_seeds(self) -> dict[UUID, dict[str, str]]:
        """Authenticator seeds stored in the clear (before seeds were sealed): by person,
        the column and its seed (applications/seeds.py)."""
        rows = self.select(
            f"SELECT person_id, totp_secret, totp_pending_secret FROM {self.accounts} "
            "WHERE totp_secret NOT LIKE %s OR totp_pending_secret NOT LIKE %s",
            SEALED_PREFIX + "%",
            SEALED_PREFIX + "%",
        )
        found: dict[UUID, dict[str, str]] = {}
        for row in rows:
            seeds = {
                name: str(row[name])
                for name in ("totp_secret", "totp_pending_secret")
                if row[name] is not None and not str(row[name]).startswith(SEALED_PREFIX)
            }
            found[self.uuid(row["person_id"])] = seeds
        return found

    def change(
        self,
        person_id: UUID,
        columns: Mapping[str, Any],
        *,
        at: datetime,
        fact: str | None = None,
        detail: str = "",
    ) -> None:
        """Set only `columns` (name → value) of the account, and a fact when one is named.

        There is no write of a whole record: a caller holds a copy read earlier, and
        writing all of it back would undo what another request changed meanwhile (a
        hard lock an administrator set, a failure counted, a TOTP step used).
        """
        unknown = set(columns) - set(COLUMNS) | set(columns) & {"person_id", "username"}
        if unknown:
            raise ValueError(f"not a changeable account column: {sorted(unknown)}")
        self._set(person_id, columns, at=at, fact=fact, detail=detail)

    def claim_totp_step(self, person_id: UUID, step: int) -> bool:
        """Use the authenticator's time step `step`, if no step as new has been used.

        One conditional UPDATE, so of two requests with the same code only one gets
        True (SEC-OTP-03: a code is accepted once).
        """
        return self.changed(
            f"UPDATE {self.accounts} SET totp_last_step=%s WHERE person_id=%s "
            "AND (totp_last_step IS NULL OR totp_last_step < %s) RETURNING person_id",
            step,
            person_id,
            step,
        )

    def set_password(
        self, person_id: UUID, password_hash: str, *, at: datetime, fact: str | None
    ) -> None:
        """Replace only the hash, so a concurrent update of other columns is not undone
        (no fact for a rehash: the password is the same)."""
        self._set(person_id, {"password_hash": password_hash}, at=at, fact=fact)

    def set_pending_totp(self, person_id: UUID, secret: str, *, at: datetime) -> None:
        """Hold a new authenticator until it is confirmed; the login factor is untouched."""
        self._set(person_id, {"totp_pending_secret": secret}, at=at, fact="totp_enrolment_started")

    def confirm_pending_totp(
        self, person_id: UUID, secret: str, *, step: int, channel: str, at: datetime
    ) -> bool:
        """Make the pending authenticator the login factor, if it is still the pending one.

        Conditional on `secret`, so an enrolment started meanwhile (a new pending
        secret) is not confirmed by a code for the old one.
        """
        with self.cursor(commit=True) as c:
            self.execute(
                c,
                f"UPDATE {self.accounts} SET totp_secret=totp_pending_secret, "
                "totp_pending_secret=NULL, totp_last_step=%s, otp_channel=%s "
                "WHERE person_id=%s AND totp_pending_secret=%s RETURNING person_id",
                step,
                channel,
                person_id,
                secret,
            )
            if c.fetchone() is None:
                return False
            self._fact(c, person_id, at, "otp_channel_changed", channel)
            return True

    def confirm_mobile(
        self, person_id: UUID, number: str, *, at: datetime, how: str, codes_by_sms: bool = False
    ) -> None:
        """The person has shown they hold `number` (`how`: "code" or "sms_link"); the fact
        names how, never the number. With `codes_by_sms` their codes go by SMS from now
        on, in the same transaction, with that fact too (decision 0045)."""
        columns: dict[str, Any] = {"confirmed_mobile": number}
        more: tuple[tuple[str, str], ...] = ()
        if codes_by_sms:
            columns["otp_channel"] = "sms"
            more = (("otp_channel_changed", "sms"),)
        self._set(person_id, columns, at=at, fact="mobile_confirmed", detail=how, more_facts=more)

    def set_otp_channel(self, person_id: UUID, channel: str, *, at: datetime) -> None:
        """Codes by `channel` from now on; an authenticator's secrets go (enrolled anew)."""
        columns = {
            "otp_channel": channel,
            "totp_secret": None,
            "totp_last_step": None,
            "totp_pending_secret": None,
        }
        self._set(person_id, columns, at=at, fact="otp_channel_changed", detail=channel)

    def set_flag(
        self, person_id: UUID, flag: str, value: bool, *, at: datetime, fact: str, detail: str = ""
    ) -> None:
        """Set one of the account's flags (a role, or the hard lock), with its fact."""
        if flag not in BOOLS:
            raise ValueError(f"not an account flag: {flag}")
        self._set(person_id, {flag: value}, at=at, fact=fact, detail=detail)

    def every(self) -> list[AccountRecord]:
        """Every account, by username (for the organisation's administrators)."""
        rows = self.select(f"SELECT * FROM {self.accounts} ORDER BY username")
        return [self._record(row) for row in rows]

    # ------------------------------------------------------------ failed logins

    def count_failure(self, person_id: UUID, *, at: datetime, hard_after: int) -> bool:
        """One more consecutive failure; True when this one hard-locks the account."""
        with self.cursor(commit=True) as c:
            self.execute(
                c,
                f"UPDATE {self.accounts} SET failures = failures + 1 WHERE person_id=%s "
                "RETURNING failures, hard_locked",
                person_id,
            )
            row = c.fetchone()
            if row is None or bool(row["hard_locked"]) or row["failures"] < hard_after:
                return False
            self.execute(
                c, f"UPDATE {self.accounts} SET hard_locked=%s WHERE person_id=%s", True, person_id
            )
            self._fact(c, person_id, at, "hard_locked", "")
            return True

    def fail(
        self, person_id: UUID, scope: str, *, at: datetime, lock_after: int, lock_micros: int
    ) -> bool:
        """Count a failure in `scope`; every `lock_after`-th locks it. True when it locked."""
        now = to_micros(at)
        with self.cursor(commit=True) as c:
            current = "failures" if self.is_sqlite else f"{self.throttles}.failures"
            self.execute(
                c,
                f"INSERT INTO {self.throttles} (person_id, scope, failures, updated_at) "
                "VALUES (%s, %s, 1, %s) ON CONFLICT (person_id, scope) DO UPDATE SET "
                f"failures = {current} + 1, updated_at = excluded.updated_at "
                "RETURNING failures",
                person_id,
                scope,
                now,
            )
            failures: int = c.fetchone()["failures"]
            locks = failures % lock_after == 0
            if locks:
                self.execute(
                    c,
                    f"UPDATE {self.throttles} SET locked_until=%s WHERE person_id=%s AND scope=%s",
                    now + lock_micros,
                    person_id,
                    scope,
                )
                kind = scope.split(":", 1)[0]
                self._fact(c, person_id, at, "locked", kind)
            self.execute(
                c,
                f"DELETE FROM {self.throttles} WHERE updated_at < %s "
                "AND (locked_until IS NULL OR locked_until < %s)",
                now - THROTTLE_ROWS_KEPT,
                now,
            )
            return locks

    def soft_locked(self, *, at: datetime) -> set[UUID]:
        """The accounts with a soft lock in force at `at`, in any scope."""
        rows = self.select(
            f"SELECT DISTINCT person_id FROM {self.throttles} WHERE locked_until > %s",
            to_micros(at),
        )
        return {self.uuid(row["person_id"]) for row in rows}

    def locked_scope(self, person_id: UUID, scopes: list[str], *, at: datetime) -> str | None:
        """The first of `scopes` that is locked at `at`, if any."""
        marks = ", ".join(["%s"] * len(scopes))
        rows = self.select(
            f"SELECT scope FROM {self.throttles} WHERE person_id=%s "
            f"AND scope IN ({marks}) AND locked_until > %s",
            person_id,
            *scopes,
            to_micros(at),
        )
        locked = {row["scope"] for row in rows}
        return next((scope for scope in scopes if scope in locked), None)

    def succeeded(self, person_id: UUID, scopes: list[str]) -> None:
        """A full login: the consecutive count and the counters of its scopes start over."""
        marks = ", ".join(["%s"] * len(scopes))
        with self.cursor(commit=True) as c:
            self.execute(c, f"UPDATE {self.accounts} SET failures=0 WHERE person_id=%s", person_id)
            self.execute(
                c,
                f"DELETE FROM {self.throttles} WHERE person_id=%s AND scope IN ({marks})",
                person_id,
                *scopes,
            )

    def release(self, person_id: UUID, *, at: datetime) -> None:
        """An administrator lifts every lock of the account, hard and soft."""
        with self.cursor(commit=True) as c:
            self.execute(
                c,
                f"UPDATE {self.accounts} SET failures=0, hard_locked=%s WHERE person_id=%s",
                False,
                person_id,
            )
            self.execute(c, f"DELETE FROM {self.throttles} WHERE person_id=%s", person_id)
            self._fact(c, person_id, at, "unlocked", "")

    def record_fact(self, person_id: UUID, *, at: datetime, kind: str, detail: str = "") -> None:
        with self.cursor(commit=True) as c:
            self._fact(c, person_id, at, kind, detail)

    def facts_of(self, person_id: UUID) -> list[tuple[str, str]]:
        rows = self.select(
            f"SELECT kind, detail FROM {self.facts} WHERE person_id=%s ORDER BY fact_id", person_id
        )
        return [(row["kind"], row["detail"]) for row in rows]

    def logged_in(self, person_id: UUID, *, at: datetime) -> None:
        """The account finished a login at `at` (its last login, for the log control)."""
        with self.cursor(commit=True) as c:
            self.execute(
                c,
                f"UPDATE {self.accounts} SET last_login_at=%s WHERE person_id=%s",
                to_micros(at),
                person_id,
            )

    def idle_since(self, before: datetime) -> list[IdleAccount]:
        """Accounts not locked whose last login (their creation, if they never logged in)
        is before `before`, the longest idle first."""
        rows = self.select(
            f"SELECT person_id, username, last_login_at, created_at FROM {self.accounts} "
            f"WHERE NOT hard_locked AND COALESCE(last_login_at, created_at) < %s "
            "ORDER BY COALESCE(last_login_at, created_at), username",
            to_micros(before),
        )
        return [
            IdleAccount(
                person_id=self.uuid(r["person_id"]),
                username=r["username"],
                last_login_at=None
                if r["last_login_at"] is None
                else from_micros(int(r["last_login_at"])),
                created_at=from_micros(int(r["created_at"])),
            )
            for r in rows
        ]

    def count(self) -> int:
        n: int = self.select(f"SELECT COUNT(*) AS n FROM {self.accounts}")[0]["n"]
        return n

    def _one(self, column: str, value: Any) -> AccountRecord | None:
        row = self.select_one(f"SELECT * FROM {self.accounts} WHERE {column}=%s", value)
        return None if row is None else self._record(row)

    def _record(self, row: Any) -> AccountRecord:
        data = {n: row[n] for n in COLUMNS}
        data["person_id"] = self.uuid(data["person_id"])
        for name in BOOLS:
            data[name] = bool(data[name])
        return AccountRecord(**data)

    def _set(
        self,
        person_id: UUID,
        columns: Mapping[str, Any],
        *,
        at: datetime,
        fact: str | None,
        detail: str = "",
        more_facts: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Set `columns` (name → value) of the account, and record `fact` when it is named
        (and each of `more_facts`, kind and detail), in one transaction."""
        assignments = ", ".join(f"{n}=%s" for n in columns)
        with self.cursor(commit=True) as c:
            self.execute(
                c,
                f"UPDATE {self.accounts} SET {assignments} WHERE person_id=%s",
                *columns.values(),
                person_id,
            )
            if fact is not None:
                self._fact(c, person_id, at, fact, detail)
            for kind, more_detail in more_facts:
                self._fact(c, person_id, at, kind, more_detail)

    def _fact(self, c: Any, person_id: UUID, at: datetime, kind: str, detail: str) -> None:
        self.execute(
            c,
            f"INSERT INTO {self.facts} (person_id, at, kind, detail) VALUES (%s, %s, %s, %s)",
            person_id,
            to_micros(at),
            kind,
            detail,
        )
