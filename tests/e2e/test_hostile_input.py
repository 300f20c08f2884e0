"""Hostile input to every route that takes input, logged in and not, on both stores.

A corpus of what attackers and careless clients send — NUL and other control
characters, invalid UTF-8, lone surrogates, text-direction overrides, runs of
zero-width characters, a 10 MB and a 1,000-deep body, huge numbers, the ends of
the calendar, wrong content types, duplicate keys — goes into every text field
of every body, every query parameter and the path. Every answer must be a 4xx
problem, nothing may be stored, and afterwards the plan list must still be
current and a normal write must still work.

The routes come from the app itself: a route that takes a body and has no sample
here fails `test_every_route_that_takes_a_body_has_a_sample`, so a new route
cannot escape the suite. The photo routes, whose body is an image, get hostile
images and wrong content types instead (`HOSTILE_IMAGES`).
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest

from stafett.web.edge import MAX_DEPTH
from tests.e2e.conftest import Web
from tests.images import camera_jpeg, gif, png_bomb

PLANS = "/api/v1/plans"
JSON = "application/json"
NO_BODY: tuple[None, None] = (None, None)
SURROGATE = "@@SURROGATE@@"  # replaced by a raw \ud800 escape in the JSON text


@dataclass(frozen=True)
class Ids:
    plan: str
    participant: str
    goal: str
    activity: str
    person: str


@dataclass(frozen=True)
class Sample:
    """A body the route accepts, and its text fields: (path in the body, required?)."""

    body: Callable[[Ids], dict[str, Any]]
    texts: tuple[tuple[str, ...], ...] = ()
    dates: tuple[tuple[str, ...], ...] = field(default=())


CONSENT = {"given_by": "Mor og far", "given_on": "2026-03-01", "expires_on": "2026-09-30"}
PERSON = {"first_name": "Nina", "last_name": "Ny"}

SAMPLES: dict[tuple[str, str], Sample] = {
    ("POST", "/api/v1/session"): Sample(
        lambda i: {"username": "kari", "password": "et langt passord"},
        texts=(("username",), ("password",)),
    ),
    ("POST", "/api/v1/session/otp"): Sample(lambda i: {"code": "123456"}, texts=(("code",),)),
    ("POST", "/api/v1/session/step-up"): Sample(lambda i: {"code": "123456"}, texts=(("code",),)),
    ("POST", "/api/v1/session/terms"): Sample(lambda i: {"accept": True}),
    ("POST", "/api/v1/password-reset"): Sample(
        lambda i: {"username": "kari"}, texts=(("username",),)
    ),
    ("POST", "/api/v1/password-reset/{token:str}"): Sample(
        lambda i: {"new_password": "et nytt og langt passord"}, texts=(("new_password",),)
    ),
    ("PUT", "/api/v1/me/password"): Sample(
        lambda i: {"current_password": "feil passord her", "new_password": "et nytt passord"},
        texts=(("current_password",), ("new_password",)),
    ),
    ("POST", "/api/v1/me/totp/confirm"): Sample(lambda i: {"code": "123456"}, texts=(("code",),)),
    ("POST", "/api/v1/me/mobile/confirm"): Sample(lambda i: {"code": "123456"}, texts=(("code",),)),
    ("PATCH", "/api/v1/me"): Sample(
        lambda i: {
            "first_name": "Kari",
            "workplace": "Skolen",
            "birth_date": "1980-05-17",
            "mobile": "+4799999999",  # a new number: the (wrong) password is checked
            "current_password": "feil passord her",
        },
        texts=(("first_name",), ("workplace",), ("place",), ("mobile",), ("current_password",)),
        dates=(("birth_date",),),
    ),
    ("POST", "/api/v1/me/totp"): Sample(
        lambda i: {"current_password": "feil passord her"}, texts=(("current_password",),)
    ),
    ("POST", PLANS): Sample(
        lambda i: {
            "type": "SL",
            "short_name": "Plan",
            "start_date": "2026-03-02",
            "owner": PERSON | {"birth_date": "2015-05-17", "place": "Bø"},
            "consent": CONSENT | {"scope": "Alt"},
        },
        texts=(
            ("short_name",),
            ("owner", "first_name"),
            ("owner", "last_name"),
            ("owner", "place"),
            ("consent", "given_by"),
            ("consent", "scope"),
        ),
        dates=(("start_date",), ("owner", "birth_date"), ("consent", "given_on")),
    ),
    ("PATCH", PLANS + "/{plan_id:uuid}"): Sample(
        lambda i: {"short_name": "Nytt navn", "level": 1, "review_on": "2026-06-01"},
        texts=(("short_name",),),
        dates=(("review_on",), ("start_date",), ("end_date",)),
    ),
    ("POST", PLANS + "/{plan_id:uuid}/participants"): Sample(
        lambda i: {"person": PERSON | {"position": "Lærer"}, "role": "provider"},
        texts=(("person", "first_name"), ("person", "position"), ("responsibility",)),
    ),
    ("PATCH", PLANS + "/{plan_id:uuid}/participants/{participant_id:uuid}"): Sample(
        lambda i: {"responsibility": "Kontakt", "workplace": "Skolen", "place": "Bø"},
        texts=(("responsibility",), ("workplace",), ("place",), ("email",), ("mobile",)),
        dates=(("birth_date",),),
    ),
    ("POST", PLANS + "/{plan_id:uuid}/participants/{participant_id:uuid}/account"): Sample(
        lambda i: {"username": "per.helse", "otp_channel": "email"}, texts=(("username",),)
    ),
    ("DELETE", PLANS + "/{plan_id:uuid}/participants/{participant_id:uuid}"): Sample(
        lambda i: {"expected_version": 99}
    ),
    ("PUT", PLANS + "/{plan_id:uuid}/participants/{participant_id:uuid}/notifications"): Sample(
        lambda i: {"new_message": ["email"], "new_comment": ["sms", "email"]}
    ),
    ("POST", PLANS + "/{plan_id:uuid}/coordinator"): Sample(
        lambda i: {"participant_id": i.participant, "expected_version": 99}
    ),
    ("POST", PLANS + "/{plan_id:uuid}/coordinator/offer"): Sample(
        lambda i: {"participant_id": i.participant, "expected_version": 99}
    ),
    ("POST", PLANS + "/{plan_id:uuid}/coordinator/offer/acceptance"): Sample(
        lambda i: {"expected_version": 99}
    ),
    ("DELETE", PLANS + "/{plan_id:uuid}/coordinator/offer"): Sample(
        lambda i: {"expected_version": 99}
    ),
    ("PUT", PLANS + "/{plan_id:uuid}/consent"): Sample(
        lambda i: CONSENT | {"scope": "Alt"},
        texts=(("given_by",), ("scope",)),
        dates=(("given_on",), ("expires_on",)),
    ),
    ("DELETE", PLANS + "/{plan_id:uuid}/consent"): Sample(lambda i: {"expected_version": 99}),
    ("POST", PLANS + "/{plan_id:uuid}/consent/withdrawal"): Sample(
        lambda i: {"expected_version": 99}
    ),
    ("POST", PLANS + "/{plan_id:uuid}/goals"): Sample(
        lambda i: {"title": "Mål", "description": "Beskrivelse", "due_on": "2026-06-01"},
        texts=(("title",), ("description",)),
        dates=(("due_on",),),
    ),
    ("PATCH", PLANS + "/{plan_id:uuid}/goals/{goal_id:uuid}"): Sample(
        lambda i: {"title": "Nytt mål", "description": "Mer"},
        texts=(("title",), ("description",)),
    ),
    ("POST", PLANS + "/{plan_id:uuid}/goals/{goal_id:uuid}/evaluations"): Sample(
        lambda i: {"status": "achieved", "text": "Nådd"}, texts=(("text",),)
    ),
    ("POST", PLANS + "/{plan_id:uuid}/activities"): Sample(
        lambda i: {"title": "Tiltak", "responsible_participant_id": i.participant},
        texts=(("title",), ("description",)),
    ),
    ("PATCH", PLANS + "/{plan_id:uuid}/activities/{activity_id:uuid}"): Sample(
        lambda i: {"title": "Endret tiltak"}, texts=(("title",), ("description",))
    ),
    ("POST", PLANS + "/{plan_id:uuid}/minutes"): Sample(
        lambda i: {"met_on": "2026-03-02", "attendee_ids": [i.participant], "notes": "Notat"},
        texts=(("notes",), ("decisions",)),
        dates=(("met_on",),),
    ),
    ("POST", PLANS + "/{plan_id:uuid}/comments"): Sample(
        lambda i: {"on": {"kind": "goal", "id": i.goal}, "text": "Kommentar"},
        texts=(("text",),),
    ),
    ("POST", PLANS + "/{plan_id:uuid}/messages"): Sample(
        lambda i: {"to": "all", "subject": "Emne", "body": "Melding"},
        texts=(("subject",), ("body",)),
    ),
    ("POST", PLANS + "/{plan_id:uuid}/calendar"): Sample(
        lambda i: {
            "title": "Møte",
            "starts_at": "2026-03-10T10:00:00+01:00",
            "ends_at": "2026-03-10T11:00:00+01:00",
            "location": "Skolen",
        },
        texts=(("title",), ("location",)),
        dates=(("starts_at",),),
    ),
    ("POST", PLANS + "/{plan_id:uuid}/close"): Sample(
        lambda i: {"ended_on": "2026-03-02", "reason": "Ferdig"},
        texts=(("reason",),),
        dates=(("ended_on",),),
    ),
    ("POST", PLANS + "/{plan_id:uuid}/reopen"): Sample(lambda i: {"expected_version": 99}),
}
# Routes that take no body: a body sent anyway must still pass the edge.
BODYLESS = {
    ("DELETE", "/api/v1/session"),
    ("POST", "/api/v1/session/otp/resend"),
    ("POST", "/api/v1/session/step-up/code"),
}

# Text values that break the rule wherever they stand.
HOSTILE_TEXTS = {
    "NUL": "short\x00name",
    "escape sequence": "rød \x1b[31m",
    "DEL": "del\x7f",
    "C1 control": "next\x85line",
    "direction override": "tittel\u202egnp.exe",
    "lone surrogate": f"x{SURROGATE}y",
}
# Passwords and codes: a text-direction control in one is removed before it is checked
# (so it may be "wrong password", 401/403), control characters are refused.
SECRETS = frozenset({"password", "current_password", "new_password", "code"})
# What refusing the input itself answers: a bad address, too large, not JSON, bad values.
INPUT_REFUSALS = (400, 413, 415, 422)
HOSTILE_DATES = {"first day of the calendar": "0001-01-01", "last day": "9999-12-31"}


def fill(path: str, ids: Ids) -> str:
    return (
        path.replace("{plan_id:uuid}", ids.plan)
        .replace("{participant_id:uuid}", ids.participant)
        .replace("{goal_id:uuid}", ids.goal)
        .replace("{activity_id:uuid}", ids.activity)
        .replace("{token:str}", "a" * 43)
    )


def with_value(body: dict[str, Any], where: tuple[str, ...], value: Any) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(body))
    target = copy
    for key in where[:-1]:
        target = target.setdefault(key, {})
    target[where[-1]] = value
    return copy


def encoded(body: dict[str, Any]) -> bytes:
    text = json.dumps(body, ensure_ascii=False)
    return text.replace(SURROGATE, "\\ud800").encode("utf-8")


def raw_corpus(body: dict[str, Any]) -> Iterator[tuple[str, bytes, str | None]]:
    """(name, bytes, content type) of bodies that are wrong as a whole."""
    good = encoded(body)
    first_key = next(iter(body), "x")
    yield "invalid UTF-8", good[:-1] + b', "x": "\xff\xfe"}', "application/json"
    yield "10 MB", b'{"x": "' + b"a" * 10_000_000 + b'"}', "application/json"
    yield "1,000 deep", b"[" * 1000 + b"]" * 1000, "application/json"
    yield (
        f"{MAX_DEPTH + 1} deep",
        b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1),
        ("application/json"),
    )
    yield (
        "huge integer",
        good[:-1] + b', "expected_version": 1' + b"0" * 22 + b"}",
        ("application/json"),
    )
    yield "huge float", good[:-1] + b', "expected_version": 1e999}', "application/json"
    yield "NaN", good[:-1] + b', "expected_version": NaN}', "application/json"
    duplicate = json.dumps(body[first_key]) if body else '"x"'
    yield (
        "duplicate key",
        good[:-1] + f', "{first_key}": {duplicate}}}'.encode(),
        ("application/json"),
    )
    yield "text/plain", good, "text/plain"
    yield "no content type", good, None
    yield "form", b"username=kari&password=x", "application/x-www-form-urlencoded"
    yield "latin-1 charset", good, "application/json; charset=latin-1"


@dataclass
class Suite:
    web: Web
    ids: Ids
    csrf: dict[str, str]
    failures: list[str] = field(default_factory=list)
    sent: int = 0

    def send(
        self,
        who: str,
        method: str,
        url: str,
        body: tuple[bytes | None, str | None],
        what: str,
        *,
        strict: bool = True,
    ) -> None:
        content, content_type = body
        headers = dict(self.csrf) if who == "coordinator" else {}
        if content_type is not None:
            headers["content-type"] = content_type
        response = self.web.client.request(method, url, content=content, headers=headers)
        self.sent += 1
        where = f"{who} · {method} {url[:80]} · {what}"
        self.check(response, where, strict=strict and who != "anonymous")

    def check(self, response: httpx.Response, where: str, *, strict: bool) -> None:
        """A 4xx problem; for a caller who may use the route, a refusal of the input itself."""
        allowed = INPUT_REFUSALS if strict else range(400, 500)
        if response.status_code not in allowed:
            self.failures.append(f"{where}: {response.status_code} {response.text[:200]}")
            return
        if not response.headers.get("content-type", "").startswith("application/problem+json"):
            self.failures.append(f"{where}: not a problem: {response.headers}")
            return
        problem = response.json()
        if problem.get("status") != response.status_code or "Traceback" in response.text:
            self.failures.append(f"{where}: bad problem body {response.text[:200]}")


def body_routes(web: Web) -> set[tuple[str, str]]:
    """(method, path) of every route whose handler reads a body (decoded, or raw)."""
    found = set()
    app = web.client.app
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            parameters = handler.parsed_fn_signature.parameters
            if "data" in parameters or "body" in parameters:
                for method in handler.http_methods:
                    found.add((method, route.path))
    return found


def make_plan(web: Web) -> tuple[Ids, dict[str, str]]:
    kari = web.create_user("kari", coordinator=True)
    web.login("kari")
    csrf = web.csrf_headers()
    created = web.client.post(
        PLANS, json=SAMPLES[("POST", PLANS)].body(Ids("", "", "", "", "")), headers=csrf
    )
    assert created.status_code == 201, created.text
    plan = created.json()["id"]
    added = web.client.post(
        f"{PLANS}/{plan}/participants",
        json={"person": {"first_name": "Per", "last_name": "Helse"}, "role": "provider"},
        headers=csrf,
    )
    assert added.status_code == 201, added.text
    participant = added.json()["participant_id"]
    goal = web.client.post(f"{PLANS}/{plan}/goals", json={"title": "Mål"}, headers=csrf)
    activity = web.client.post(
        f"{PLANS}/{plan}/activities",
        json={"title": "Tiltak", "responsible_participant_id": participant},
        headers=csrf,
    )
    ids = Ids(plan, participant, goal.json()["goal_id"], activity.json()["activity_id"], str(kari))
    return ids, csrf


def store_counts(web: Web) -> tuple[int, int, int, int, int]:
    """Events, persons, person changes, photos and outbox messages: nothing may add to any."""
    directory = web.plans.directory
    counts = []
    with directory.datastore.transaction(commit=False) as c:
        for table in (directory.persons, directory.changes, directory.photos):
            c.execute(f"SELECT COUNT(*) AS n FROM {table}")
            row = c.fetchone()
            assert row is not None
            counts.append(int(row["n"]))
    events = web.plans.recorder.max_notification_id() or 0
    persons, changes, photos = counts
    return events, persons, changes, photos, len(web.messages())


@pytest.fixture
def suite(web: Web) -> Suite:
    ids, csrf = make_plan(web)
    return Suite(web, ids, csrf)


def test_every_route_that_takes_a_body_has_a_sample(web: Web) -> None:
    assert body_routes(web) == set(SAMPLES) | IMAGE_ROUTES, (
        "add a sample for each new route that reads a body"
    )


# Routes whose body is an image, not JSON (decided by Pillow, re-encoded before storing).
IMAGE_ROUTES = {
    ("PUT", PLANS + "/{plan_id:uuid}/participants/{participant_id:uuid}/photo"),
    ("PUT", "/api/v1/me/photo"),
}
HOSTILE_IMAGES: dict[str, tuple[bytes, str | None]] = {
    "text named as a JPEG": (b"Bare tekst, ikke et bilde\n", "image/jpeg"),
    "empty": (b"", "image/jpeg"),
    "PNG bomb header": (png_bomb(), "image/png"),
    "cut-off JPEG": (camera_jpeg()[:2_000], "image/jpeg"),
    "GIF": (gif(), "image/png"),
    "SVG with a script": (
        b"<svg onload='alert(1)' xmlns='http://www.w3.org/2000/svg'/>",
        "image/png",
    ),
    "HTML": (b"<!doctype html><script>alert(1)</script>", "image/jpeg"),
    "NUL bytes": (b"\x00" * 4096, "image/webp"),
    "10 MB": (b"\xff\xd8\xff" + b"a" * 10_000_000, "image/jpeg"),
    "a JPEG sent as JSON": (camera_jpeg(), "application/json"),
    "a JPEG sent as a form": (camera_jpeg(), "multipart/form-data; boundary=x"),
    "a JPEG without a content type": (camera_jpeg(), None),
    "a JPEG as text": (camera_jpeg(), "text/plain"),
}


def test_hostile_images_are_refused_with_a_problem_and_nothing_is_stored(suite: Suite) -> None:
    web, ids = suite.web, suite.ids
    before = store_counts(web)
    session = web.client.cookies["__Host-sid"]
    for who in ("coordinator", "anonymous"):
        web.client.cookies.delete("__Host-sid")
        if who == "coordinator":
            web.client.cookies.set("__Host-sid", session, domain="stafett.test")
        for method, path in sorted(IMAGE_ROUTES):
            for name, body in HOSTILE_IMAGES.items():
                suite.send(who, method, fill(path, ids), body, name)
    assert suite.failures == [], "\n".join(suite.failures)
    assert store_counts(web) == before
    web.client.cookies.set("__Host-sid", session, domain="stafett.test")
    after_the_storm_the_service_still_works(suite)


def test_hostile_bodies_are_refused_with_a_problem_and_nothing_is_stored(suite: Suite) -> None:
    web, ids = suite.web, suite.ids
    before = store_counts(web)
    session = web.client.cookies["__Host-sid"]
    for who in ("coordinator", "anonymous"):
        web.client.cookies.delete("__Host-sid")
        if who == "coordinator":
            web.client.cookies.set("__Host-sid", session, domain="stafett.test")
        for (method, path), sample in SAMPLES.items():
            url = fill(path, ids)
            body = sample.body(ids)
            if path.startswith(("/api/v1/session", "/api/v1/password-reset")):
                # a fresh per-address login budget; only for login steps, so the
                # coordinator's session does not idle out over the anonymous pass
                web.clock.advance(timedelta(seconds=61))
            if who == "coordinator":  # most hostile bodies never reach the session: keep it
                assert web.client.get("/api/v1/me").status_code == 200
            for where in sample.texts:
                secret = where[-1] in SECRETS
                for name, value in HOSTILE_TEXTS.items():
                    hostile = encoded(with_value(body, where, value))
                    suite.send(
                        who,
                        method,
                        url,
                        (hostile, JSON),
                        f"{'.'.join(where)}={name}",
                        strict=not secret,
                    )
                if not secret:
                    only_invisible = encoded(with_value(body, where, "\u200b\u200b\u200b\ufeff"))
                    if where in REQUIRED_TEXTS.get((method, path), ()):
                        suite.send(who, method, url, (only_invisible, JSON), "invisible")
            for where in sample.dates:
                for name, value in HOSTILE_DATES.items():
                    hostile = encoded(with_value(body, where, value))
                    suite.send(who, method, url, (hostile, JSON), name)
            for name, content, content_type in raw_corpus(body):
                suite.send(who, method, url, (content, content_type), name)
        for method, path in BODYLESS:
            for name, content, content_type in raw_corpus({"x": 1}):
                if name in ("text/plain", "no content type", "form", "latin-1 charset"):
                    suite.send(who, method, fill(path, ids), (content, content_type), name)
    assert suite.failures == [], f"{len(suite.failures)} of {suite.sent}:\n" + "\n".join(
        suite.failures[:40]
    )
    assert suite.sent > 700
    assert store_counts(web) == before
    web.client.cookies.set("__Host-sid", session, domain="stafett.test")
    after_the_storm_the_service_still_works(suite)


# Text fields a request cannot do without: blank ones (invisible only) are refused.
REQUIRED_TEXTS: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("POST", PLANS): (("short_name",), ("owner", "first_name"), ("consent", "given_by")),
    ("POST", PLANS + "/{plan_id:uuid}/goals"): (("title",),),
    ("PATCH", PLANS + "/{plan_id:uuid}/goals/{goal_id:uuid}"): (("title",),),
    ("POST", PLANS + "/{plan_id:uuid}/goals/{goal_id:uuid}/evaluations"): (("text",),),
    ("POST", PLANS + "/{plan_id:uuid}/activities"): (("title",),),
    ("POST", PLANS + "/{plan_id:uuid}/minutes"): (("notes",),),
    ("POST", PLANS + "/{plan_id:uuid}/comments"): (("text",),),
    ("POST", PLANS + "/{plan_id:uuid}/messages"): (("subject",), ("body",)),
    ("POST", PLANS + "/{plan_id:uuid}/calendar"): (("title",),),
    ("PUT", PLANS + "/{plan_id:uuid}/consent"): (("given_by",), ("scope",)),
    ("POST", "/api/v1/session"): (("username",),),
    ("POST", "/api/v1/password-reset"): (("username",),),
    ("PATCH", "/api/v1/me"): (("first_name",),),
}

HOSTILE_QUERIES = {
    "NUL": "%00%00",
    "escape": "%1b%5b2J",
    "invalid UTF-8": "%ff%fe",
    "direction override": "%E2%80%AEabc",
    "overlong": "a" * 2000,
}


AUDIT_QUERIES = [
    "/api/v1/audit/plans?last_name={v}",
    "/api/v1/audit/plans?first_name={v}&status=open",
    "/api/v1/audit/plans?last_name=Helse&birth_date={v}",
    "/api/v1/audit/plans?last_name=Helse&status={v}",
    "/api/v1/audit/plans?from={v}",
    "/api/v1/audit/plans?to={v}",
]


def test_hostile_queries_and_paths_are_refused_with_a_problem(suite: Suite) -> None:
    web, ids = suite.web, suite.ids
    coordinator = web.client.cookies["__Host-sid"]
    web.create_user("revisor", auditor=True)  # the audit search is for auditors only
    web.client.cookies.delete("__Host-sid")  # a login ends the session it sees
    web.login("revisor")
    auditor = web.client.cookies["__Host-sid"]
    web.client.cookies.set("__Host-sid", coordinator, domain="stafett.test")
    before = store_counts(web)
    queries = [
        f"{PLANS}?first_name={{v}}",
        f"{PLANS}?last_name={{v}}&include_closed=true",
        "/api/v1/persons?name={v}",
        f"{PLANS}/{ids.plan}/history?as_of={{v}}",
        f"{PLANS}/{ids.plan}/history?version={{v}}",
        f"{PLANS}/{ids.plan}/history?as_of=2026-03-02T10:00:00%2B01:00&as_participant={{v}}",
        f"{PLANS}/{ids.plan}/export?format={{v}}",
        f"{PLANS}/{ids.plan}/export?language={{v}}",
    ]
    for template in queries:
        for name, value in HOSTILE_QUERIES.items():
            suite.send("coordinator", "GET", template.format(v=value), NO_BODY, name)
    web.client.cookies.set("__Host-sid", auditor, domain="stafett.test")
    for template in AUDIT_QUERIES:
        for name, value in HOSTILE_QUERIES.items():
            suite.send("auditor", "GET", template.format(v=value), NO_BODY, name)
    for value in ("0001-01-01", "9999-12-31", "2026-02-30"):
        for key in ("birth_date", "from", "to"):
            url = f"/api/v1/audit/plans?last_name=Helse&{key}={value}"
            suite.send("auditor", "GET", url, NO_BODY, f"{key}={value}")
    web.client.cookies.set("__Host-sid", coordinator, domain="stafett.test")
    history = f"{PLANS}/{ids.plan}/history"
    for value in (
        "1" + "0" * 22,
        "-1",
        "0001-01-01T00:00:00%2B14:00",
        "9999-12-31T23:59:59-14:00",
    ):
        key = "version" if "T" not in value else "as_of"
        suite.send("coordinator", "GET", f"{history}?{key}={value}", NO_BODY, value)
    for path in (
        f"{PLANS}/%00",
        f"{PLANS}/%ff%fe",
        f"{PLANS}/{ids.plan}%00/goals",
        "/api/v1/password-reset/abc%00def",
        "/api/v1/password-reset/%1b%5b2J",
    ):
        # An address no route has may answer 404/405 as well: any 4xx problem will do.
        suite.send("coordinator", "GET", path, NO_BODY, "path", strict=False)
        suite.send("coordinator", "POST", path, (b"{}", JSON), "path", strict=False)
    assert suite.failures == [], "\n".join(suite.failures)
    assert store_counts(web) == before


def after_the_storm_the_service_still_works(suite: Suite) -> None:
    web, ids = suite.web, suite.ids
    health = web.client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["plan_list_lag"] == 0
    goal = web.client.post(
        f"{PLANS}/{ids.plan}/goals", json={"title": "Etter stormen"}, headers=suite.csrf
    )
    assert goal.status_code == 201, goal.text
    listed = web.client.get(PLANS)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [ids.plan]
    assert web.client.get("/health").json()["plan_list_lag"] == 0
    plan = web.client.get(f"{PLANS}/{ids.plan}").json()
    assert "Etter stormen" in {g["title"] for g in plan["goals"]}
    assert UUID(ids.plan)
