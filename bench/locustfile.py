"""The load run's virtual users, for locust (run by `python -m bench.load`, not alone).

It runs in the load tool's own virtualenv (`.venv-load`, locust and nothing of Stafett:
gevent patches the interpreter it runs in), so it imports only locust and the standard
library. `Participant` is a person in a plan group: logs in once with password, the
one-time code from the development outbox and the terms, then works with think times
of WAIT_SECONDS: 80 % reads (the plan list, the plan as JSON and as a page, the plan
tab or, for the coordinator, the timeline, the own account) and 20 % writes (a
comment, a message, an activity, and in 1 of 100 actions a log-out followed by
another person's login). `Bare` asks the bare litestar app for `/health` with the same
think times: the load offered when answers take no time, the run's baseline.

Every answer's status and time go to the file named by STAFETT_LOAD_RESULT when locust
quits, per kind (read, write, login).
"""

import heapq
import json
import os
import random
import re
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task

WAIT_SECONDS = (0.5, 1.5)
SESSION_COOKIE = "__Host-sid"
CODE_WAIT_SECONDS = 10

ACCOUNTS: list[dict[str, Any]] = (
    json.loads(Path(os.environ["STAFETT_LOAD_ACCOUNTS"]).read_text())
    if os.environ.get("STAFETT_LOAD_ACCOUNTS")
    else []
)
# Accounts not logged in, the longest idle first: (when it last logged in, its index).
# A person gets at most 5 codes in 15 minutes (CODE_SENDS_PER_15_MIN), so an account
# logs in again only LOGIN_SPACING_SECONDS after its last login; there are three times
# as many accounts as users, people coming and going.
LOGIN_SPACING_SECONDS = 180.0
_idle = [(-LOGIN_SPACING_SECONDS, index) for index in range(len(ACCOUNTS))]
heapq.heapify(_idle)


def _take_account() -> int | None:
    """The longest idle account, if it may log in now (gevent: no other user runs between
    these lines)."""
    if _idle and time.monotonic() - _idle[0][0] >= LOGIN_SPACING_SECONDS:
        return heapq.heappop(_idle)[1]
    return None


OUTBOX = Path(os.environ.get("STAFETT_LOAD_OUTBOX", "var/outbox"))

statuses: Counter[int] = Counter()
failures: Counter[str] = Counter()  # "name status" of every answer not 2xx
times_ms: defaultdict[str, list[tuple[float, float]]] = defaultdict(list)  # (when, ms)


@events.request.add_listener
def _record(request_type: str, name: str, response_time: float, response: Any, **_: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    statuses[status] += 1
    if not 200 <= status < 300:
        failures[f"{name} {status}"] += 1
    times_ms[name.split(":", 1)[0]].append((round(time.time(), 3), response_time))


@events.user_error.add_listener
def _task_failed(user_instance: Any, exception: Exception, tb: Any, **_: Any) -> None:
    """A task that raised (no code in the outbox, an answer without the expected body)."""
    failures[f"task error {type(exception).__name__}"] += 1


@events.quitting.add_listener
def _write(**_: Any) -> None:
    target = os.environ.get("STAFETT_LOAD_RESULT")
    if target:
        body = {
            "statuses": {str(k): v for k, v in statuses.items()},
            "failures": dict(failures),
            "times_ms": times_ms,
        }
        Path(target).write_text(json.dumps(body))


def _code_for(address: str, since_name: str) -> str:
    """The code in the newest outbox message to `address` written after `since_name`."""
    deadline = time.monotonic() + CODE_WAIT_SECONDS
    while time.monotonic() < deadline:
        names = sorted((p.name for p in OUTBOX.glob("*.json")), reverse=True)
        for name in names:
            if name < since_name:
                break
            message = json.loads((OUTBOX / name).read_text())
            found = re.search(r"\b(\d{6})\b", message["body"])
            if message["to"] == address and found:
                return found.group(1)
        time.sleep(0.05)
    raise RuntimeError(f"no code for {address} in {OUTBOX}")


class Participant(FastHttpUser):
    wait_time = between(*WAIT_SECONDS)

    def on_start(self) -> None:
        index = _take_account()
        if index is None:
            raise RuntimeError("fewer accounts than users")
        self.token = ""
        self.csrf: dict[str, str] = {}
        self.log_in_as(index)

    def log_in_as(self, index: int) -> None:
        self.index, self.account = index, ACCOUNTS[index]
        self.logged_in_at = time.monotonic()
        # Behind the trusted proxy each person has an address of their own, as in
        # production; the login limits count per address.
        self.forwarded = {"X-Forwarded-For": self.account["address"]}
        self.log_in()

    def headers(self, write: bool = False) -> dict[str, str]:
        headers = {**self.forwarded, "Cookie": f"{SESSION_COOKIE}={self.token}"}
        return headers | self.csrf if write else headers

    def _take_cookie(self, response: Any) -> None:
        found = re.search(rf"{SESSION_COOKIE}=([^;]+)", str(response.headers))
        if found:
            self.token = found.group(1)

    def log_in(self) -> None:
        account = self.account
        since = f"{int(time.time() * 1_000_000) - 1_000_000:020d}"  # a second of clock slack
        answer = self.client.post(
            "/api/v1/session",
            json={"username": account["username"], "password": account["password"]},
            headers=self.forwarded,
            name="login: password",
        )
        self._take_cookie(answer)
        code = _code_for(account["email"], since)
        answer = self.client.post(
            "/api/v1/session/otp", json={"code": code}, headers=self.headers(), name="login: code"
        )
        self._take_cookie(answer)
        if answer.json().get("next") == "terms":
            answer = self.client.post(
                "/api/v1/session/terms",
                json={"accept": True},
                headers=self.headers(),
                name="login: terms",
            )
            self._take_cookie(answer)
        me = self.client.get("/api/v1/me", headers=self.headers(), name="login: me").json()
        self.csrf = {me["csrf"]["header"]: me["csrf"]["token"]}

    # ------------------------------------------------------------ reads: 80 %

    @task(20)
    def plan_list(self) -> None:
        self.client.get("/api/v1/plans", headers=self.headers(), name="read: plan list")

    @task(25)
    def plan(self) -> None:
        path = f"/api/v1/plans/{self.account['plan_id']}"
        self.client.get(path, headers=self.headers(), name="read: plan (JSON)")

    @task(15)
    def plan_page(self) -> None:
        path = f"/plans/{self.account['plan_id']}"
        self.client.get(path, headers=self.headers(), name="read: plan page")

    @task(10)
    def plan_tab_or_timeline(self) -> None:
        """The plan tab; the coordinator (who alone may) reads the timeline instead."""
        plan = self.account["plan_id"]
        if self.account["coordinator"]:
            path, name = f"/api/v1/plans/{plan}/timeline?limit=50", "read: timeline"
        else:
            path, name = f"/plans/{plan}/plan", "read: plan tab"
        self.client.get(path, headers=self.headers(), name=name)

    @task(10)
    def me(self) -> None:
        self.client.get("/api/v1/me", headers=self.headers(), name="read: me")

    # ------------------------------------------------------------ writes: 20 %

    def _post(self, section: str, body: dict[str, Any], name: str) -> None:
        path = f"/api/v1/plans/{self.account['plan_id']}/{section}"
        self.client.post(path, json=body, headers=self.headers(write=True), name=name)

    @task(8)
    def comment(self) -> None:
        target = {"kind": "goal", "id": self.account["goal_id"]}
        text = random.choice(("Fint å høre!", "Vi følger opp på skolen.", "Takk, notert."))
        self._post("comments", {"on": target, "text": text}, "write: comment")

    @task(5)
    def message(self) -> None:
        body = {"to": "all", "subject": "Neste møte", "body": "Kan vi møtes torsdag kl. 14?"}
        self._post("messages", body, "write: message")

    @task(6)
    def activity(self) -> None:
        body = {
            "title": "Lesekvarter hver morgen",
            "responsible_participant_id": self.account["participant_id"],
            "goal_id": self.account["goal_id"],
        }
        self._post("activities", body, "write: activity")

    @task(1)
    def log_in_again(self) -> None:
        """This person logs out and another, idle long enough, logs in; while none is,
        this person reads the plan list instead."""
        index = _take_account()
        if index is None:
            self.plan_list()
            return
        self.client.delete("/api/v1/session", headers=self.headers(write=True), name="login: out")
        heapq.heappush(_idle, (self.logged_in_at, self.index))
        self.token, self.csrf = "", {}
        self.log_in_as(index)


class Bare(FastHttpUser):
    """The baseline: the bare app's `/health`, with the same users and think times."""

    wait_time = between(*WAIT_SECONDS)

    @task
    def health(self) -> None:
        self.client.get("/health", name="read: bare /health")
