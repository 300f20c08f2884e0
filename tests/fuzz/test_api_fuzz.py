"""REL-FUZZ: schemathesis against the served OpenAPI schema finds nothing (issue 14 item 2).

A live Stafett (uvicorn on a local port, SQLite, the plan-list projection running:
`tests/browser/harness.live_server`) serves `/schema/openapi.json`; `st run` (the
schemathesis CLI, in its own process) tests every operation in it with every check
and all four phases (examples, coverage, fuzzing, stateful) as two logged-in people:

- `coordinator`, who coordinates plan A (furnished: a goal, an activity, minutes,
  a comment, a message, a meeting) and plan B;
- `participant`, a relative in plan A with no rights to any section, and not in B.

They are schemathesis "peers" (a Web Fuzzing Commons auth file): the
`object_level_authorization` check replays what one of them read as the other, and
`ignored_auth` replays requests without and with false credentials. Each logs in as
every client does, with password and one-time code (from the outbox) and the terms,
through a small login endpoint of this test's own (`_Logins`), which schemathesis
calls again whenever a session has ended (the fuzzer logs out too). The CSRF token
of each change comes from `st_hooks.py`.

Path parameters draw ids from the plans (schemathesis dictionaries, most of the time;
else generated), so plan routes are reached, not only answered 404.

The run must end with 0 failures of any check: no server error, no answer the schema
does not document (status, content type, body), no accepted bad input, no refused
good input, no authorization finding. Its size: `STAFETT_FUZZ_EXAMPLES` cases per
operation and phase (`make test`: 2; `make fuzz`: 100); `make test` stops it after
`STAFETT_FUZZ_SECONDS` (120: what fits is tested, and must pass), `make fuzz` runs it
whole and also requires every operation tested and every phase run. Its figure
(operations, cases, findings per kind) is printed at the end of the pytest run
(`tests/figures.py`).
"""

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from stafett.aggregates.values import Access, Rights
from stafett.applications import codes
from tests.browser.harness import LiveServer, User, code_in, live_server
from tests.leakcheck import remember

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("STAFETT_FUZZ_EXAMPLES", "2"))
# `make test`: at most this long (schemathesis' --max-time), so the run covers what fits;
# `make fuzz` sets 0: no bound, and then every operation and phase must have run.
SECONDS = int(os.environ.get("STAFETT_FUZZ_SECONDS", "120"))
# One worker: with two, hypothesis (describing a lambda) failed inside schemathesis at
# random ("AST constructor recursion depth mismatch"), an error of the tools, not ours.
WORKERS = int(os.environ.get("STAFETT_FUZZ_WORKERS", "1"))
TIMEOUT_SECONDS = 1800
PEERS = ("coordinator", "participant")
# The known-accepted findings (REL-FUZZ's baseline, decision 0023): bodies or queries
# with a rule between two of their fields, which a JSON Schema cannot state, so a
# schema-valid request may answer 422 there. Each operation and its rule:
COMPARES_TWO_FIELDS = {
    "POST /api/v1/plans": "end_date not before start_date; consent expires_on after given_on",
    "PATCH /api/v1/plans/{plan_id}": "end_date and review_on not before start_date",
    "PUT /api/v1/plans/{plan_id}/consent": "expires_on after given_on",
    "POST /api/v1/plans/{plan_id}/calendar": "ends_at after starts_at",
    "GET /api/v1/audit/plans": "to not before from",
}
# schemathesis' own expectation for a schema-valid request, and 422 besides.
ACCEPTED = ["2xx", "3xx", 401, 403, 404, 409, 422, 429, "5xx"]
OUTPUT = ROOT / "var" / "fuzz" / "last-run.txt"  # the whole of schemathesis' output
SESSION = "__Host-sid"
DEVICE = "__Host-device"


def test_schemathesis_finds_nothing_as_two_people(
    tmp_path: Path, record_property: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both people log in again whenever a session has ended or a step answers 401 (the
    # fuzzer ends sessions, and sends login steps with a full one), far more often than
    # the 5 codes per 15 minutes a person is sent (tests/e2e/test_lockout.py's subject).
    monkeypatch.setattr(codes, "CODE_SENDS_PER_15_MIN", 10_000)
    monkeypatch.setattr(codes, "CODE_SENDS_PER_DAY", 10_000)
    directory = tmp_path
    with live_server(directory / "live") as live, _logins(live) as logins:
        people = {
            "coordinator": live.new_user("koordinator", coordinator=True),
            "participant": live.new_user("deltaker"),
        }
        ids = _plans(live, people["coordinator"], people["participant"])
        live.settle()
        before = _versions(live, ids)
        assert logins.people is not None
        logins.people.update(people)
        for name in PEERS:  # the first login gives each a device cookie, as a browser keeps
            logins.log_in(name)
        config = _config(directory, logins.url, ids)
        report = directory / "report.json"
        finished = subprocess.run(
            [
                str(Path(sys.executable).parent / "st"),
                "--config-file",
                str(config),
                "run",
                f"{live.base_url}/schema/openapi.json",
                "--checks",
                "all",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--max-examples",
                str(EXAMPLES),
                "--workers",
                str(WORKERS),
                *(["--max-time", str(SECONDS)] if SECONDS else []),
                "--seed",
                os.environ.get("STAFETT_FUZZ_SEED", "1414"),
                "--report",
                "json",
                "--report-json-path",
                str(report),
                "--output-sanitize",
                "true",
            ],
            cwd=ROOT,
            env=os.environ
            | {
                "SCHEMATHESIS_HOOKS": "tests.fuzz.st_hooks",
                "STAFETT_FUZZ_BASE_URL": live.base_url,
                "PYTHONPATH": str(ROOT),
            },
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        changed = _versions(live, ids) != before
    output = finished.stdout + finished.stderr
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(output)
    assert report.exists(), output[-6000:]
    run = json.loads(report.read_text())
    figure = _figure(run)
    record_property("figure", figure)
    print(figure)
    assert finished.returncode == 0, f"{figure}\n\n{output[-12000:]}"
    assert run["operations"]["tested"] > 0, figure
    # Changes went through (a session's CSRF token from st_hooks, a valid body): were
    # every change refused, the run would test refusals only, and pass.
    assert changed, "no change made by the fuzzer reached a plan"
    if SECONDS:
        return
    # Unbounded: every operation tested, in every phase that has something to run (the
    # schema has no examples of its own, so that phase has none).
    assert run["operations"]["tested"] == run["operations"]["selected"] > 50, figure
    phases = {name: phase["status"] for name, phase in run["phases"].items()}
    assert phases == {**phases, "coverage": "success", "fuzzing": "success"}, phases
    assert phases["stateful"] == "success", phases


# ------------------------------------------------------------------ the plans


def _plans(live: LiveServer, coordinator: User, participant: User) -> dict[str, list[str]]:
    """Plan A (the participant a relative without rights) and B (without them): their ids."""
    plan_a = live.create_plan(coordinator)
    few = Rights(
        goals=Access.NONE,
        activities=Access.NONE,
        minutes=Access.NONE,
        messages=Access.NONE,
        print=False,
        edit_person=False,
    )
    relative = live.add_participant(plan_a, participant, by=coordinator, rights=few)
    items = live.furnish_plan(plan_a, coordinator)
    plan_b = live.create_plan(coordinator, short_name="Per – skolestart", owner_first="Per")
    items_b = live.furnish_plan(plan_b, coordinator)
    everyone = [
        p.participant_id
        for plan in (plan_a, plan_b)
        for p in live.built.plans.get_plan(plan).participants
    ]
    assert relative in everyone

    def both(name: str) -> list[str]:
        return [str(items[name]), str(items_b[name])]

    return {
        "plan_id": [str(plan_a), str(plan_b)],
        "participant_id": [str(p) for p in everyone],
        "goal_id": both("goal_id"),
        "activity_id": both("activity_id"),
    }


def _versions(live: LiveServer, ids: dict[str, list[str]]) -> list[int]:
    return [live.built.plans.get_plan(UUID(plan)).version for plan in ids["plan_id"]]


# ------------------------------------------------------- schemathesis' setup


def _config(directory: Path, logins_url: str, ids: dict[str, list[str]]) -> Path:
    """schemathesis.toml: the two peers (a WFC auth file) and the ids to draw from."""
    wfc = directory / "auth.json"
    wfc.write_text(
        json.dumps(
            {
                "auth": [
                    {
                        "name": name,
                        "loginEndpointAuth": {
                            "externalEndpointURL": f"{logins_url}/{name}",
                            "verb": "POST",
                            "expectCookies": True,
                        },
                    }
                    for name in PEERS
                ]
            }
        )
    )
    lines = [
        # Hypothesis's health checks on the generator itself, not on the API: the rich
        # bodies (CreatePlan: patterns, enums, nested consent) filter many drawn values,
        # and a loaded CI machine generates slowly; neither says anything of the service.
        'suppress-health-check = ["filter_too_much", "too_slow"]',
        "",
        "[auth.wfc]",
        f"path = {json.dumps(str(wfc))}",
        f"peers = {json.dumps(list(PEERS))}",
        "",
    ]
    for name, values in ids.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    lines += [f'"path.{name}" = {{ dictionary = "{name}", probability = 0.9 }}' for name in ids]
    lines.append("")
    for name in COMPARES_TWO_FIELDS:  # the baseline: 422 accepted here, and only here
        lines += [
            "[[operations]]",
            f"include-name = {json.dumps(name)}",
            f"checks.positive_data_acceptance.expected-statuses = {json.dumps(ACCEPTED)}",
            "",
        ]
    config = directory / "schemathesis.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


@dataclass
class _Logins:
    """`POST /<peer>` logs the peer in through the API and answers its session cookie."""

    live: LiveServer
    url: str = ""
    people: dict[str, User] | None = None

    def __post_init__(self) -> None:
        self.people = {}
        self.devices: dict[str, str] = {}
        self.lock = threading.Lock()

    def _as_made(self, user: User) -> None:
        """The peer as it was made, before each login. The fuzzer acts as the peers: with
        wrong codes and current passwords (step-up, PATCH /me, a mobile confirmation) it
        locks an account, as it should, and as the coordinator it may give the other peer
        another e-mail address or none (PATCH …/participants/{pid}), so that the next code
        goes elsewhere. An administrator lifts the locks and the directory gets the
        addresses back, so the run goes on fuzzing the rest."""
        built = self.live.built
        built.accounts.unlock(user.username)
        directory = built.plans.directory
        details = directory.get(user.person_id).details
        made = replace(details, email=user.email, mobile=user.mobile)
        if made != details:
            directory.update(user.person_id, details, made, actor_id=None, at=built.plans.clock())

    def log_in(self, name: str) -> str:
        assert self.people is not None
        user = self.people[name]
        self._as_made(user)
        with self.lock, httpx.Client(base_url=self.live.base_url) as client:
            before = len(self.live.inbox(user))
            first = client.post(
                "/api/v1/session",
                json={"username": user.username, "password": user.password},
                headers=_cookies(device=self.devices.get(name)),
            )
            assert first.status_code == 200, first.text
            token = first.cookies[SESSION]
            code = code_in(self.live.message(user, before + 1))
            remember(code)
            step = client.post(
                "/api/v1/session/otp",
                json={"code": code},
                headers=_cookies(token, self.devices.get(name)),
            )
            assert step.status_code == 200, step.text
            token = step.cookies[SESSION]
            device = step.cookies.get(DEVICE, self.devices.get(name, ""))
            assert device is not None  # the default is a string
            self.devices[name] = device
            remember(self.devices[name])
            if step.json()["next"] == "terms":
                step = client.post(
                    "/api/v1/session/terms", json={"accept": True}, headers=_cookies(token)
                )
                assert step.json() == {"next": "done"}, step.text
                renewed = step.cookies.get(SESSION, token)
                assert renewed is not None  # the default is a string
                token = renewed
        remember(token)
        return token


def _cookies(session: str | None = None, device: str | None = None) -> dict[str, str]:
    """The cookies a browser would send back (httpx keeps `Secure` ones for https only)."""
    pairs = [f"{SESSION}={session}" if session else "", f"{DEVICE}={device}" if device else ""]
    return {"cookie": "; ".join(p for p in pairs if p)} if any(pairs) else {}


class _LoginHandler(BaseHTTPRequestHandler):
    logins: _Logins

    def do_POST(self) -> None:
        name = self.path.strip("/")
        if name not in PEERS:
            self.send_error(404)
            return
        token = self.logins.log_in(name)
        self.send_response(200)
        self.send_header("Set-Cookie", f"{SESSION}={token}; Path=/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request line is of no interest, and the output is scanned for secrets."""


@contextmanager
def _logins(live: LiveServer) -> Iterator[_Logins]:
    """The login endpoint of the peers, on its own local port."""
    logins = _Logins(live)
    handler = type("Handler", (_LoginHandler,), {"logins": logins})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    logins.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fuzz-logins", daemon=True)
    thread.start()
    try:
        yield logins
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ figures


BOUNDED = ", stopped at the time bound"


def _figure(run: dict[str, Any]) -> str:
    """REL-FUZZ's figure, from the run's JSON report."""
    operations, cases = run["operations"], run["test_cases"]
    by_code = {failure["code"]: failure["count"] for failure in run["failures"]}

    def count(*codes: str) -> int:
        return sum(n for code, n in by_code.items() if code in codes)

    server = count("ST101", "ST102")  # failure codes: `st explain`
    schema = count(*(f"ST1{n:02d}" for n in range(3, 12)))  # status, type, headers, body
    authz = count("ST401", "ST402", "ST301", "ST302")  # ignored auth, IDOR, resources
    failures = sum(by_code.values()) + sum(e["count"] for e in run["errors"])
    return (
        f"REL-FUZZ: operations {operations['tested']}/{operations['selected']} covered, "
        f"{cases['generated']} cases, {server} 5xx, {schema} schema violations, "
        f"{authz} auth/IDOR findings, {failures} failures or errors of any check "
        f"(schemathesis {run['schemathesis_version']}, --checks all, phases "
        + ", ".join(f"{k} {v['status']}" for k, v in run["phases"].items())
        + f"; {EXAMPLES} examples per operation, seed {run['seed']}, "
        f"{run['running_time']:.0f} s{BOUNDED if run['stop_reason'] == 'max_time' else ''})"
    )
