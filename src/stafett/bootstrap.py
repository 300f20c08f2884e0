"""The composition root: the one place that reads settings and wires the parts."""

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import structlog
from eventsourcing.sqlite import SQLiteDatastore
from litestar import Litestar

from stafett.applications.access_log import AccessLog
from stafett.applications.accounts import AccountService
from stafett.applications.housekeeping import sweep_account_tables
from stafett.applications.notice_sender import (
    SEND_BACKOFF,
    NoticeSender,
    SenderRunner,
    SenderSettings,
)
from stafett.applications.passwords import PasswordHashing
from stafett.applications.plans import Clock, PlanApplication, system_clock
from stafett.archive.keys import PublicKey, SigningKey
from stafett.archive.renderers import Renderers, standard_renderers
from stafett.archive.service import Archives
from stafett.delivery import Sender, sender_from_settings
from stafett.persistence.access_log import AccessLogStore
from stafett.persistence.accounts import AccountStore
from stafett.persistence.archives import ArchiveStore
from stafett.persistence.background import Backoff, Periodic
from stafett.persistence.directory import PersonDirectory
from stafett.persistence.locks import release_session_lock, try_file_lock, try_session_lock
from stafett.persistence.notice_outbox import Backlog, NoticeOutbox
from stafett.persistence.sessions import SessionStore
from stafett.projections.faults import Fault
from stafett.projections.notices import SWEEP_SECONDS, NoticeProcess, NoticeRunner
from stafett.projections.plan_list import (
    APPLICATION_NAME,
    PlanListProjection,
    PlanListView,
    construct_view,
    view_class,
)
from stafett.projections.plan_list.schema import SCHEMA_VERSION
from stafett.projections.reminders import BirthDates, ReminderSweep
from stafett.projections.runner import RetryingProjectionRunner
from stafett.settings import Settings
from stafett.web.app import create_app
from stafett.web.logging import configure_logging

PlanListRunner = RetryingProjectionRunner[PlanApplication, PlanListView]
LAG_LOG_SECONDS = 30.0
REBUILD_TIMEOUT_SECONDS = 24 * 3600.0
log = structlog.get_logger(__name__)


class AnotherRunnerError(RuntimeError):
    """The plan-list projection already has its one runner in this deployment."""


@dataclass(frozen=True)
class Services:
    plans: PlanApplication
    accounts: AccountService
    access_log: AccessLog
    archives: Archives
    plan_list: PlanListView | None = None
    plan_list_runner: PlanListRunner | None = None
    notices: NoticeSender | None = None


def plan_list_runner(env: Mapping[str, str], *, backoff: Backoff | None = None) -> PlanListRunner:
    """The plan-list projection, running in threads of this process from its tracking position.

    It reads through a plan application of its own. Exactly one runner per
    deployment: in the web process on SQLite, in `stafett worker` on PostgreSQL. An
    event that fails is retried after `backoff` pauses until it succeeds, and shown
    as the view's fault meanwhile (decision 0013). Started where that one runner may
    run (under `the_only_runner`), it first brings a view of an older schema up to date
    by rebuilding it: the runner then replays every event (decision 0050).
    """
    upgrade_plan_list(env)
    runner: PlanListRunner = RetryingProjectionRunner(
        application_class=PlanApplication,
        projection_class=PlanListProjection,
        view_class=view_class(env),
        env=dict(env),
        backoff=backoff,
    )
    return runner


def upgrade_plan_list(env: Mapping[str, str]) -> None:
    """The plan list's tables of this schema version, before a runner reads its position:
    tables an older version made are dropped with the position (visits stay), so the
    runner rebuilds them from the event log; logged when they held events."""
    view, factory = construct_view(env)
    try:
        was = view.upgrade(APPLICATION_NAME)
    finally:
        factory.close()
    if was is not None:
        log.warning(
            "projection_schema_upgraded",
            projection=PlanListProjection.name,
            from_version=was,
            to_version=SCHEMA_VERSION,
        )


def runs_projections_in_process(settings: Settings) -> bool:
    """SQLite has one process, so its web process runs the projection too."""
    return settings.database_url.startswith("sqlite")


def build_plans(settings: Settings, *, clock: Clock = system_clock) -> PlanApplication:
    """The plan application and its person directory.

    On SQLite and PostgreSQL the directory, accounts and access log share the event
    store's database (the application makes the directory there); in memory they get
    an in-memory SQLite database of their own, handed in here.
    """
    env = settings.event_store_env()
    if settings.is_in_memory:
        directory = PersonDirectory.ready(SQLiteDatastore(":memory:"))
        return PlanApplication(env, clock=clock, directory=directory)
    return PlanApplication(env, clock=clock)


def build_sender(settings: Settings, plans: PlanApplication) -> Sender:
    """What sends codes, links and notices: the outbox folder in development."""
    return sender_from_settings(
        environment=settings.environment,
        outbox_dir=settings.outbox_dir,
        smtp_url=settings.smtp_url,
        sms_gateway_url=settings.sms_gateway_url,
        sms_token=settings.sms_gateway_token,
        sender_address=settings.mail_from,
        clock=plans.clock,
    )


def build_notices(settings: Settings, plans: PlanApplication) -> NoticeSender:
    """The notice outbox on the plan store's database (tables created here) and its sender."""
    datastore = plans.directory.datastore
    return NoticeSender(
        NoticeOutbox.ready(datastore),
        directory=plans.directory,
        accounts=AccountStore.ready(datastore),
        sender=build_sender(settings, plans),
        clock=plans.clock,
        login_url=settings.public_url.rstrip("/") + "/login",
        settings=SenderSettings(
            lease_seconds=settings.notification_lease_seconds,
            max_attempts=settings.notification_max_attempts,
            backoff=replace(SEND_BACKOFF, first=settings.notification_retry_seconds),
        ),
    )


@contextmanager
def notice_runners(
    plans: PlanApplication,
    notices: NoticeSender,
    plan_list: PlanListView,
    *,
    sweep_every: float = SWEEP_SECONDS,
) -> Iterator[None]:
    """The notice process with the reminder sweep, and the sender, in threads of this
    process (decisions 0020, 0022); `plan_list` names the plans of an owner whose birth
    date the directory's change log says was written (decision 0056)."""
    of_age = plans.owners_of_age_on  # the owners' coming of age (decision 0056)
    births = BirthDates(plans.directory.birth_dates_changed, plan_list.plans_owned_by)
    sweep = ReminderSweep(
        plans, notices.outbox, clock=plans.clock, of_age=of_age, birth_dates=births
    )
    with (
        NoticeRunner(
            NoticeProcess(plans, notices.outbox, of_age=of_age),
            sweep=sweep,
            sweep_every=sweep_every,
        ),
        SenderRunner(notices),
    ):
        yield


def housekeeping(settings: Settings, plans: PlanApplication) -> Periodic:
    """The account tables swept of what is past its use every `housekeeping_seconds`
    (decision 0040), in a thread of the one process that runs the projections."""
    sessions = SessionStore.ready(plans.directory.datastore)

    def task() -> None:
        sweep_account_tables(sessions, plans.clock())

    return Periodic("housekeeping", task, every=settings.housekeeping_seconds)


def notices_status(settings: Settings) -> tuple[int, Backlog]:
    """The plan store's newest notification id, and the outbox's backlog and position."""
    with build_plans(settings) as plans:
        outbox = NoticeOutbox.ready(plans.directory.datastore)
        return plans.recorder.max_notification_id() or 0, outbox.backlog()


def build_accounts(settings: Settings, plans: PlanApplication) -> AccountService:
    secrets = settings.secrets_or_development()
    datastore = plans.directory.datastore
    service = AccountService(
        accounts=AccountStore.ready(datastore),
        sessions=SessionStore.ready(datastore),
        directory=plans.directory,
        hashing=PasswordHashing(secrets.password_pepper, fast=settings.fast_password_hashing),
        sender=build_sender(settings, plans),
        code_key=secrets.code_key,
        device_key=secrets.secret_key.encode(),
        clock=plans.clock,
        public_url=settings.public_url,
    )
    service.seal_stored_seeds()  # authenticator seeds an older release stored in the clear
    plans.person_changing = service.contact_changing  # codes must still reach the person
    plans.person_changed = service.contact_changed  # the person hears of it (SEC-OTP-09)
    plans.person_removed = service.removed_from_plan  # their sessions end (SEC-SES-07)
    return service


def build_access_log(plans: PlanApplication) -> AccessLog:
    """The access log on the plan store's database; its tables are created here."""
    return AccessLog(AccessLogStore.ready(plans.directory.datastore), clock=plans.clock)


def build_archives(
    settings: Settings,
    plans: PlanApplication,
    access_log: AccessLog,
    *,
    renderers: Callable[[], Renderers] | None = None,
) -> Archives:
    """The archive on the plan store's database, signing with the configured key; every
    plan closed from now on is sealed (`PlanApplication.plan_closed`)."""
    archives = Archives(
        plans,
        access_log,
        ArchiveStore.ready(plans.directory.datastore),
        key=SigningKey.from_text(settings.archive_key_or_development()),
        renderers=renderers or standard_renderers,
        retired_keys=tuple(PublicKey.from_text(k) for k in settings.archive_retired_keys),
    )
    plans.plan_closed = archives.seal_closed
    return archives


@contextmanager
def services(settings: Settings, *, run_projections: bool | None = None) -> Iterator[Services]:
    """Every application and the plan-list view, closed again on exit.

    The plan-list runner runs in this process when `run_projections` says so; by
    default only on SQLite (on PostgreSQL, `stafett worker` runs it).
    """
    in_process = (
        runs_projections_in_process(settings) if run_projections is None else run_projections
    )
    env = settings.event_store_env()
    with build_plans(settings) as plans, ExitStack() as stack:
        view, factory = construct_view(env)
        stack.callback(factory.close)
        if in_process:
            try:
                stack.enter_context(the_only_runner(settings))
            except AnotherRunnerError:
                # Another process on this SQLite file runs it; this one reads the view,
                # which its subscriptions' 0.5 s poll keeps in step with that runner.
                log.info("projection_runner_elsewhere", projection="planlist")
                in_process = False
        # Tables first, runners after: a runner's batch holds SQLite's write lock while
        # a table's column check (a read, then ALTER) would find its snapshot stale.
        access_log = build_access_log(plans)
        notices = build_notices(settings, plans)
        accounts = build_accounts(settings, plans)
        archives = build_archives(settings, plans, access_log)
        runner = stack.enter_context(plan_list_runner(env)) if in_process else None
        if in_process:
            every = settings.reminder_sweep_seconds
            stack.enter_context(notice_runners(plans, notices, view, sweep_every=every))
            stack.enter_context(housekeeping(settings, plans))
        stack.callback(archives.close)  # its renditions end before the plan store closes
        yield Services(
            plans=plans,
            accounts=accounts,
            access_log=access_log,
            archives=archives,
            plan_list=view,
            plan_list_runner=runner,
            notices=notices,
        )


def build_web(settings: Settings, built: Services) -> Litestar:
    secret_key = settings.secrets_or_development().secret_key
    return create_app(
        built.plans,
        built.accounts,
        access_log=built.access_log,
        plan_list=built.plan_list,
        archives=built.archives,
        notices=built.notices,
        secret_key=secret_key,
        expose_schema=settings.is_development,
        health_every=settings.health_refresh_seconds,
    )


SERVER_WORKER_APP = "stafett.bootstrap:server_worker_app"  # for uvicorn's workers


def server_worker_app() -> Litestar:
    """The app of one of `stafett serve --workers N`'s processes: settings from the
    environment, its own services (closed when the server stops) and logging set up as
    in the parent, which uvicorn does not carry over to a process it spawns."""
    settings = Settings.from_env()
    configure_logging(json_lines=settings.environment == "production")
    stack = ExitStack()
    app = build_web(settings, stack.enter_context(services(settings)))
    app.on_shutdown.append(stack.close)
    return app


# ------------------------------------------------------- the projection's operators


@dataclass(frozen=True)
class ProjectionStatus:
    max_notification_id: int
    tracking_id: int
    fault: Fault | None = None

    @property
    def lag(self) -> int:
        return self.max_notification_id - self.tracking_id


def _status(plans: PlanApplication, view: PlanListView) -> ProjectionStatus:
    return ProjectionStatus(
        plans.recorder.max_notification_id() or 0,
        view.max_tracking_id(APPLICATION_NAME) or 0,
        view.fault(APPLICATION_NAME),
    )


def plan_list_status(settings: Settings) -> ProjectionStatus:
    env = settings.event_store_env()
    view, factory = construct_view(env)
    try:
        with build_plans(settings) as plans:
            return _status(plans, view)
    finally:
        factory.close()


@contextmanager
def the_only_runner(settings: Settings) -> Iterator[None]:
    """Hold the plan-list lock or refuse with AnotherRunnerError.

    On PostgreSQL a session advisory lock; on SQLite an exclusive lock on the file
    `<database>.planlist.lock` beside the database, so a second `stafett serve` on the
    same file, or a rebuild while one serves, cannot start a second runner.
    """
    env = settings.event_store_env()
    if runs_projections_in_process(settings):
        database = env["SQLITE_DBNAME"]
        if database == ":memory:":  # one process, one connection's database
            yield
            return
        handle = try_file_lock(Path(f"{database}.planlist.lock"))
        if handle is None:
            msg = "another process already runs the plan-list projection; exactly one may run"
            raise AnotherRunnerError(msg)
        try:
            yield
        finally:
            handle.close()
        return
    name = f"stafett.planlist.{env['POSTGRES_DBNAME']}.{env['POSTGRES_SCHEMA']}"
    conn = try_session_lock(env, name)
    if conn is None:
        msg = "another worker already runs the plan-list projection; exactly one may run"
        raise AnotherRunnerError(msg)
    try:
        yield
    finally:
        release_session_lock(conn, name)


def run_worker(
    settings: Settings,
    *,
    lag_every: float = LAG_LOG_SECONDS,
    stop: threading.Event | None = None,
    backoff: Backoff | None = None,
) -> None:
    """Run the plan-list projection until `stop` is set.

    It resumes from the view's tracking position, so a worker that crashed or was
    stopped carries on where it left off. An event that fails is retried (`backoff`)
    and never skipped; only an error outside processing an event (the subscription's
    connection) is raised. Every `lag_every` seconds it logs `projection_lag`
    (notifications recorded but not yet in the view).
    """
    stop = stop or threading.Event()
    env = settings.event_store_env()
    with (
        the_only_runner(settings),
        plan_list_runner(env, backoff=backoff) as runner,
        build_plans(settings) as plans,
        notice_runners(
            plans,
            build_notices(settings, plans),
            runner.view,
            sweep_every=settings.reminder_sweep_seconds,
        ),
        housekeeping(settings, plans),
    ):
        log.info("projection_started", projection=PlanListProjection.name)
        while not stop.is_set():
            runner.run_forever(timeout=lag_every)  # raises the projection's error
            if runner.is_interrupted.is_set():
                break
            status = _status(runner.app, runner.view)
            log.info(
                "projection_lag",
                projection=PlanListProjection.name,
                max_notification_id=status.max_notification_id,
                tracking_id=status.tracking_id,
                lag=status.lag,
            )
        log.info("projection_stopped", projection=PlanListProjection.name)


def rebuild_plan_list(settings: Settings) -> int:
    """Empty the plan list (its visits stay) and replay every event; how many were processed.

    It replays up to the highest notification id when it starts (and whatever
    arrives meanwhile). Stop the worker, or on SQLite the web process, first.
    """
    env = settings.event_store_env()
    with the_only_runner(settings):
        view, factory = construct_view(env)
        try:
            view.reset(APPLICATION_NAME)
        finally:
            factory.close()
        with plan_list_runner(env) as runner:
            target = runner.app.recorder.max_notification_id()
            runner.wait(target, timeout=REBUILD_TIMEOUT_SECONDS)
            projection = runner.projection
            assert isinstance(projection, PlanListProjection)
            return projection.processed
