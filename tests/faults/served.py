"""Stafett served as it runs in production, for fault tests: `stafett serve` (and, on
PostgreSQL, `stafett worker`) as subprocesses that a test may kill with SIGKILL and
start again, with a logged-in coordinator and plans to write to.

The sizes come from `STAFETT_FAULTS`: `ci` (the default, a bounded run inside
`make test`) or `full` (`make test-faults`, the sizes security-reference.md names).
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from bench.pages import SECRETS_ENV, SESSION_COOKIE, free_port, log_in
from bench.workload import People, create_new_plans, register_people

from stafett.aggregates.plan import Plan
from stafett.applications.demo import ensure_demo
from stafett.applications.plans import PlanApplication
from stafett.bootstrap import build_accounts, build_plans
from stafett.settings import Settings

Record = Callable[[str, object], None]  # pytest's record_property

FULL = os.environ.get("STAFETT_FAULTS", "ci") == "full"


@dataclass(frozen=True)
class Sizes:
    kills: int  # REL-CRASH-APP: kill -9 restarts
    clients: int  # REL-CRASH-APP: concurrent clients
    plans: int  # REL-CRASH-APP: plans the clients write to
    writers: int  # REL-CONC: threads on one plan
    commands: int  # REL-CONC: commands per thread
    pg_restarts: int  # REL-CRASH-PG: restarts of PostgreSQL under load
    probes: int  # REL-PIT: instants observed under load


SIZES = Sizes(30, 8, 50, 8, 200, 10, 200) if FULL else Sizes(3, 4, 10, 8, 12, 2, 20)


def environment(directory: Path, database_url: str) -> dict[str, str]:
    return {
        "STAFETT_DATABASE_URL": database_url,
        "STAFETT_OUTBOX_DIR": str(directory / "outbox"),
        "STAFETT_PASSWORD_HASH": "fast",
        **SECRETS_ENV,
    }


@dataclass(frozen=True)
class Setup:
    username: str
    password: str
    plan_ids: tuple[UUID, ...]
    coordinator_participant: dict[UUID, UUID]  # plan → the coordinator's participant id


def prepare(env: dict[str, str], plans: int) -> Setup:
    """The demo (its coordinator `kari` logs in) and `plans` more plans she coordinates."""
    settings = Settings.from_env(env)
    with build_plans(settings) as app:
        demo = ensure_demo(app, build_accounts(settings, app))
        username, password = next((u, p) for u, p in demo.credentials if u == "kari")
        others = register_people(app)
        made = create_new_plans(
            app, People(demo.coordinator_id, others.owner, others.others), plans
        )
        ids = tuple(p.plan_id for p in made)
        coordinators: dict[UUID, UUID] = {}
        for i in ids:
            plan: object = app.repository.get(i)
            assert isinstance(plan, Plan)
            coordinators[i] = plan.state.coordinator_id
    return Setup(username, password, ids, coordinators)


class Served:
    """`stafett serve` on one port, killed and started again on the same port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    def _spawn(self, *arguments: str) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as output:
            return subprocess.Popen(
                [sys.executable, "-m", "stafett", *arguments],
                env={**os.environ, **self.env},
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def start(self) -> float:
        """Start the web process; seconds until `/health` answered 2xx."""
        started = time.monotonic()
        self.process = self._spawn("serve", "--host", "127.0.0.1", "--port", str(self.port))
        if self.env["STAFETT_DATABASE_URL"].startswith("postgres") and self.worker is None:
            self.worker = self._spawn("worker", "--lag-every", "1")
        deadline = started + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"stafett serve exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.base + "/health", timeout=2).is_success:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"stafett serve did not answer: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        for process in (self.process, self.worker):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def caught_up(self, timeout: float = 120) -> None:
        """Until `/health` says the plan list has every event."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                health = httpx.get(self.base + "/health", timeout=5).json()
                if health.get("plan_list_lag") == 0:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the plan list did not catch up: {self.log.read_text()[-3000:]}")


@contextmanager
def served(env: dict[str, str], log: Path) -> Iterator[Served]:
    server = Served(env, log)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def session_headers(server: Served, setup: Setup, outbox: Path) -> dict[str, str]:
    """Cookie and CSRF headers of the coordinator's full session (kept in the database,
    so it outlives every restart of the web process)."""
    token = log_in(server.base, outbox, setup.username, setup.password)
    headers = {"cookie": f"{SESSION_COOKIE}={token}"}
    me: dict[str, Any] = httpx.get(server.base + "/api/v1/me", headers=headers).json()
    return headers | {me["csrf"]["header"]: me["csrf"]["token"]}


def open_store(env: dict[str, str]) -> PlanApplication:
    return build_plans(Settings.from_env(env))
