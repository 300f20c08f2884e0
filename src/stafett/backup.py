"""Backups of the store and the restore drill (decision 0029).

A backup is SQLite's online backup API (a consistent copy while the service runs) or
`pg_dump --format=custom` of the configured schema. The drill takes a backup now,
restores it beside the store (a file in a temporary folder; a scratch database on the
same PostgreSQL server, dropped afterwards) and checks that the copy answers as the store
did at the backup's instant:

- every table is there, with the same number of rows and the same content (an
  order-independent sum of each row's MD5, read in the backup's own snapshot: on
  PostgreSQL the figures are read in the transaction whose snapshot pg_dump is given,
  on SQLite in the read transaction the backup API copies from), so the event counts
  are equal and nothing was left out;
- the append-only triggers and the schema's functions came along (a restore without
  them would accept a changed access log, or could not save events);
- through the applications: every plan loads and every plan's access-log chain verifies.
"""

import argparse
import hashlib
import os
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from stafett.bootstrap import build_access_log, build_plans
from stafett.settings import Settings, SettingsError, postgres_tls

Say = Callable[[str], None]


class BackupError(RuntimeError):
    """A backup or restore step could not run (a tool missing, a command failing)."""


@dataclass(frozen=True)
class Figures:
    """What a store holds, table by table, at one instant."""

    tables: dict[str, tuple[int, str]]  # name → (rows, content digest)
    triggers: frozenset[str] = frozenset()
    functions: frozenset[str] = frozenset()


@dataclass
class DrillResult:
    lines: list[str] = field(default_factory=list)  # "ok      …" / "FAILED  …"
    failed: bool = False

    def check(self, name: str, problems: list[str], note: str = "") -> None:
        if problems:
            self.failed = True
            self.lines += [f"FAILED  {name}: {p}" for p in problems]
        else:
            self.lines.append(f"ok      {name}" + (f" ({note})" if note else ""))


# ---------------------------------------------------------------- SQLite


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """`stafett backup create|drill` (run by `stafett.__main__`)."""
    backups = commands.add_parser("backup", help="backups and the restore drill").add_subparsers(
        dest="backup_command", required=True
    )
    create_backup = backups.add_parser(
        "create", help="SQLite: online backup to FILE; PostgreSQL: pg_dump -Fc of the schema"
    )
    create_backup.add_argument("file", type=Path)
    drill = backups.add_parser(
        "drill", help="back up now, restore beside the store, check the copy (exit 1 if not)"
    )
    drill.add_argument("--keep", type=Path, metavar="FILE", help="keep the backup in FILE")


def _sqlite_path(settings: Settings) -> Path:
    return Path(settings.event_store_env()["SQLITE_DBNAME"])


def _row_sum(rows: Iterator[tuple[object, ...]]) -> tuple[int, str]:
    """Rows and an order-independent digest: the sum of each row's MD5 (first 8 bytes)."""
    count, total = 0, 0
    for row in rows:
        count += 1
        total += int.from_bytes(hashlib.md5(repr(row).encode(), usedforsecurity=False).digest()[:8])
    return count, f"{total:x}"


def sqlite_figures(conn: sqlite3.Connection) -> Figures:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    # The names come from the store's own catalogue, quoted as identifiers.
    tables = {
        n: _row_sum(iter(conn.execute(f'SELECT * FROM "{n.replace(chr(34), chr(34) * 2)}"')))  # noqa: S608
        for n in names
    }
    triggers = frozenset(
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    )
    return Figures(tables, triggers)


def backup_sqlite(settings: Settings, target: Path) -> Figures:
    """SQLite's online backup API into `target` (never over a file), and the source's
    figures read in the same read transaction that the copy is taken from."""
    if target.exists():
        raise BackupError(f"{target} exists already")
    source = sqlite3.connect(_sqlite_path(settings), isolation_level=None)
    copy = sqlite3.connect(target)
    try:
        source.execute("BEGIN")  # one read snapshot (WAL) for the figures and the copy
        figures = sqlite_figures(source)
        source.backup(copy)
        source.execute("COMMIT")
    finally:
        copy.close()
        source.close()
    return figures


# ---------------------------------------------------------------- PostgreSQL


@dataclass(frozen=True)
class PostgresTarget:
    """Where a PostgreSQL store is: libpq parameters (the password goes by PGPASSWORD,
    never on a command line) and the schema."""

    host: str
    port: int
    user: str
    password: str
    dbname: str
    schema: str
    url: str
    tls: tuple[tuple[str, str], ...] = ()  # libpq's TLS parameters from the URL

    @classmethod
    def of(cls, settings: Settings) -> "PostgresTarget":
        env = settings.event_store_env()
        if "POSTGRES_DBNAME" not in env:
            raise SettingsError("STAFETT_DATABASE_URL is not a PostgreSQL store")
        return cls(
            env["POSTGRES_HOST"],
            int(env["POSTGRES_PORT"]),
            env["POSTGRES_USER"],
            env["POSTGRES_PASSWORD"],
            env["POSTGRES_DBNAME"],
            env["POSTGRES_SCHEMA"],
            settings.database_url,
            tuple(postgres_tls(env).items()),
        )

    def conninfo(self, dbname: str | None = None) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=dbname or self.dbname,
            **dict(self.tls),
        )

    def connect(self, dbname: str | None = None) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.conninfo(dbname), password=self.password or None)

    def tool_env(self) -> dict[str, str]:
        return {**os.environ, "PGPASSWORD": self.password} if self.password else dict(os.environ)

    def in_database(self, dbname: str) -> "PostgresTarget":
        """The same store's URL pointing at another database (schema and pool kept)."""
        parts = urlsplit(self.url)
        return PostgresTarget(
            self.host,
            self.port,
            self.user,
            self.password,
            dbname,
            self.schema,
            urlunsplit(parts._replace(path="/" + dbname)),
        )


def postgres_figures(conn: psycopg.Connection[tuple[object, ...]], schema: str) -> Figures:
    names = [
        str(r[0])
        for r in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            (schema,),
        )
    ]
    tables = {}
    for name in names:
        row = conn.execute(
            sql.SQL(
                "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 16))"
                "::bit(64)::bigint::numeric), 0)::text FROM {} AS t"
            ).format(sql.Identifier(schema, name))
        ).fetchone()
        assert row is not None
        tables[name] = (int(str(row[0])), str(row[1]))
    triggers = frozenset(  # pg_trigger: information_schema leaves TRUNCATE triggers out
        f"{r[0]}.{r[1]}"
        for r in conn.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND NOT t.tgisinternal",
            (schema,),
        )
    )
    functions = frozenset(
        str(r[0])
        for r in conn.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s",
            (schema,),
        )
    )
    return Figures(tables, triggers, functions)


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        # A fixed program; its arguments are the configured store's, one per list item.
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed (apt-get install postgresql-client)"
        ) from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def backup_postgres(settings: Settings, target: Path) -> Figures:
    """`pg_dump --format=custom` of the schema into `target`, and the figures read in the
    same snapshot (exported from a repeatable-read transaction and handed to pg_dump)."""
    if target.exists():
        raise BackupError(f"{target} exists already")
    store = PostgresTarget.of(settings)
    with store.connect() as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        exported = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert exported is not None
        figures = postgres_figures(conn, store.schema)
        _run(
            [
                "pg_dump",
                "--format=custom",
                f"--schema={store.schema}",
                f"--snapshot={exported[0]}",
                f"--file={target}",
                f"--dbname={store.conninfo()}",
            ],
            store.tool_env(),
        )
        conn.rollback()
    return figures


@contextmanager
def scratch_database(store: PostgresTarget) -> Iterator[PostgresTarget]:
    """A new, empty database on the store's server, dropped again afterwards."""
    name = f"{store.dbname}_drill_{uuid.uuid4().hex[:8]}"
    with store.connect() as conn:
        conn.autocommit = True
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield store.in_database(name)
    finally:
        with store.connect() as conn:
            conn.autocommit = True
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def restore_postgres(dump: Path, into: PostgresTarget) -> None:
    _run(
        [
            "pg_restore",
            "--exit-on-error",
            "--no-owner",
            f"--dbname={into.conninfo()}",
            str(dump),
        ],
        into.tool_env(),
    )


# ---------------------------------------------------------------- the drill


def compare(expected: Figures, found: Figures, result: DrillResult) -> None:
    problems = [f"table {n} is missing" for n in sorted(expected.tables.keys() - found.tables)]
    problems += [
        f"table {n} is not in the store" for n in sorted(found.tables.keys() - expected.tables)
    ]
    for name in sorted(expected.tables.keys() & found.tables.keys()):
        (rows, digest), (copy_rows, copy_digest) = expected.tables[name], found.tables[name]
        if rows != copy_rows:
            problems.append(f"table {name}: {copy_rows} rows, the store had {rows}")
        elif digest != copy_digest:
            problems.append(f"table {name}: the rows' content differs from the store's")
    rows = sum(r for r, _ in expected.tables.values())
    events = {n: r for n, (r, _) in expected.tables.items() if n.endswith("_events")}
    note = f"{len(expected.tables)} tables, {rows} rows; events " + ", ".join(
        f"{n} {r}" for n, r in sorted(events.items())
    )
    result.check("tables: rows and content equal", problems, note)
    for kind, want, have in (
        ("triggers", expected.triggers, found.triggers),
        ("functions", expected.functions, found.functions),
    ):
        missing = [f"{kind[:-1]} {n} is missing" for n in sorted(want - have)]
        if want or have:  # SQLite has no functions
            result.check(f"{kind}: all there", missing, f"{len(want)}")


def check_applications(settings: Settings, result: DrillResult) -> None:
    """Through the applications on the copy: every plan loads, every access-log chain
    verifies."""
    with build_plans(settings) as plans:
        access_log = build_access_log(plans)
        ids = plans.plan_ids()
        unloadable, broken, entries = [], [], 0
        for plan_id in ids:
            try:
                plans.get_plan(plan_id)
            except Exception as error:  # any failure to load is the drill's finding
                unloadable.append(f"plan {plan_id} does not load ({type(error).__name__})")
            broken += [f"plan {plan_id}: {p}" for p in access_log.verify(plan_id)]
            entries += len(access_log.entries(plan_id))
    result.check("plans load", unloadable, f"{len(ids)} plans")
    result.check("access-log chains intact", broken, f"{len(ids)} plans, {entries} entries")


def backup(settings: Settings, target: Path) -> Figures:
    """A backup of the configured store into `target`; its figures at that instant."""
    if settings.database_url.startswith("sqlite"):
        return backup_sqlite(settings, target)
    return backup_postgres(settings, target)


@contextmanager
def _restored_copy(settings: Settings, backup_file: Path, tmp: Path) -> Iterator[Settings]:
    """The backup restored beside the store (a file; a scratch database, dropped after)."""
    if settings.database_url.startswith("sqlite"):
        copy_path = tmp / "restored.sqlite"
        copy_path.write_bytes(backup_file.read_bytes())
        yield Settings(database_url=f"sqlite:///{copy_path}")
        return
    with scratch_database(PostgresTarget.of(settings)) as scratch:
        restore_postgres(backup_file, scratch)
        yield Settings(database_url=scratch.url)


def drill(
    settings: Settings,
    *,
    keep: Path | None = None,
    alter_copy: Callable[[Settings], None] | None = None,
    say: Say = print,
) -> DrillResult:
    """Back up now, restore beside the store, check the copy; `keep` keeps the backup.

    `alter_copy` changes the restored copy before the checks (the drill's tests use it
    to show that an incomplete restore fails).
    """
    result = DrillResult()
    with tempfile.TemporaryDirectory(prefix="stafett-drill-") as tmp:
        sqlite = settings.database_url.startswith("sqlite")
        target = keep or Path(tmp) / ("backup.sqlite" if sqlite else "backup.dump")
        started = time.monotonic()
        expected = backup(settings, target)
        say(f"backup: {target} ({target.stat().st_size} bytes, {time.monotonic() - started:.1f} s)")
        restored = time.monotonic()
        with _restored_copy(settings, target, Path(tmp)) as copy:
            _checked(
                copy,
                expected=expected,
                result=result,
                alter_copy=alter_copy,
                restored=restored,
                say=say,
            )
    verdict = "FAILED" if result.failed else "passed"
    result.lines.append(f"restore drill {verdict}")
    return result


def _checked(
    copy: Settings,
    *,
    expected: Figures,
    result: DrillResult,
    alter_copy: Callable[[Settings], None] | None,
    restored: float,
    say: Say,
) -> None:
    if alter_copy is not None:
        alter_copy(copy)
    if copy.database_url.startswith("sqlite"):
        with sqlite3.connect(_sqlite_path(copy)) as conn:
            found = sqlite_figures(conn)
        conn.close()
    else:
        store = PostgresTarget.of(copy)
        with store.connect() as pg:
            found = postgres_figures(pg, store.schema)
    say(f"restore: {_where(copy)} ({time.monotonic() - restored:.1f} s)")
    compare(expected, found, result)  # before the applications create what is missing
    check_applications(copy, result)


def _where(settings: Settings) -> str:
    url = urlsplit(settings.database_url)
    return (
        unquote(url.path.removeprefix("/"))
        if url.scheme == "sqlite"
        else f"database {url.path[1:]}"
    )
