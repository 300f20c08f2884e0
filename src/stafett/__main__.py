"""The `stafett` command line: serve, worker, projections, demo, plans, access log, archive,
backup, users, logs.

An operator's read of plan content here (`plan history`, `plan timeline`, `archive
export`) is recorded in the plan's access log before anything is printed, as the
web's reads are (role `operator`, the operating-system account as grounds).
`archive verify` and `logs verify` need no configuration, database or network.
"""

import argparse
import ipaddress
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import psycopg
import structlog

from stafett import backup
from stafett.aggregates.errors import DomainError
from stafett.aggregates.person import PersonDetails
from stafett.applications.access_log import AccessLog, AccessLogUnavailableError
from stafett.applications.accounts import OtpChannel
from stafett.applications.demo import ensure_demo
from stafett.archive import renderers
from stafett.archive.keys import KeyFormatError, PublicKey
from stafett.archive.seal import sha256_digest
from stafett.archive.service import Archives
from stafett.archive.verify import verify_record
from stafett.bootstrap import (
    SERVER_WORKER_APP,
    AnotherRunnerError,
    build_web,
    notices_status,
    plan_list_status,
    rebuild_plan_list,
    run_worker,
    runs_projections_in_process,
    services,
)
from stafett.persistence.outage import DATABASE_UNAVAILABLE
from stafett.settings import Settings, SettingsError
from stafett.web.log_chain import add_log_commands, heads_against, verify_log_file
from stafett.web.logging import configure_logging

GRACEFUL_SHUTDOWN_SECONDS = 20  # requests in flight finish; then the process stops


def _archive_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    archive = commands.add_parser("archive", help="sealed records").add_subparsers(
        dest="archive_command", required=True
    )
    archive_list = archive.add_parser("list", help="a plan's sealed records")
    archive_list.add_argument("plan_id", type=UUID)
    export = archive.add_parser("export", help="write a sealed record (zip) to a file")
    export.add_argument("archive_id", type=UUID)
    export.add_argument("--output", type=Path, help="the file (default stafett-ARCHIVE_ID.zip)")
    verify = archive.add_parser(
        "verify", help="check a sealed record offline; exit 0 only when every check passes"
    )
    verify.add_argument("file", type=Path)
    verify.add_argument(
        "--public-key", metavar="KEY", help="the published key (base64, or a file holding it)"
    )


def _users_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    users = commands.add_parser("users", help="manage accounts").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser(
        "create", help="create a person and account; the password is read from standard input"
    )
    create.add_argument("--username", required=True)
    create.add_argument("--first-name", required=True)
    create.add_argument("--last-name", required=True)
    create.add_argument("--email", default="")
    create.add_argument("--mobile", default="")
    create.add_argument("--otp-channel", choices=["sms", "email"], default="sms")
    create.add_argument("--coordinator", action="store_true")
    create.add_argument("--org-admin", action="store_true")
    create.add_argument("--auditor", action="store_true")
    create.add_argument(
        "--mobile-confirmed",
        action="store_true",
        help="you have checked with the person that the mobile number is theirs; without "
        "it, SMS codes wait until they confirm it (decision 0025)",
    )
    unlock = users.add_parser("unlock", help="release a locked account")
    unlock.add_argument("username")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stafett", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the web app and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="server processes (PostgreSQL only; 1 on SQLite)",
    )

    worker = commands.add_parser(
        "worker", help="run the plan-list projection (PostgreSQL; exactly one per deployment)"
    )
    worker.add_argument("--lag-every", type=float, default=30.0, metavar="SECONDS")
    projections = commands.add_parser("projections", help="the plan-list projection")
    projection_commands = projections.add_subparsers(dest="projections_command", required=True)
    projection_commands.add_parser(
        "rebuild", help="empty the plan list and replay every event (stop the runner first)"
    )
    projection_commands.add_parser("status", help="max notification id, tracking position, lag")

    notifications = commands.add_parser("notifications", help="notices by SMS and e-mail")
    notification_commands = notifications.add_subparsers(
        dest="notifications_command", required=True
    )
    notification_commands.add_parser(
        "status", help="position, pending and dead notices, dead letters"
    )
    commands.add_parser("demo", help="create the demo plan if the store has no plan yet")

    plan = commands.add_parser("plan", help="inspect plans").add_subparsers(
        dest="plan_command", required=True
    )
    history = plan.add_parser("history", help="a plan as of an instant or version")
    history.add_argument("plan_id", type=UUID)
    when = history.add_mutually_exclusive_group()
    when.add_argument("--as-of", type=_instant, metavar="INSTANT", help="ISO 8601 with offset")
    when.add_argument("--version", type=int, metavar="N")
    timeline = plan.add_parser("timeline", help="every event of a plan")
    timeline.add_argument("plan_id", type=UUID)
    plan.add_parser("list", help="every plan id (operators only)")
    access_log = plan.add_parser(
        "access-log", help="who read a plan, and whether its hash chain is intact (exit 1 if not)"
    )
    access_log.add_argument("plan_id", type=UUID)
    access_log.add_argument("--log", type=Path, help="and against its heads in this log")

    _archive_commands(commands)
    backup.add_commands(commands)
    add_log_commands(commands)
    _users_commands(commands)

    args = parser.parse_args(argv)
    if args.command == "archive" and args.archive_command == "verify":
        return _verify(args.file, args.public_key)  # no settings, no database
    if args.command == "logs":
        return verify_log_file(args.file, rotated=args.rotated)  # the same
    try:
        settings = Settings.from_env()
        return _run(args, settings)
    except (SettingsError, DomainError, AccessLogUnavailableError) as error:
        print(f"stafett: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        return _serve(settings.served_at(args.host, args.port), args.host, args.port, args.workers)
    if args.command == "worker":
        return _worker(settings, args.lag_every)
    if args.command == "projections":
        return _projections(settings, args.projections_command)
    if args.command == "notifications":
        return _notifications(settings)
    if args.command == "backup":
        return _backup(settings, args)
    if args.command == "demo" and not settings.is_development:
        # Accounts with passwords printed on a terminal have no place in a real service
        # (SEC-OTP-10: no default accounts).
        raise SettingsError("the demo is for development: production gets no demo users")
    # One-shot commands never run the projection: a second runner beside a running
    # server would race it for the tracking position.
    with services(settings, run_projections=False) as built:
        plans = built.plans
        if args.command == "demo":
            demo = ensure_demo(plans, built.accounts)
            verb = "created" if demo.created else "already there"
            print(f"demo plan {demo.plan_id} ({verb})")
            for username, password in demo.credentials:
                print(f"  demo user {username:<8} password {password}")
            if demo.credentials:
                print(f"  one-time codes are written to {settings.outbox_dir}/ (shown once)")
        elif args.command == "users" and args.users_command == "unlock":
            built.accounts.unlock(args.username)
            print(f"{args.username} unlocked")
        elif args.command == "users":
            password = sys.stdin.readline().rstrip("\n")
            person_id = built.accounts.create_account(
                username=args.username,
                password=password,
                details=PersonDetails(
                    first_name=args.first_name,
                    last_name=args.last_name,
                    email=args.email,
                    mobile=args.mobile,
                ),
                otp_channel=OtpChannel(args.otp_channel),
                is_coordinator=args.coordinator,
                is_org_admin=args.org_admin,
                is_auditor=args.auditor,
                mobile_confirmed=args.mobile_confirmed,
            )
            print(person_id)
        elif args.command == "archive":
            return _archive(built.archives, args)
        # A read is recorded once it is computed (an unknown plan gets no entry) and
        # before anything of it is printed, as the web's history routes do.
        elif args.plan_command == "history":
            if args.as_of is None and args.version is None:
                view = plans.get_plan(args.plan_id)
            else:
                view = plans.plan_as_of(args.plan_id, version=args.version, at=args.as_of)
            built.access_log.record_operator(args.plan_id, ["history"])
            _print_json(view)
        elif args.plan_command == "timeline":
            entries = plans.timeline(args.plan_id)
            built.access_log.record_operator(args.plan_id, ["timeline"])
            for entry in entries:
                print(
                    f"{entry.version:>6}  {entry.at.isoformat()}  {entry.actor_role.value:<11}  "
                    f"{entry.actor_name}: {entry.summary}"
                )
        elif args.plan_command == "list":
            for plan_id in plans.plan_ids():
                print(plan_id)
        elif args.plan_command == "access-log":
            return _access_log(built.access_log, args.plan_id, args.log)
    return 0


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    """`backup create` and `backup drill` (decision 0029); 2 when a step cannot run."""
    try:
        if args.backup_command == "create":
            figures = backup.backup(settings, args.file)
            rows = sum(r for r, _ in figures.tables.values())
            print(f"{args.file}: {len(figures.tables)} tables, {rows} rows")
            return 0
        result = backup.drill(settings, keep=args.keep)
    except (backup.BackupError, psycopg.Error, OSError) as error:
        print(f"stafett: backup failed: {error}", file=sys.stderr)
        return 2
    print("\n".join(result.lines))
    return 1 if result.failed else 0


def _access_log(access_log: AccessLog, plan_id: UUID, log: Path | None) -> int:
    """Every entry (ids only), then the chain check; 1 when the chain is broken."""
    entries = access_log.entries(plan_id)
    for e in entries:
        print(
            f"{e.seq:>6}  {e.at.isoformat()}  {e.role:<11}  {e.reader_person_id}  "
            f"{','.join(e.sections)}  {e.grounds}"
        )
    problems = access_log.verify(plan_id) + (heads_against(access_log, plan_id, log) if log else [])
    for problem in problems:
        print(f"BROKEN: {problem}")
    if problems:
        return 1
    print(f"chain intact: {len(entries)} entries")
    return 0


def _archive(archives: Archives, args: argparse.Namespace) -> int:
    if args.archive_command == "list":
        for record in archives.records_of(args.plan_id):
            print(f"{record.archive_id}  {record.archived_at.isoformat()}  {record.digest}")
        return 0
    plan_id = archives.plan_of(args.archive_id)
    release = archives.release(args.archive_id)
    archives.access_log.record_operator(plan_id, ["archive"])
    output: Path = args.output or Path(f"stafett-{args.archive_id}.zip")
    try:
        with output.open("xb") as file:  # never over another file
            file.write(release.data)
    except FileExistsError:
        print(f"stafett: {output} exists already", file=sys.stderr)
        return 2
    print(f"{output}  {sha256_digest(release.data)}")  # the complete record's, as written
    return 0


def _verify(file: Path, public_key: str | None) -> int:
    """Every check of `stafett.archive.verify`, one line each; 0 only when all pass."""
    try:
        data = file.read_bytes()
        key = PublicKey.from_argument(public_key) if public_key else None
    except (OSError, KeyFormatError) as error:
        print(f"stafett: {error}", file=sys.stderr)
        return 2

    def schema_errors(xml: bytes) -> list[str]:
        return renderers.standard_schema_check()(xml)

    result = verify_record(data, schema_errors=schema_errors, public_key=key)
    for check in result.checks:
        if check.passed:
            note = f" ({check.note})" if check.note else ""
            print(f"ok      {check.name}{note}")
        else:
            print(f"FAILED  {check.name}: {'; '.join(check.problems)}")
    manifest = result.manifest or {}
    if result.core_only:
        print(
            "INCOMPLETE: the sealed core is intact, but record.pdf and arkivstruktur.xml "
            "are not in this file yet; download the record again"
        )
        return 1
    if not result.intact:
        print(f"ALTERED: {len(result.failed())} of {len(result.checks)} checks failed")
        return 1
    print(
        f"intact: plan {manifest.get('plan_id')}, {manifest.get('event_count')} events, "
        f"sealed {manifest.get('sealed_at')}, key {manifest['signing_key']['id']}"
    )
    return 0


def _serve(settings: Settings, host: str, port: int, workers: int = 1) -> int:
    """uvicorn (uvloop, httptools), one process or `workers` processes on one socket.

    With several, each process builds its own services from the environment
    (`bootstrap.server_worker_app`); only PostgreSQL serves several writers at once, so
    SQLite (one writer, and the plan list and notices run in the web process) refuses.
    """
    import uvicorn

    if settings.environment == "development" and not _is_loopback(host):
        print(
            "stafett: development mode serves only on a loopback address "
            "(set STAFETT_ENV=production to serve elsewhere)",
            file=sys.stderr,
        )
        return 2
    if workers > 1 and runs_projections_in_process(settings):
        print(
            "stafett: --workers above 1 needs PostgreSQL: SQLite has one writer, and the "
            "web process runs the plan list and the notices there (serve with one worker)",
            file=sys.stderr,
        )
        return 2
    # Logging is set up once, by `cli`, for every command.

    def run(app: Any, **workers_given: Any) -> None:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            server_header=False,
            # X-Forwarded-For only from the configured proxies (uvicorn would trust
            # loopback by default): the client address is what the rate limits count.
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=list(settings.trusted_proxies) or None,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            **workers_given,
        )

    if workers > 1:
        run(SERVER_WORKER_APP, factory=True, workers=workers)
        return 0
    with services(settings) as built:
        run(build_web(settings, built))
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


WORKER_PAUSE_SECONDS, WORKER_PAUSE_MAX_SECONDS = 0.5, 30.0


def _worker(settings: Settings, lag_every: float) -> int:
    if runs_projections_in_process(settings):
        print(
            "stafett: on SQLite the web process runs the plan-list projection; no worker",
            file=sys.stderr,
        )
        return 2
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    log = structlog.get_logger(__name__)
    pause = WORKER_PAUSE_SECONDS
    while not stop.is_set():
        started = time.monotonic()
        try:
            run_worker(settings, lag_every=lag_every, stop=stop)
        except AnotherRunnerError as error:
            print(f"stafett: {error}", file=sys.stderr)
            return 3
        except DATABASE_UNAVAILABLE as error:
            # The database restarted or went away: its locks and subscriptions went with
            # it. Start again from the tracking positions once it answers (nothing is
            # skipped or done twice: each runner resumes where its view is).
            if time.monotonic() - started > WORKER_PAUSE_MAX_SECONDS:
                pause = WORKER_PAUSE_SECONDS  # it had been running: a new outage
            log.warning("worker_interrupted", error=type(error).__name__, retry_in_s=pause)
            stop.wait(pause)
            pause = min(pause * 2, WORKER_PAUSE_MAX_SECONDS)
        except Exception as error:
            log.error("projection_failed", projection="planlist", error=type(error).__name__)
            return 1
        else:
            return 0
    return 0


def _projections(settings: Settings, command: str) -> int:
    if command == "rebuild":
        try:
            processed = rebuild_plan_list(settings)
        except AnotherRunnerError as error:
            print(f"stafett: {error}", file=sys.stderr)
            return 3
        print(f"planlist rebuilt: {processed} events processed")
        return 0
    status = plan_list_status(settings)
    print(f"max notification id  {status.max_notification_id}")
    print(f"tracking position    {status.tracking_id}")
    print(f"lag                  {status.lag}")
    if status.fault is not None:  # the event the runner keeps retrying (decision 0013)
        fault = status.fault
        print(
            f"failing on           notification {fault.notification_id}, {fault.attempts} "
            f"attempts since {fault.first_failed_at.isoformat()} ({fault.error})"
        )
    return 0


def _notifications(settings: Settings) -> int:
    newest, backlog = notices_status(settings)
    oldest = backlog.oldest_pending.isoformat() if backlog.oldest_pending else "-"
    print(f"max notification id  {newest}")
    print(f"notice position      {backlog.position}")
    print(f"lag                  {max(newest - backlog.position, 0)}")
    print(f"pending              {backlog.pending} (oldest {oldest})")
    print(f"held for a digest    {backlog.held}")
    print(f"sent                 {backlog.sent}")
    print(f"dead                 {backlog.dead}")
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _instant(text: str) -> datetime:
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError("the instant needs an offset, e.g. +01:00 or Z")
    return instant


def _print_json(value: object) -> None:
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(value), indent=2).decode() + "\n")


def cli() -> int:
    """The `stafett` command: `main`, with every command's log lines through the same
    redaction and escaping as the server's (`configure_logging`, once, here), where
    structlog's defaults would print them to standard output as they are. Tests call
    `main`, whose output pytest captures: a test of a command leaves the process's
    logging as it found it."""
    configure_logging(json_lines=os.environ.get("STAFETT_ENV") == "production")
    return main()


if __name__ == "__main__":
    sys.exit(cli())
