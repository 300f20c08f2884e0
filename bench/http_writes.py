"""HTTP writes and server memory: goal writes with 8 concurrent clients, RSS with 1,000 plans.

One run, SQLite (as `make run` serves it), on `PLANS` plans coordinated by the demo's
coordinator, who is logged in:

- baseline: the store's raw commit rate in the same directory, the same run — one
  INSERT + COMMIT a row through the raw driver (`bench.stores.SQLiteBackend`), the
  figure `make bench`'s store benchmark calls `raw_insert_per_s` — measured before and
  after the writes, their mean the baseline (a commit's cost is the disk's, which other
  work on the machine changes);
- goal writes over HTTP: `wrk` with 8 connections POSTing `/api/v1/plans/{id}/goals`
  (the documented body, the session's CSRF header), each request to the next of the
  plans in turn; every answer must be 201, and the goals the store holds afterwards
  must be exactly the goals wrk was answered for;
- a ceiling for the goal writes: `bench.bare_write`, litestar and msgspec committing one
  row a POST and nothing else, under the same wrk load, with the commit in a worker
  thread (as a server must) and on the event loop (the most this stack can answer with
  one commit a request), each as a share of the raw commit rate;
- server memory: the server process's resident set size (VmRSS) after login, then after
  every one of the `PLANS` plans has been read once through `GET /api/v1/plans/{id}`
  (the aggregate cache holds 1,000 plans: `AGGREGATE_CACHE_MAXSIZE`).

Figures are printed and merged into var/bench/results.json under "http".
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from bench.measure import Stepper
from bench.pages import SESSION_COOKIE, _stafett_env, demo_with_plans, log_in, parse_wrk, server
from bench.profile import sampling, summary
from bench.stores import SQLiteBackend

RESULTS = Path("var/bench/results.json")
PLANS = 1_000
CONNECTIONS = 8
RAW_BLOCK, RAW_ROUNDS = 500, 5
GOAL_TITLE = "Mål fra lasttesten"

_POSTS = """
wrk.method = "POST"
wrk.body = [==[%(body)s]==]
wrk.headers["Content-Type"] = "application/json"
"""
_ALL_201 = """
local shown = false
response = function(status, headers, body)
  if status ~= 201 and not shown then
    shown = true
    io.stderr:write("first answer not 201: " .. status .. " " .. body .. "\\n")
  end
end
"""
LUA = (
    _POSTS
    + """
local plans = {%(plans)s}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, "/api/v1/plans/" .. plans[(i %% #plans) + 1] .. "/goals")
end
"""
    + _ALL_201
)
"""wrk's script: every request a goal on the next plan (per wrk thread, each from its own
counter, so the two threads' requests spread over the plans alike); any answer but 201
is written to stderr once."""

BARE_LUA = _POSTS + _ALL_201
"""wrk's script for the bare writing app (`bench.bare_write`): the same body each time."""


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build(directory: Path, plans: int) -> tuple[list[UUID], str, str]:
    """The demo and `plans` more plans, all coordinated by the demo's coordinator."""
    with demo_with_plans(directory, plans) as (_, _, created, (username, password)):
        return [plan.plan_id for plan in created], username, password


def raw_commit_rate(directory: Path) -> dict[str, Any]:
    """INSERT + COMMIT a row at a time on SQLite, in blocks; the median block's rate."""
    backend = SQLiteBackend(directory)
    try:
        state = b"x" * 300  # about a goal event's size
        rows = RAW_BLOCK * (RAW_ROUNDS + 1)
        with backend.raw_inserter("bench:GoalSet", state, rows) as insert:
            raw = Stepper(insert, RAW_BLOCK)
            raw.untimed(RAW_BLOCK)
            raw.timed(RAW_ROUNDS)
        return {"per_s": raw.result().median, "spread": raw.result().spread}
    finally:
        backend.close()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def goals_in_store(client: httpx.Client, plan_ids: list[UUID]) -> int:
    """Goals with the benchmark's title, over all plans, as the API serves them."""
    found = 0
    for plan_id in plan_ids:
        answer = client.get(f"/api/v1/plans/{plan_id}")
        answer.raise_for_status()
        found += sum(1 for goal in answer.json()["goals"] if goal["title"] == GOAL_TITLE)
    return found


GOAL_BODY = json.dumps({"title": GOAL_TITLE, "description": "Skrevet av wrk."}, ensure_ascii=False)


def wrk_writes(
    base: str,
    headers: dict[str, str],
    plan_ids: list[UUID],
    seconds: int,
    script: Path,
    *,
    connections: int = CONNECTIONS,
) -> dict[str, Any]:
    script.write_text(LUA % {"plans": ", ".join(f'"{p}"' for p in plan_ids), "body": GOAL_BODY})
    return _wrk(base, headers, seconds, script, connections=connections)


def _wrk(
    base: str,
    headers: dict[str, str],
    seconds: int,
    script: Path,
    *,
    connections: int = CONNECTIONS,
) -> dict[str, Any]:
    threads = min(2, connections)
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    args.append("--latency")
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    answered = subprocess.run(
        [*args, "-s", str(script), base], capture_output=True, text=True, check=True
    )
    if answered.stderr:  # the script's errors, or its note of an answer that was not 201
        raise RuntimeError(f"wrk: {answered.stderr[-2000:]}")
    output = answered.stdout
    total = re.search(r"(\d+) requests in", output)
    if total is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return {"requests": int(total.group(1)), **parse_wrk(output)}


def bare_writes(directory: Path, seconds: int) -> dict[str, dict[str, Any]]:
    """The bare writing app's answers with the same wrk load, in a worker thread and on
    the event loop: how near this stack comes to the raw commit rate with one commit a
    request and nothing else (a ceiling for the goal writes)."""
    env = {"BARE_WRITE_DB": str(directory / "bare_write.sqlite")}
    command = [sys.executable, "-m", "uvicorn", "bench.bare_write:app", "--no-access-log"]
    figures: dict[str, dict[str, Any]] = {}
    with server(command, env, directory / "bare_write.log") as base:
        for name, path in (("thread", "/write"), ("loop", "/write-on-loop")):
            _say(f"bare app, one commit a POST ({name}), wrk with {CONNECTIONS} connections")
            script = directory / "bare_write.lua"
            script.write_text(BARE_LUA % {"body": GOAL_BODY})
            figures[name] = _wrk(base + path, {}, seconds, script)
    return figures


def run(seconds: int, plans: int, profile: Path | None = None) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="stafett-bench-http-") as tmp:
        directory = Path(tmp)
        _say(f"building the demo and {plans} plans")
        plan_ids, username, password = build(directory, plans)
        _say("the raw commit rate (SQLite, same directory), before the writes")
        raw_before = raw_commit_rate(directory)
        pids: list[int] = []
        stafett = [sys.executable, "-m", "stafett", "serve"]
        with server(stafett, _stafett_env(directory), directory / "stafett.log", pids) as base:
            pid = pids[0]
            token = log_in(base, directory / "outbox", username, password)
            cookie = {"Cookie": f"{SESSION_COOKIE}={token}"}
            with httpx.Client(base_url=base, headers=cookie, timeout=30) as client:
                me = client.get("/api/v1/me").json()
                csrf = {me["csrf"]["header"]: me["csrf"]["token"]}
                rss_start = rss_mib(pid)
                _say(f"reading each of the {plans} plans once")
                for plan_id in plan_ids:
                    client.get(f"/api/v1/plans/{plan_id}").raise_for_status()
                rss_plans = rss_mib(pid)
                check = client.post(
                    f"/api/v1/plans/{plan_ids[0]}/goals",
                    json={"title": GOAL_TITLE},
                    headers=csrf,
                )
                assert check.status_code == 201, f"goal write: {check.status_code} {check.text}"
                script = directory / "writes.lua"
                _say(f"goal writes, wrk with one connection, {seconds} s (a write's latency)")
                before_one = goals_in_store(client, plan_ids)
                one = wrk_writes(base, cookie | csrf, plan_ids, seconds, script, connections=1)
                one_stored = goals_in_store(client, plan_ids) - before_one
                one_answered = one["requests"] - one["non_2xx"]
                assert one_answered <= one_stored <= one_answered + 1, (one_answered, one_stored)
                _say(f"goal writes, wrk with {CONNECTIONS} connections, {seconds} s")
                if profile is None:
                    writes = wrk_writes(base, cookie | csrf, plan_ids, seconds, script)
                else:
                    with sampling(pid, seconds, profile):
                        writes = wrk_writes(base, cookie | csrf, plan_ids, seconds, script)
                # less the check's goal and the one client's
                stored = goals_in_store(client, plan_ids) - 1 - one_stored
                answered = writes["requests"] - writes["non_2xx"]
                # Every 201 is a stored goal; wrk may cut off up to one request a connection
                # at its end, which the server may still have stored.
                assert answered <= stored <= answered + CONNECTIONS, (answered, stored)
                rss_end = rss_mib(pid)
        bare = bare_writes(directory, seconds)
        _say("the raw commit rate again, after the writes")
        raw_after = raw_commit_rate(directory)
    raw_per_s = (raw_before["per_s"] + raw_after["per_s"]) / 2
    for figures in bare.values():
        figures["over_raw"] = figures["requests_per_s"] / raw_per_s
    return {
        "store": "sqlite",
        "plans": plans,
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "raw_commit_per_s": raw_per_s,
        "raw_commit_spread": f"before: {raw_before['spread']}; after: {raw_after['spread']}",
        "goal_writes": {**writes, "connections": CONNECTIONS, "seconds": seconds},
        "goal_writes_8_per_s": writes["requests_per_s"],
        "goal_writes_one_client": {**one, "connections": 1, "seconds": seconds},
        "goal_writes_over_raw": writes["requests_per_s"] / raw_per_s,
        "bare_writes": bare,
        "goals_answered_201": answered,
        "goals_stored": stored,
        "rss_after_login_mib": round(rss_start, 1),
        "rss_1000_plans_mib": round(rss_plans, 1),
        "rss_after_writes_mib": round(rss_end, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http_writes", description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds of writes")
    parser.add_argument("--quick", action="store_true", help="3 s of writes, 100 plans")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--profile",
        type=Path,
        help="record the server with py-spy during the writes into this file, print a summary",
    )
    args = parser.parse_args(argv)
    result = run(3 if args.quick else args.duration, 100 if args.quick else PLANS, args.profile)
    w, o, r = result["goal_writes"], result["goal_writes_one_client"], result
    verdict = "PASS" if r["goal_writes_over_raw"] >= 0.5 else "MISS"
    lines = [
        f"HTTP writes and memory (SQLite, {r['cpus']} cores shared with wrk)",
        f"  load average (1, 5, 15 min) at the end: {r['loadavg']}",
        f"  raw commits/s (baseline, before and after the writes): {r['raw_commit_per_s']:.1f}"
        f" ({r['raw_commit_spread']})",
        f"  goal writes/s, wrk {w['connections']} connections: {w['requests_per_s']:.1f}"
        f" (p50 {w['p50_ms']} ms, p99 {w['p99_ms']} ms, {w['non_2xx']} not 2xx)",
        f"  goal writes / raw commits: {r['goal_writes_over_raw']:.3f} (goal ≥ 0.5: {verdict})",
        f"  goal writes/s, wrk 1 connection (a write's latency): {o['requests_per_s']:.1f}"
        f" (p50 {o['p50_ms']} ms, p99 {o['p99_ms']} ms, {o['non_2xx']} not 2xx)",
        f"  goals answered 201 / stored: {r['goals_answered_201']} / {r['goals_stored']}",
        "  a ceiling: the bare app (bench.bare_write), one INSERT + COMMIT a POST, nothing else:",
        *(
            f"    {where}: {b['requests_per_s']:.1f}/s (p50 {b['p50_ms']} ms), "
            f"{b['over_raw']:.3f} of the raw commits"
            for where, b in (
                ("in a worker thread", r["bare_writes"]["thread"]),
                ("on the event loop", r["bare_writes"]["loop"]),
            )
        ),
        f"  server RSS: after login {r['rss_after_login_mib']} MiB; with {r['plans']} plans"
        f" read {r['rss_1000_plans_mib']} MiB; after the writes {r['rss_after_writes_mib']} MiB",
    ]
    print("\n".join(lines))
    if args.profile is not None:
        print(f"profile of the server during the writes ({args.profile}):")
        print(summary(args.profile))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    merged: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    merged["http"] = result
    args.out.write_text(json.dumps(merged, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
