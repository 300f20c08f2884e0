"""Server-side sessions, login challenges, reset tokens and rate counters.

Only SHA-256 digests of session and reset tokens are stored (SEC-SES-01,
SEC-REC-02); a one-time code is stored only as an HMAC (SEC-OTP-05). Everything
lives in the database so that several web workers share it.
"""

import hashlib
import secrets
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from stafett.persistence.kept_forms import FORM_KEPT, KeptFormTables
from stafett.persistence.recorders import to_micros
from stafett.persistence.sql import Table


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """256 bits from the operating system's CSPRNG."""
    return secrets.token_urlsafe(32)


def new_login_id() -> str:
    """A session's login id (SessionRecord.login_id): 128 bits from the CSPRNG."""
    return secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    token_hash: str
    person_id: UUID
    stage: str
    created_at: int
    last_seen: int
    authenticated_at: int | None = None
    code_hmac: str | None = None
    code_expires: int | None = None
    code_attempts: int = 0
    # The last one-time code accepted in this session (login or step-up, SEC-SES-08).
    code_at: int | None = None
    # Random, made anew when the login finishes and kept while the token changes
    # (SEC-SES-02); the session's CSRF token is bound to it. Never sent to anyone.
    login_id: str | None = None
    # The User-Agent of the browser that logged in (at most 200 characters), so that its
    # owner can tell their logins apart on My profile. Swept with the session.
    agent: str = ""

    @property
    def login_key(self) -> str:
        """What the session's CSRF token is bound to: its login id (a session stored
        before there were login ids: its token's digest, until its token next changes)."""
        return self.login_id or self.token_hash


COLUMNS = tuple(f.name for f in fields(SessionRecord))
# Reset-link columns added after the first release: older databases get them on start.
RESET_COLUMNS = {"sms_to": "TEXT"}
HITS_KEPT = 86_400 * 1_000_000  # µs: rate-limited uses older than a day are deleted
SESSION_COLUMNS = {"code_at": "BIGINT", "login_id": "TEXT", "agent": "TEXT NOT NULL DEFAULT ''"}


@dataclass(frozen=True, slots=True)
class Swept:
    """How many rows a sweep deleted, table by table (`SessionStore.sweep`)."""

    sessions: int
    reset_links: int
    kept_forms: int
    rate_hits: int


@dataclass(frozen=True, slots=True)
class UsedLink:
    """A password link just used up: whose it was, and the digest of the mobile number it
    went to by SMS (None when it went by e-mail)."""

    person_id: UUID
    sms_to: str | None


class SessionStore(KeptFormTables):
    sessions = Table("sessions")
    resets = Table("password_resets")
    hits = Table("rate_hits")

    def create_tables(self) -> None:
        self.create(
            [
                f"CREATE TABLE IF NOT EXISTS {self.sessions} ("
                "token_hash TEXT PRIMARY KEY, "
                f"person_id {self.uuid_type} NOT NULL, stage TEXT NOT NULL, "
                "created_at BIGINT NOT NULL, last_seen BIGINT NOT NULL, "
                "authenticated_at BIGINT, code_hmac TEXT, code_expires BIGINT, "
                "code_attempts INTEGER NOT NULL, code_at BIGINT, login_id TEXT, "
                "agent TEXT NOT NULL DEFAULT '')",
                f"CREATE INDEX IF NOT EXISTS sessions_by_person ON {self.sessions} (person_id)",
                f"CREATE TABLE IF NOT EXISTS {self.resets} (token_hash TEXT PRIMARY KEY, "
                f"person_id {self.uuid_type} NOT NULL, expires_at BIGINT NOT NULL, sms_to TEXT)",
                f"CREATE TABLE IF NOT EXISTS {self.hits} (key TEXT NOT NULL, at BIGINT NOT NULL)",
                f"CREATE INDEX IF NOT EXISTS rate_hits_by_key ON {self.hits} (key, at)",
                f"CREATE INDEX IF NOT EXISTS rate_hits_by_age ON {self.hits} (at)",
                self._kept_table(self.kept),
            ]
        )
        self.add_missing_columns("password_resets", RESET_COLUMNS)
        self.add_missing_columns("sessions", SESSION_COLUMNS)
        self._rekey_kept_forms()

    # ---------------------------------------------------------------- sessions

    def start(self, person_id: UUID, stage: str, *, at: datetime, **more: Any) -> str:
        """A new session; returns the token, which only the client keeps."""
        token = new_token()
        now = to_micros(at)
        record = SessionRecord(
            digest(token), person_id, stage, now, now, **{"login_id": new_login_id(), **more}
        )
        with self.cursor(commit=True) as c:
            self._insert(c, record)
        return token

    def get(self, token: str) -> SessionRecord | None:
        row = self.select_one(f"SELECT * FROM {self.sessions} WHERE token_hash=%s", digest(token))
        return None if row is None else self._record(row)

    def _record(self, row: Any) -> SessionRecord:
        data = {n: row[n] for n in COLUMNS}
        data["person_id"] = self.uuid(data["person_id"])
        return SessionRecord(**data)

    def rotate(self, old_token: str, record: SessionRecord) -> str | None:
        """Replace the session under a new token (SEC-SES-02); the old one stops working.

        None when the old session is gone already (ended, or rotated by another request):
        of two requests that would rotate the same session, only one gets a new one.
        """
        token = new_token()
        new = SessionRecord(
            **{**{n: getattr(record, n) for n in COLUMNS}, "token_hash": digest(token)}
        )
        with self.cursor(commit=True) as c:
            self.execute(
                c,
                f"DELETE FROM {self.sessions} WHERE token_hash=%s RETURNING token_hash",
                digest(old_token),
            )
            if c.fetchone() is None:
                return None
            self._insert(c, new)
        return token

    # A session is never written back whole: each change below sets only its own
    # columns, in one statement, so that a copy read earlier by one request cannot
    # undo what another did meanwhile (a code issued, a try spent, a code used).

    def change_stage(self, token: str, *, was: str, to: str) -> bool:
        """Move the session from stage `was` to `to`; whether it was at `was` (of two
        requests that find it there at once, one moves it)."""
        return self.changed(
            f"UPDATE {self.sessions} SET stage=%s WHERE token_hash=%s AND stage=%s "
            "RETURNING token_hash",
            to,
            digest(token),
            was,
        )

    def touch(self, token_hash: str, *, at: int) -> None:
        """The session was used at `at` (µs), for its idle expiry; never moved back."""
        self.write(
            f"UPDATE {self.sessions} SET last_seen=%s WHERE token_hash=%s AND last_seen<%s",
            at,
            token_hash,
            at,
        )

    def set_code(self, token_hash: str, code_hmac: str, *, expires: int) -> None:
        """A new one-time code for the session, with its tries; the old code is void."""
        self.write(
            f"UPDATE {self.sessions} SET code_hmac=%s, code_expires=%s, code_attempts=0 "
            "WHERE token_hash=%s",
            code_hmac,
            expires,
            token_hash,
        )

    def take_try(self, token_hash: str, *, tries: int) -> SessionRecord | None:
        """Spend one of the session's `tries` at a code: the session with the try
        counted, or None when none is left (or there is no such session).

        One `UPDATE … RETURNING`, so guesses sent at once each spend a try of their own.
        """
        with self.cursor(commit=True) as c:
            self.execute(
                c,
                f"UPDATE {self.sessions} SET code_attempts=code_attempts+1 "
                "WHERE token_hash=%s AND code_attempts<%s RETURNING *",
                token_hash,
                tries,
            )
            row = c.fetchone()
        return None if row is None else self._record(row)

    def use_code(self, token_hash: str, code_hmac: str | None, *, code_at: int | None) -> bool:
        """Use the session's code up; True for exactly one caller. `code_hmac`: the code
        that was checked (None for an authenticator's code, which the account's used
        step guards instead). `code_at`: when a code that proves the person was accepted
        (login, step-up: SEC-SES-08); None leaves that mark as it was."""
        same_code = "" if code_hmac is None else " AND code_hmac=%s"
        mark = "" if code_at is None else ", code_at=%s"
        params = [*([] if code_at is None else [code_at]), token_hash]
        params += [] if code_hmac is None else [code_hmac]
        return self.changed(
            f"UPDATE {self.sessions} SET code_hmac=NULL, code_expires=NULL, code_attempts=0"
            f"{mark} WHERE token_hash=%s{same_code} RETURNING token_hash",
            *params,
        )

    def end(self, token: str) -> None:
        self.write(f"DELETE FROM {self.sessions} WHERE token_hash=%s", digest(token))

    def end_one_of(self, person_id: UUID, token_hash: str) -> bool:
        """End the person's session stored under `token_hash`; whether there was one."""
        return self.changed(
            f"DELETE FROM {self.sessions} WHERE token_hash=%s AND person_id=%s "
            "RETURNING token_hash",
            token_hash,
            person_id,
        )

    def end_everyone_else(self, token: str) -> int:
        """End every session but the one of `token` (an administrator's, SEC-SES-07);
        how many ended."""
        with self.cursor(commit=True) as c:
            self.execute(
                c,
                f"DELETE FROM {self.sessions} WHERE token_hash<>%s RETURNING token_hash",
                digest(token),
            )
            return len(c.fetchall())

    def end_all_of(self, person_id: UUID, *, except_token: str | None = None) -> int:
        keep = digest(except_token) if except_token else ""
        with self.cursor(commit=True) as c:
            self.execute(
                c,
                f"DELETE FROM {self.sessions} WHERE person_id=%s AND token_hash<>%s "
                "RETURNING token_hash",
                person_id,
                keep,
            )
            return len(c.fetchall())

    def keep_newest(
        self,
        person_id: UUID,
        *,
        stage: str,
        keep: int,
        new_token: str,
        seen_after: int,
        authenticated_after: int,
    ) -> int:
        """End all but the `keep` most recently started live sessions at `stage`; how
        many ended. Live: last seen at or after `seen_after` and authenticated at or after
        `authenticated_after` (µs). A session past these is already refused: it neither
        counts nor is ended here (`sweep` deletes it later), so it never pushes out a
        session still in use.

        The session of `new_token`, just started, is kept whatever the clock says: two
        logins at one instant (a clock's resolution) must not end the newer one.
        """
        # One statement: the sessions past the `keep` newest ranked and deleted together.
        with self.cursor(commit=True) as c:
            self.execute(
                c,
                f"DELETE FROM {self.sessions} WHERE token_hash IN ("
                "SELECT token_hash FROM ("
                "SELECT token_hash, ROW_NUMBER() OVER ("
                "ORDER BY CASE WHEN token_hash=%s THEN 0 ELSE 1 END, "
                "authenticated_at DESC, created_at DESC, token_hash) AS newest "
                f"FROM {self.sessions} WHERE person_id=%s AND stage=%s "
                "AND ((last_seen >= %s AND authenticated_at >= %s) OR token_hash=%s)"
                ") AS ranked WHERE newest > %s) RETURNING token_hash",
                digest(new_token),
                person_id,
                stage,
                seen_after,
                authenticated_after,
                digest(new_token),
                keep,
            )
            return len(c.fetchall())

    def live_counts(
        self, *, stage: str, seen_after: int, authenticated_after: int
    ) -> dict[UUID, int]:
        """How many live sessions at `stage` each person has (live as `keep_newest` says)."""
        rows = self.select(
            f"SELECT person_id, COUNT(*) AS n FROM {self.sessions} WHERE stage=%s "
            "AND last_seen >= %s AND authenticated_at >= %s GROUP BY person_id",
            stage,
            seen_after,
            authenticated_after,
        )
        return {self.uuid(row["person_id"]): int(row["n"]) for row in rows}

    def of_person(self, person_id: UUID, *, stage: str) -> list[SessionRecord]:
        """The person's sessions at `stage` (expired ones not yet ended too)."""
        rows = self.select(
            f"SELECT * FROM {self.sessions} WHERE person_id=%s AND stage=%s", person_id, stage
        )
        return [self._record(row) for row in rows]

    def count_of(self, person_id: UUID) -> int:
        [row] = self.select(
            f"SELECT COUNT(*) AS n FROM {self.sessions} WHERE person_id=%s", person_id
        )
        n: int = row["n"]
        return n

    def _insert(self, c: Any, record: SessionRecord) -> None:
        self.insert_row(c, self.sessions, {n: getattr(record, n) for n in COLUMNS})

    # ----------------------------------------------------------------- sweeping

    def sweep(
        self,
        *,
        at: datetime,
        logged_in: str,
        ended: str,
        started_before: int,
        seen_before: int,
        authenticated_before: int,
    ) -> Swept:
        """Delete, in one transaction, what these tables hold past its use: sessions
        neither `logged_in` nor `ended` (a login under way) started before
        `started_before`; those that are (or were) logged in last seen before `seen_before`
        or authenticated before `authenticated_before` (µs); reset links past their
        expiry; forms kept longer than `FORM_KEPT`; rate counts older than `HITS_KEPT`."""
        now = to_micros(at)
        was_logged_in = "stage IN (%s, %s)"
        gone_by = "(last_seen < %s OR COALESCE(authenticated_at, 0) < %s)"
        deletes = (
            (
                f"DELETE FROM {self.sessions} WHERE (NOT {was_logged_in} AND created_at < %s) "
                f"OR ({was_logged_in} AND {gone_by}) RETURNING 1",
                (
                    logged_in,
                    ended,
                    started_before,
                    logged_in,
                    ended,
                    seen_before,
                    authenticated_before,
                ),
            ),
            (f"DELETE FROM {self.resets} WHERE expires_at < %s RETURNING 1", (now,)),
            (f"DELETE FROM {self.kept} WHERE kept_at <= %s RETURNING 1", (now - FORM_KEPT,)),
            (f"DELETE FROM {self.hits} WHERE at <= %s RETURNING 1", (now - HITS_KEPT,)),
        )
        counts = []
        with self.cursor(commit=True) as c:
            for statement, params in deletes:
                self.execute(c, statement, *params)
                counts.append(len(c.fetchall()))
        return Swept(*counts)

    # ------------------------------------------------------------ reset tokens

    def issue_reset(
        self, person_id: UUID, *, expires_at: datetime, sms_to: str | None = None
    ) -> str:
        """A single-use reset token; any earlier one for the person stops working.
        `sms_to`: the mobile number it goes to by SMS, kept only as a digest."""
        token = new_token()
        with self.cursor(commit=True) as c:
            self.execute(c, f"DELETE FROM {self.resets} WHERE person_id=%s", person_id)
            row = {
                "token_hash": digest(token),
                "person_id": person_id,
                "expires_at": to_micros(expires_at),
                "sms_to": None if sms_to is None else digest(sms_to),
            }
            self.insert_row(c, self.resets, row)
        return token

    def reset_holder(self, token: str, *, at: datetime) -> UUID | None:
        """The person a live token was issued for, leaving the token in place."""
        row = self.select_one(
            f"SELECT person_id, expires_at FROM {self.resets} WHERE token_hash=%s", digest(token)
        )
        if row is None or row["expires_at"] < to_micros(at):
            return None
        return self.uuid(row["person_id"])

    def consume_reset(self, token: str, *, at: datetime) -> UsedLink | None:
        """Use the token up: the link it was live for, to exactly one caller.

        One `DELETE … RETURNING`, so of two concurrent callers only the one whose
        delete removed the row gets the link; the other gets None.
        """
        with self.cursor(commit=True) as c:
            self.execute(
                c,
                f"DELETE FROM {self.resets} WHERE token_hash=%s "
                "RETURNING person_id, expires_at, sms_to",
                digest(token),
            )
            row = c.fetchone()
        if row is None or row["expires_at"] < to_micros(at):
            return None
        return UsedLink(self.uuid(row["person_id"]), row["sms_to"])

    # ---------------------------------------------------------------- counters

    def take(self, key: str, *, limit: int, window_seconds: int, at: datetime) -> int | None:
        """One use of `key`'s budget: at most `limit` in any `window_seconds` (a sliding
        window). None when taken; when the budget is spent, nothing is counted and the
        answer is the whole seconds until a use is free again (Retry-After): until the
        `limit`-th newest use leaves the window.

        Uses are counted one by one, so no burst across a window's edge passes twice the
        limit, as it did with counts per fixed window. On PostgreSQL a key's takes wait
        for each other (a transaction-scoped advisory lock), so two cannot both take the
        last use; SQLite has one writer.
        """
        if limit < 1:
            raise ValueError(f"a limit of {limit} uses lets nobody in")
        if window_seconds * 1_000_000 > HITS_KEPT:
            raise ValueError(f"a window of {window_seconds} s is longer than uses are kept")
        now = to_micros(at)
        since = now - window_seconds * 1_000_000
        with self.cursor(commit=True) as c:
            if not self.is_sqlite:
                self.execute(c, "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", key)
            self.execute(  # the newest `limit` uses in the window
                c,
                f"SELECT at FROM {self.hits} WHERE key=%s AND at > %s ORDER BY at DESC LIMIT %s",
                key,
                since,
                limit,
            )
            uses = [int(row["at"]) for row in c.fetchall()]
            if len(uses) >= limit:  # a use is free when the limit-th newest leaves the window
                frees = uses[limit - 1] + window_seconds * 1_000_000
                return max(1, -((now - frees) // 1_000_000))  # whole seconds, rounded up
            self.execute(c, f"INSERT INTO {self.hits} (key, at) VALUES (%s, %s)", key, now)
            return None
