"""Page benchmark: Stafett's pages under a real load generator, beside a bare litestar app.

Two servers, each a subprocess on this machine: Stafett as `stafett serve` runs
it (SQLite, the plan-list projection in process) on demo-like data — the demo
plan, `SMALL_PLANS` more plans and one plan of `LONG_PLAN_EVENTS` events, all
coordinated by the demo coordinator, who is logged in — and `bench.bare`, a
litestar + msgspec app answering `/health` and nothing else. `wrk` (2 threads,
32 connections, `--latency`) loads each target in `TARGETS` for `--duration`
seconds after a short warm-up; requests/s, p50 and p99 are printed with each
target's ratio of requests/s to the bare app's. A page that is not there yet
(404) is measured through its `fallback`, the JSON route serving the same
content, and the line says so. wrk, the servers and this script share the
machine's cores, as the figures of every target do alike.

Then the production settings: the same data on PostgreSQL, Stafett as
`stafett serve --workers 2` beside one `stafett worker`, and a few of the targets
again, each beside the same bare app (several server processes need PostgreSQL;
`--no-production` leaves these rows out).

Figures are printed and merged into var/bench/results.json under "pages".
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from bench.profile import sampling
from bench.stores import DEFAULT_POSTGRES_URL, PostgresBackend
from bench.workload import NewPlan, People, build_long_plan, create_new_plans, register_people
from stafett.applications.demo import ensure_demo
from stafett.applications.plans import PlanApplication
from stafett.bootstrap import build_accounts, build_plans
from stafett.settings import Settings

RESULTS = Path("var/bench/results.json")
LONG_PLAN_EVENTS = 500
SMALL_PLANS = 20
THREADS, CONNECTIONS = 2, 32
SESSION_COOKIE = "__Host-sid"


@dataclass(frozen=True)
class Target:
    name: str
    path: str  # {plan_id}: the plan of LONG_PLAN_EVENTS events
    server: str = "stafett"  # or "bare"
    logged_in: bool = False
    fallback: str | None = None  # the JSON route with the same content, while the page is absent


TARGETS = [
    Target("bare litestar /health", "/health", server="bare"),
    Target("stafett /health", "/health"),
    Target("login page", "/login"),
    Target("plan list page", "/plans", logged_in=True, fallback="/api/v1/plans"),
    Target(
        f"{LONG_PLAN_EVENTS}-event plan: home tab",
        "/plans/{plan_id}",
        logged_in=True,
        fallback="/api/v1/plans/{plan_id}",
    ),
    Target(
        f"{LONG_PLAN_EVENTS}-event plan: the plan tab",
        "/plans/{plan_id}/plan",
        logged_in=True,
        fallback="/api/v1/plans/{plan_id}",
    ),
    Target(
        f"{LONG_PLAN_EVENTS}-event plan: JSON",
        "/api/v1/plans/{plan_id}",
        logged_in=True,
    ),
    Target(
        f"{LONG_PLAN_EVENTS}-event plan: timeline",
        "/api/v1/plans/{plan_id}/timeline",
        logged_in=True,
    ),
    Target(
        f"{LONG_PLAN_EVENTS}-event plan: timeline, first page",
        "/api/v1/plans/{plan_id}/timeline?limit=50",
        logged_in=True,
    ),
    Target(
        f"{LONG_PLAN_EVENTS}-event plan: history tab",
        "/plans/{plan_id}/history",
        logged_in=True,
    ),
]
"""What is measured, in order; the first is the bare app every ratio divides by."""

PRODUCTION_WORKERS = 2
PRODUCTION_TARGETS = [
    t
    for t in TARGETS
    if t.name
    in {
        "stafett /health",
        "plan list page",
        f"{LONG_PLAN_EVENTS}-event plan: JSON",
        f"{LONG_PLAN_EVENTS}-event plan: timeline, first page",
        f"{LONG_PLAN_EVENTS}-event plan: home tab",
    }
]
"""Measured again with production settings: PostgreSQL, `stafett serve --workers 2` and
one `stafett worker` running the projections (several server processes need PostgreSQL)."""

SECRETS_ENV = {
    "STAFETT_SECRET_KEY": "s" * 40,
    "STAFETT_PASSWORD_PEPPER": "p" * 40,
    "STAFETT_CODE_KEY": "c" * 40,
}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ---------------------------------------------------------------- the data


@dataclass(frozen=True)
class Data:
    plan_id: UUID  # the long plan
    username: str
    password: str
    events: int


@contextmanager
def demo_with_plans(
    directory: Path, plans: int, database_url: str | None = None
) -> Iterator[tuple[PlanApplication, People, list[NewPlan], tuple[str, str]]]:
    """The demo and `plans` more plans, all coordinated by the demo's Kari: the plan
    application (open in the block), the people, the plans and Kari's credentials."""
    settings = Settings.from_env(_stafett_env(directory, database_url))
    with build_plans(settings) as app:
        demo = ensure_demo(app, build_accounts(settings, app))
        kari = next((u, p) for u, p in demo.credentials if u == "kari")
        others = register_people(app)
        people = People(demo.coordinator_id, others.owner, others.others)
        yield app, people, create_new_plans(app, people, plans), kari


def build_data(directory: Path, database_url: str | None = None) -> Data:
    """The demo, SMALL_PLANS plans and the long plan, all coordinated by the demo's Kari."""
    with demo_with_plans(directory, SMALL_PLANS, database_url) as (app, people, _, kari):
        long_plan = build_long_plan(app, people, LONG_PLAN_EVENTS)
    return Data(long_plan.plan_id, *kari, long_plan.events)


def _stafett_env(directory: Path, database_url: str | None = None) -> dict[str, str]:
    return {
        "STAFETT_DATABASE_URL": database_url or f"sqlite:///{directory / 'bench.sqlite'}",
        "STAFETT_OUTBOX_DIR": str(directory / "outbox"),
        "STAFETT_PASSWORD_HASH": "fast",  # only the one login below hashes
        **SECRETS_ENV,
    }


# ---------------------------------------------------------------- the servers


@contextmanager
def worker(env: dict[str, str], log: Path) -> Iterator[int]:
    """`stafett worker` (the projections on PostgreSQL) as a subprocess; its pid."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "stafett", "worker"],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process.pid
        finally:
            process.terminate()
            process.wait(timeout=30)


@contextmanager
def server(
    command: list[str], env: dict[str, str], log: Path, pids: list[int] | None = None
) -> Iterator[str]:
    """A server subprocess on a free port; its base URL once `/health` answers 200 (its
    pid is added to `pids`)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        if pids is not None:
            pids.append(process.pid)
        try:
            _wait_healthy(base, process, log)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until `/health` says ok and, on Stafett, the plan list has caught up."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{base} exited: {log.read_text()[-2000:]}")
        try:
            answer = httpx.get(base + "/health", timeout=2)
            if answer.status_code == 200 and answer.json().get("plan_list_lag", 0) == 0:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base} did not become healthy: {log.read_text()[-2000:]}")


def log_in(base: str, outbox: Path, username: str, password: str) -> str:
    """The session token after password, code (from the outbox) and terms.

    Set by hand in each request: a client cookie jar keeps a Secure cookie from
    plain http to itself.
    """
    with httpx.Client(base_url=base, timeout=30) as client:
        answer = client.post("/api/v1/session", json={"username": username, "password": password})
        answer.raise_for_status()
        token = answer.cookies[SESSION_COOKIE]
        newest = sorted(outbox.glob("*.json"))[-1]
        found = re.search(r"\b(\d{6})\b", json.loads(newest.read_text())["body"])
        assert found is not None
        answer = client.post(
            "/api/v1/session/otp",
            json={"code": found.group(1)},
            headers={"cookie": f"{SESSION_COOKIE}={token}"},
        )
        answer.raise_for_status()
        token = answer.cookies.get(SESSION_COOKIE) or token
        if answer.json()["next"] == "terms":
            answer = client.post(
                "/api/v1/session/terms",
                json={"accept": True},
                headers={"cookie": f"{SESSION_COOKIE}={token}"},
            )
            answer.raise_for_status()
            token = answer.cookies.get(SESSION_COOKIE) or token
    return token


# ---------------------------------------------------------------- wrk


@dataclass(frozen=True)
class Figures:
    name: str
    url_path: str
    measured: str  # "as named", "app" (the bare one), "API (the page is not there yet)"
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: str
    ratio: float = 0.0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(
    url: str, headers: dict[str, str], seconds: int, connections: int = CONNECTIONS
) -> dict[str, Any]:
    # A 30 s timeout rather than wrk's 2 s, so that a slow page's p99 is measured, not cut off.
    threads = min(THREADS, connections)
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    args.append("--latency")
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> dict[str, Any]:
    """requests/s, p50 and p99 (ms), the count of non-2xx/3xx answers and socket errors
    from wrk's `--latency` output."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:\s+(.*)", output)
    if rate is None or p50 is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return {
        "requests_per_s": float(rate.group(1)),
        "p50_ms": round(_ms(p50.group(1)), 3),
        "p99_ms": round(_ms(p99.group(1)), 3),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def measure(
    target: Target,
    base: str,
    headers: dict[str, str],
    plan_id: UUID,
    seconds: int,
    *,
    profile: tuple[int, Path] | None = None,
) -> Figures:
    """wrk on one target; with `profile` (the server's pid, a folder), py-spy samples the
    server during the measured run into the folder, one file a target."""
    path, measured = target.path.format(plan_id=plan_id), "as named"
    if target.server == "bare":
        measured = "app"
    elif httpx.get(base + path, headers=headers, timeout=30).status_code == 404:
        assert target.fallback is not None, f"{path} answers 404 and has no fallback"
        path, measured = target.fallback.format(plan_id=plan_id), "API (the page is not there yet)"
    check = httpx.get(base + path, headers=headers, timeout=30)
    assert check.status_code == 200, f"{path}: {check.status_code}"
    _say(f"  {target.name}: {path} ({measured}), {seconds} s")
    wrk(base + path, headers, max(1, seconds // 5))  # warm-up: caches, connections
    if profile is None or target.server == "bare":
        return Figures(target.name, path, measured, **wrk(base + path, headers, seconds))
    pid, folder = profile
    with sampling(pid, seconds, folder / (re.sub(r"\W+", "-", target.name).strip("-") + ".txt")):
        return Figures(target.name, path, measured, **wrk(base + path, headers, seconds))


SERIES_CONNECTIONS = (1, 2, 8, 32)
"""Connections the plan's JSON is loaded with for the report's concurrency plots."""


def connections_series(base: str, token: str, plan_id: UUID, seconds: int) -> list[dict[str, Any]]:
    """The long plan's JSON under wrk with each of `SERIES_CONNECTIONS` connections."""
    url = f"{base}/api/v1/plans/{plan_id}"
    headers = {"Cookie": f"{SESSION_COOKIE}={token}"}
    series = []
    for connections in SERIES_CONNECTIONS:
        _say(f"  plan JSON with {connections} connections, {seconds} s")
        series.append({"connections": connections, **wrk(url, headers, seconds, connections)})
    return series


def run(
    seconds: int, postgres_url: str | None = DEFAULT_POSTGRES_URL, profiles: Path | None = None
) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="stafett-bench-pages-") as tmp:
        directory = Path(tmp)
        _say(f"building the demo, {SMALL_PLANS} plans and a {LONG_PLAN_EVENTS}-event plan")
        data = build_data(directory)
        stafett = [sys.executable, "-m", "stafett", "serve"]
        bare = [sys.executable, "-m", "uvicorn", "bench.bare:app", "--no-access-log"]
        bare += ["--log-level", "warning"]
        figures: list[Figures] = []
        pids: list[int] = []
        with server(bare, {}, directory / "bare.log") as bare_base:
            env = _stafett_env(directory)
            with server(stafett, env, directory / "stafett.log", pids) as base:
                token = log_in(base, directory / "outbox", data.username, data.password)
                profile = None if profiles is None else (pids[0], profiles)
                for target in TARGETS:
                    url_base = bare_base if target.server == "bare" else base
                    headers = {"Cookie": f"{SESSION_COOKIE}={token}"} if target.logged_in else {}
                    figures.append(
                        measure(target, url_base, headers, data.plan_id, seconds, profile=profile)
                    )
                by_connections = connections_series(base, token, data.plan_id, seconds)
            production = (
                []
                if postgres_url is None
                else run_production(directory / "pg", postgres_url, seconds)
            )
    bare_rate = figures[0].requests_per_s
    return {
        "wrk": {"threads": THREADS, "connections": CONNECTIONS, "seconds": seconds},
        "data": {
            "long_plan_events": data.events,
            "plans_in_list": SMALL_PLANS + 2,
            "store": "sqlite",
        },
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "by_connections": by_connections,
        "targets": [asdict(rated(f, bare_rate)) for f in figures],
        "production": {
            "server": f"stafett serve --workers {PRODUCTION_WORKERS} + stafett worker",
            "store": "postgres",
            "targets": [asdict(rated(f, bare_rate)) for f in production],
        },
    }


def rated(figures: Figures, bare_rate: float) -> Figures:
    return Figures(**{**asdict(figures), "ratio": round(figures.requests_per_s / bare_rate, 4)})


def run_production(directory: Path, postgres_url: str, seconds: int) -> list[Figures]:
    """PRODUCTION_TARGETS on PostgreSQL (a schema of its own, dropped afterwards) with
    `stafett serve --workers PRODUCTION_WORKERS` and one `stafett worker`."""
    directory.mkdir()
    store = PostgresBackend(postgres_url)
    try:
        _say(f"production settings: the same data on PostgreSQL ({store.schema})")
        data = build_data(directory, store.url)
        env = _stafett_env(directory, store.url)
        serve = [sys.executable, "-m", "stafett", "serve", "--workers", str(PRODUCTION_WORKERS)]
        figures = []
        with (
            worker(env, directory / "worker.log"),
            server(serve, env, directory / "stafett.log") as base,
        ):
            token = log_in(base, directory / "outbox", data.username, data.password)
            for target in PRODUCTION_TARGETS:
                headers = {"Cookie": f"{SESSION_COOKIE}={token}"} if target.logged_in else {}
                figures.append(measure(target, base, headers, data.plan_id, seconds))
        return figures
    finally:
        store.close()


def print_rows(targets: list[dict[str, Any]]) -> None:
    for f in targets:
        print(
            f"{f['name']:<34}{f['requests_per_s']:>10.1f}{f['p50_ms']:>10.2f}"
            f"{f['p99_ms']:>10.2f}{f['ratio']:>9.3f}"
        )
        note = [] if f["measured"] in ("as named", "app") else [f"measured: {f['measured']}"]
        if f["non_2xx"]:
            note.append(f"{f['non_2xx']} answers were not 2xx/3xx")
        if f["socket_errors"]:
            note.append(f"socket errors: {f['socket_errors']}")
        print(f"  {f['url_path']}" + (f"  ({'; '.join(note)})" if note else ""))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per target")
    parser.add_argument("--quick", action="store_true", help="3 s per target, for a smoke run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="where the production rows run (a schema is created and dropped)",
    )
    parser.add_argument(
        "--no-production", action="store_true", help="only the development server's rows"
    )
    parser.add_argument(
        "--profiles",
        type=Path,
        help="py-spy samples the server during each Stafett target into this folder (SQLite rows)",
    )
    args = parser.parse_args(argv)
    postgres_url = None if args.no_production else args.postgres_url
    if args.profiles is not None:
        args.profiles.mkdir(parents=True, exist_ok=True)
    result = run(3 if args.quick else args.duration, postgres_url, args.profiles)
    wrk_args = result["wrk"]
    print(
        f"pages (wrk -t{wrk_args['threads']} -c{wrk_args['connections']} "
        f"-d{wrk_args['seconds']}s, SQLite, {result['cpus']} cores shared with wrk)"
    )
    print(f"{'':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'× bare':>9}")
    print_rows(result["targets"])
    print(f"the {LONG_PLAN_EVENTS}-event plan's JSON by connections (wrk, SQLite):")
    for point in result["by_connections"]:
        print(
            f"  {point['connections']:>3} connections{point['requests_per_s']:>17.1f}"
            f"{point['p50_ms']:>10.2f}{point['p99_ms']:>10.2f}"
        )
    if result["production"]["targets"]:
        print(
            f"production settings: {result['production']['server']}, PostgreSQL "
            "(× the same bare app)"
        )
        print_rows(result["production"]["targets"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    merged: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    merged["pages"] = result
    args.out.write_text(json.dumps(merged, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
