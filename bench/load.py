"""The load run (issue 14, item 5): 50 virtual users against production settings.

Stafett as it runs in production on one machine: `stafett serve --workers 2` beside one
`stafett worker`, on PostgreSQL (a schema of its own, dropped afterwards), argon2id
passwords, behind a trusted proxy (`STAFETT_TRUSTED_PROXIES=127.0.0.1`: each virtual
user sends its own X-Forwarded-For, so the per-address login limits count per person
as they would in production). The data: ACCOUNTS accounts in PLANS plan groups of
ACCOUNTS/PLANS people each (a coordinator and providers with write rights), one goal
each; the USERS virtual users log in as the longest idle of them, each account at most
every 3 minutes (a person gets at most 5 codes in 15 minutes).

The load tool is locust (headless, from its own virtualenv `.venv-load`; decision 0029),
with the users of `bench/locustfile.py`: each logs in (password, the one-time code from
the development outbox, the terms), then, with 0.5–1.5 s think times, 80 % reads and
20 % writes, a new login among the writes. Spawned at SPAWN_PER_S users a second; the
throughput and latencies count from RAMP_SECONDS on (every user started and logged in),
the statuses (5xx) the whole run.

The baseline, in the same run: the same number of users with the same think times
against `bench.bare` (litestar answering `/health`, nothing of Stafett), for
BASELINE_SECONDS: the load offered when answers take no time, and the load tool's own
latency floor on this machine. Throughput is printed as a ratio to it (1.0: Stafett
answered everything the users asked for at their pace).

Printed: requests, throughput, p50/p95/p99 per kind (read, write, login) and in all, the
count of 5xx (must be 0) and of other failures, and the resident memory of the server
processes (the uvicorn parent and its workers, and the worker), sampled every second:
first, last and max. Merged into var/bench/results.json under "load".
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.pages import SECRETS_ENV, server, worker
from bench.stores import DEFAULT_POSTGRES_URL, PostgresBackend
from stafett.aggregates.person import PersonDetails
from stafett.aggregates.values import Consent, PlanType, local_date
from stafett.applications.accounts import OtpChannel
from stafett.applications.commands import AddParticipant, SetGoal
from stafett.applications.parts import ConsentIn, CreatePlan, PersonIn
from stafett.bootstrap import build_accounts, build_plans
from stafett.settings import Settings

RESULTS = Path("var/bench/results.json")
LOCUST = Path(".venv-load/bin/locust")
USERS, PLANS, SPAWN_PER_S = 50, 10, 1
ACCOUNTS = 3 * USERS  # people come and go: each logs in at most every 3 minutes
WEB_WORKERS = 2
RAMP_SECONDS = USERS // SPAWN_PER_S  # every user started: figures count from here
BASELINE_SECONDS = RAMP_SECONDS + 30
PASSWORD = "blå fjorder og grå måker"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def environment(directory: Path, database_url: str) -> dict[str, str]:
    return {
        "STAFETT_DATABASE_URL": database_url,
        "STAFETT_OUTBOX_DIR": str(directory / "outbox"),
        "STAFETT_TRUSTED_PROXIES": "127.0.0.1",
        **SECRETS_ENV,
    }


def build_accounts_and_plans(env: dict[str, str], users: int, plans: int) -> list[dict[str, Any]]:
    """`users` accounts (argon2id, codes by e-mail) in `plans` plan groups, one goal each."""
    settings = Settings.from_env(env)
    accounts: list[dict[str, Any]] = []
    with build_plans(settings) as app:
        service = build_accounts(settings, app)
        today = local_date(app.clock())
        for group in range(plans):
            members = range(group, users, plans)
            people = []
            for number in members:
                username = f"bruker{number:02d}"
                email = f"{username}@example.no"
                details = PersonDetails(first_name="Last", last_name=f"Bruker{number}", email=email)
                person_id = service.create_account(
                    username=username,
                    password=PASSWORD,
                    details=details,
                    otp_channel=OtpChannel.EMAIL,
                    is_coordinator=number == group,
                )
                people.append((username, email, person_id, number))
            coordinator = people[0][2]
            consent = Consent(
                given_by="Mor",
                given_on=today,
                expires_on=today + timedelta(days=300),
                scope="Full deling i plangruppen",
            )
            created = app.create_plan(
                CreatePlan(
                    type=PlanType.RELAY_LOG,
                    short_name=f"Lastprøve {group}",
                    start_date=today,
                    owner=PersonIn.of(PersonDetails(first_name="Ola", last_name=f"Last{group}")),
                    consent=ConsentIn.of(consent),
                ),
                by=coordinator,
            )
            plan_id = created.plan_id
            goal_id = app.handle(plan_id, SetGoal(title="Ola leser med glede"), by=coordinator)
            participants = {coordinator: app.get_plan(plan_id).coordinator_participant_id}
            for _, _, person_id, _ in people[1:]:
                added = app.handle(
                    plan_id,
                    AddParticipant(person=PersonIn.of(person_id), role="provider"),
                    by=coordinator,
                )
                assert added.created_id is not None  # the participant's new id
                participants[person_id] = added.created_id
            for username, email, person_id, number in people:
                accounts.append(
                    {
                        "username": username,
                        "password": PASSWORD,
                        "email": email,
                        "plan_id": str(plan_id),
                        "goal_id": str(goal_id.created_id),
                        "participant_id": str(participants[person_id]),
                        "coordinator": person_id == coordinator,
                        # documentation addresses (RFC 5737), only ever in a header
                        "address": f"198.51.100.{number + 1}",
                    }
                )
    return sorted(accounts, key=lambda a: a["username"])


# ---------------------------------------------------------------- memory


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (the uvicorn parent and its server processes)."""
    found = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in children:
        found += _tree(int(child))
    return found


@contextmanager
def sampled(pids: list[int], every: float = 1.0) -> Iterator[list[float]]:
    """The summed resident memory (MiB) of `pids` and their descendants, every `every` s."""
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            total = sum(_rss_kib(p) for pid in pids for p in _tree(pid))
            samples.append(round(total / 1024, 1))
            stop.wait(every)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()


# ---------------------------------------------------------------- locust


def locust(
    user_class: str, base: str, seconds: int, env: dict[str, str], log: Path
) -> dict[str, Any]:
    """One headless locust run of `user_class`; what bench/locustfile.py wrote at its end."""
    result = log.with_suffix(".json")
    command = [str(LOCUST), "-f", "bench/locustfile.py", user_class, "--headless"]
    command += ["--users", str(USERS), "--spawn-rate", str(SPAWN_PER_S)]
    command += ["--run-time", f"{seconds}s", "--stop-timeout", "10", "--host", base]
    command += ["--only-summary", "--loglevel", "WARNING"]
    with log.open("wb") as output:
        done = subprocess.run(
            command,
            env={**os.environ, **env, "STAFETT_LOAD_RESULT": str(result)},
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if not result.exists():
        raise RuntimeError(
            f"locust wrote no result (exit {done.returncode}): {log.read_text()[-3000:]}"
        )
    figures: dict[str, Any] = json.loads(result.read_text())
    figures["exit"] = done.returncode
    figures["log_tail"] = log.read_text()[-4000:]
    return figures


def summary(times: list[float], seconds: float) -> dict[str, Any]:
    if not times:
        return {"requests": 0}
    cuts = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
    return {
        "requests": len(times),
        "per_s": round(len(times) / seconds, 1),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(cuts[94], 1),
        "p99_ms": round(cuts[98], 1),
    }


def figures_of(raw: dict[str, Any], steady_from: float) -> dict[str, Any]:
    """Figures of the answers sent once every user had started (`steady_from` seconds
    after the first request); statuses and failures count the whole run."""
    stamps = [when for pairs in raw["times_ms"].values() for when, _ in pairs]
    start = min(stamps) + steady_from
    seconds = max(max(stamps) - start, 1e-9)
    kinds = {
        kind: summary([ms for when, ms in pairs if when >= start], seconds)
        for kind, pairs in sorted(raw["times_ms"].items())
    }
    every = [ms for pairs in raw["times_ms"].values() for when, ms in pairs if when >= start]
    statuses = {int(k): v for k, v in raw["statuses"].items()}
    return {
        "steady_seconds": round(seconds, 1),
        "all": summary(every, seconds),
        "kinds": kinds,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "failures": dict(sorted(raw["failures"].items())),
        "server_errors_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "no_answer": statuses.get(0, 0),
        "other_failures_4xx": sum(v for k, v in statuses.items() if 400 <= k < 500),
        "task_errors": sum(v for k, v in raw["failures"].items() if k.startswith("task error")),
    }


def run(seconds: int, postgres_url: str) -> dict[str, Any]:
    if not LOCUST.exists():
        raise SystemExit(f"{LOCUST} is missing: `make load` installs locust there")
    with tempfile.TemporaryDirectory(prefix="stafett-load-") as tmp:
        directory = Path(tmp)
        bare = [sys.executable, "-m", "uvicorn", "bench.bare:app", "--no-access-log"]
        bare += ["--log-level", "warning"]
        _say(f"baseline: {USERS} users against the bare app for {BASELINE_SECONDS} s")
        with server(bare, {}, directory / "bare.log") as base:
            baseline = figures_of(
                locust("Bare", base, BASELINE_SECONDS, {}, directory / "bare-locust.log"),
                RAMP_SECONDS,
            )
        store = PostgresBackend(postgres_url)
        try:
            env = environment(directory, store.url)
            _say(f"{ACCOUNTS} accounts (argon2id) in {PLANS} plans on PostgreSQL ({store.schema})")
            accounts = build_accounts_and_plans(env, ACCOUNTS, PLANS)
            accounts_file = directory / "accounts.json"
            accounts_file.write_text(json.dumps(accounts))
            serve = [sys.executable, "-m", "stafett", "serve", "--workers", str(WEB_WORKERS)]
            load_env = {
                "STAFETT_LOAD_ACCOUNTS": str(accounts_file),
                "STAFETT_LOAD_OUTBOX": env["STAFETT_OUTBOX_DIR"],
            }
            parent: list[int] = []
            with (
                worker(env, directory / "worker.log") as worker_pid,
                server(serve, env, directory / "stafett.log", parent) as base,
            ):
                _say(f"{USERS} users against {base} for {seconds} s")
                before = os.getloadavg()
                with sampled([*parent, worker_pid]) as rss:
                    raw = locust("Participant", base, seconds, load_env, directory / "locust.log")
                after = os.getloadavg()
        finally:
            store.close()
    measured = figures_of(raw, RAMP_SECONDS)
    offered = baseline["all"].get("per_s", 0.0)
    return {
        "tool": f"locust {locust_version()} headless (FastHttpUser), {USERS} users, "
        f"{SPAWN_PER_S} spawned per s",
        "server": f"stafett serve --workers {WEB_WORKERS} + stafett worker, PostgreSQL",
        "mix": "80 % reads, 20 % writes (a log-out and another person's login among them: "
        "1 in 100 actions)",
        "cpus": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in before],
        "loadavg_after": [round(x, 2) for x in after],
        "baseline_bare_app": baseline,
        "measured": measured,
        "throughput_ratio_to_baseline": round(measured["all"]["per_s"] / offered, 3)
        if offered
        else None,
        "rss_mib": rss_figures(rss),
        "locust_exit": raw["exit"],
    }


def rss_figures(rss: list[float]) -> dict[str, Any]:
    """First (at rest), at the end of the ramp, half-way, last and max, one a second;
    the change from the end of the ramp to the last tells whether memory keeps growing."""
    if not rss:
        return {"samples": 0}
    ramp = rss[min(RAMP_SECONDS, len(rss) - 1)]
    return {
        "first": rss[0],
        "after_ramp": ramp,
        "half_way": rss[len(rss) // 2],
        "last": rss[-1],
        "max": max(rss),
        "last_to_after_ramp": round(rss[-1] / ramp, 3) if ramp else None,
        "samples": len(rss),
    }


def locust_version() -> str:
    done = subprocess.run([str(LOCUST), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.split()[1] if done.stdout else "?"


def print_figures(result: dict[str, Any]) -> None:
    print(f"load ({result['tool']}; {result['server']}; {result['mix']}; {result['cpus']} cores)")
    print(f"  load average before {result['loadavg_before']}, after {result['loadavg_after']}")
    print(f"{'':<22}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    rows = [("baseline: bare app", result["baseline_bare_app"]["all"])]
    rows += [("stafett: all", result["measured"]["all"])]
    rows += [(f"  {k}", v) for k, v in result["measured"]["kinds"].items()]
    for name, row in rows:
        print(
            f"{name:<22}{row['requests']:>9}{row.get('per_s', 0):>9.1f}{row.get('p50_ms', 0):>9.1f}"
            f"{row.get('p95_ms', 0):>9.1f}{row.get('p99_ms', 0):>9.1f}"
        )
    m = result["measured"]
    print(f"  throughput × baseline (offered load): {result['throughput_ratio_to_baseline']}")
    print(
        f"  5xx: {m['server_errors_5xx']}; 4xx: {m['other_failures_4xx']}; "
        f"no answer: {m['no_answer']}; task errors: {m['task_errors']}; "
        f"statuses {m['statuses']}"
    )
    for failure, count in m["failures"].items():
        print(f"    not 2xx: {failure}: {count}")
    r = result["rss_mib"]
    print(
        f"  server RSS (uvicorn parent + {WEB_WORKERS} workers + stafett worker), MiB: "
        f"first {r['first']}, after the ramp {r['after_ramp']}, half-way {r['half_way']}, "
        f"last {r['last']} (× {r['last_to_after_ramp']} of after the ramp), max {r['max']} "
        f"({r['samples']} samples, one a second)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--duration", type=int, default=180, help="seconds of load")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args.duration, args.postgres_url)
    print_figures(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    merged: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    merged["load"] = result
    args.out.write_text(json.dumps(merged, indent=2) + "\n")
    measured = result["measured"]
    failed = measured["server_errors_5xx"] or measured["no_answer"] or measured["task_errors"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
