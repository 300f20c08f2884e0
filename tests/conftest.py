"""Shared fixtures: a controllable clock, the plan application and its list on every store.

`plans` runs each test that uses it once on SQLite and once on PostgreSQL, and
`view` is the plan-list view on the same store. The PostgreSQL run gets a fresh
schema of its own. Without a reachable server the PostgreSQL runs skip with the
reason shown; with STAFETT_REQUIRE_POSTGRES=1 (as in CI) they fail instead.
"""

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, settings

from stafett.aggregates.person import PersonDetails
from stafett.aggregates.values import Consent
from stafett.applications.plans import PlanApplication
from stafett.projections.plan_list import PlanListView, construct_view
from stafett.settings import Settings

# The leak check (every test phase's output is scanned), how pytest-xdist shares out
# the tests (`make test`) and the figures tests report: hooks of their own modules.
pytest_plugins = ("tests.leakcheck", "tests.parallel", "tests.figures")

POSTGRES_URL = os.environ.get(
    "STAFETT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


class ManualClock:
    """A clock tests move by hand; starts at a fixed, tz-aware instant."""

    def __init__(self, start: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta = timedelta(seconds=1)) -> datetime:
        self.now += delta
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def postgres_available() -> str | None:
    """None when the test server answers, else the reason it does not."""
    try:
        with psycopg.connect(POSTGRES_URL.split("?", maxsplit=1)[0], connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL at {POSTGRES_URL} is not reachable: {error}"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    reason = postgres_available()
    if reason is not None:
        if os.environ.get("STAFETT_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (STAFETT_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    return POSTGRES_URL


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A new, empty schema for one test; dropped afterwards.

    Its URL asks for pools of 2 connections opened up front (production: 5), each
    growing by up to 10 on demand as before: a test opens several pools (plans, list,
    projection), and two xdist workers beside other suites on the same server should
    neither wait for nor exhaust its connections (max_connections 100).
    """
    schema = "t_" + uuid.uuid4().hex[:16]
    base = postgres_url.split("?", maxsplit=1)[0]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{base}?schema={schema}&pool_size=2"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'stafett.sqlite'}"
    url: str = request.getfixturevalue("postgres_schema")
    return url


@pytest.fixture
def plans(database_url: str, clock: ManualClock) -> Iterator[PlanApplication]:
    app = PlanApplication(Settings(database_url=database_url).event_store_env(), clock=clock)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def view(plans: PlanApplication, database_url: str) -> Iterator[PlanListView]:
    """The plan-list view on the store `plans` uses, on each engine.

    Built by `construct_view`, as the services build it: the factory is the one place
    that picks the engine, for the application, the runner and every test.
    """
    built, factory = construct_view(Settings(database_url=database_url).event_store_env())
    try:
        yield built
    finally:
        factory.close()


def consent_for(day: date, days: int = 210) -> Consent:
    return Consent(
        given_by="Mor og far",
        given_on=day,
        expires_on=day + timedelta(days=days),
        scope="Full deling i plangruppen",
    )


def person(first: str = "Kari", last: str = "Nordmann", **details: object) -> PersonDetails:
    return PersonDetails(first_name=first, last_name=last, **details)  # type: ignore[arg-type]


settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("deep", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
