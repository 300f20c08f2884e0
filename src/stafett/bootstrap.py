"""The composition root: the one place that reads settings and wires the parts."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from litestar import Litestar

from stafett.applications.access_log import AccessLog
from stafett.applications.accounts import AccountService
from stafett.applications.passwords import PasswordHashing
from stafett.applications.plans import PlanApplication
from stafett.delivery import sender_from_settings
from stafett.persistence.access_log import AccessLogStore
from stafett.persistence.accounts import AccountStore
from stafett.persistence.sessions import SessionStore
from stafett.settings import Settings
from stafett.web.app import create_app


@dataclass(frozen=True)
class Services:
    plans: PlanApplication
    accounts: AccountService
    access_log: AccessLog


def build_plans(settings: Settings) -> PlanApplication:
    return PlanApplication(settings.event_store_env())


def build_accounts(settings: Settings, plans: PlanApplication) -> AccountService:
    secrets = settings.secrets_or_development()
    datastore = plans.directory.datastore
    accounts = AccountStore(datastore)
    accounts.create_tables()
    sessions = SessionStore(datastore)
    sessions.create_tables()
    return AccountService(
        accounts=accounts,
        sessions=sessions,
        directory=plans.directory,
        hashing=PasswordHashing(secrets.password_pepper, fast=settings.fast_password_hashing),
        sender=sender_from_settings(
            environment=settings.environment,
            outbox_dir=settings.outbox_dir,
            smtp_url=settings.smtp_url,
            sms_gateway_url=settings.sms_gateway_url,
            sms_token=settings.sms_gateway_token,
            sender_address=settings.mail_from,
            clock=plans.clock,
        ),
        code_key=secrets.code_key,
        clock=plans.clock,
        public_url=settings.public_url,
    )


def build_access_log(plans: PlanApplication) -> AccessLog:
    """The access log on the plan store's database; its tables are created here."""
    store = AccessLogStore(plans.directory.datastore)
    store.create_tables()
    return AccessLog(store, clock=plans.clock)


@contextmanager
def services(settings: Settings) -> Iterator[Services]:
    """Every application, closed again on exit."""
    with build_plans(settings) as plans:
        yield Services(
            plans=plans,
            accounts=build_accounts(settings, plans),
            access_log=build_access_log(plans),
        )


def build_web(settings: Settings, built: Services) -> Litestar:
    secret_key = settings.secrets_or_development().secret_key
    return create_app(
        built.plans,
        built.accounts,
        access_log=built.access_log,
        secret_key=secret_key,
        expose_schema=settings.is_development,
    )
