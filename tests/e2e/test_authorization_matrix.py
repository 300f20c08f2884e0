"""The authorization matrix (REL-AUTHZ): every identity × every plan route × plan state.

The expected answer of every cell comes from the policy table
(`stafett.aggregates.policy.decide`), never from a list written here; the test
counts mismatches, checks that no refused answer carries plan content, and that
each refusal of a logged-in caller is logged as `authz_fail`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from stafett.aggregates.policy import (
    AccountAction,
    Action,
    Denial,
    Standing,
    access_for,
    account_may,
    decide,
    rule_for,
)
from stafett.aggregates.values import FULL_RIGHTS, Access, Rights, Section
from tests.e2e.conftest import Web
from tests.images import png

PHOTO = png(64, 64)

PLANS = "/api/v1/plans"
SECRET_MARKERS = ("Matrise-plan", "Hemmelig mål", "Fortrolig melding", "Mor og far")
DENIAL_STATUS = {
    Denial.NOT_FOUND: 404,
    Denial.NOT_PERMITTED: 403,
    Denial.CONSENT: 403,
    Denial.CLOSED: 409,
    Denial.NOT_CLOSED: 409,  # refused for the plan's state (decision 0023)
}
STATES = ("valid consent", "expired consent", "consent reset", "participant removed", "closed")
ALL = {"goals": "write", "activities": "write", "minutes": "write", "messages": "write"}
READ_ONLY = {"goals": "read", "activities": "read", "minutes": "read", "messages": "read"}


@dataclass(frozen=True)
class Identity:
    name: str
    rights: Rights | None  # in the plan; None for those outside it
    standing: Standing  # while a member of the plan (or outside it)
    removable: bool = False  # removed in the state "participant removed"


IDENTITIES = (
    Identity("kari", FULL_RIGHTS, Standing.COORDINATOR),
    Identity("ola", Rights(), Standing.OWNER),
    Identity("anne", Rights(goals=Access.NONE, print=False), Standing.RELATIVE, removable=True),
    Identity("per", Rights(), Standing.PROVIDER, removable=True),
    Identity(
        "pia",
        Rights(
            goals=Access.READ,
            activities=Access.READ,
            minutes=Access.READ,
            messages=Access.READ,
            print=False,
        ),
        Standing.PROVIDER,
        removable=True,
    ),
    Identity("olga", None, Standing.OUTSIDER),  # organisation admin
    Identity("aud", None, Standing.AUDITOR),  # auditor
    Identity("ute", None, Standing.OUTSIDER),  # provider in another plan only
    Identity("anonymous", None, Standing.OUTSIDER),
)


@dataclass
class Fixture:
    plan_id: str
    spare: str  # a provider without an account: the target of management routes
    goal: str
    activity: str
    archive: str  # a sealed record of the plan
    ids: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {plan}, {spare}, {goal}, {activity}, {now} are filled in per plan
    action: Action
    section: Section | None = None
    body: Callable[[Fixture], dict[str, Any]] | None = None
    changes_standing: bool = False  # a success changes who may do what: rebuild after it
    image: bool = False  # the body is a photo (`PHOTO`), not JSON
    # The coordinator offers the baton first (decision 0052): to the caller when they are
    # a provider in the plan (the one an answer is for), else to the spare.
    offered: bool = False
    # For a standing `action` has no row for, the action the route is checked against
    # instead (withdrawing an offer is the coordinator's `manage`, declining it the
    # offered provider's `answer_baton_offer`).
    otherwise: Action | None = None


ROUTES = (
    Route("GET", "{plan}", Action.OPEN),
    Route("GET", "{plan}/history?version=1", Action.READ_HISTORY),
    Route("GET", "{plan}/history?as_of={now}&as_participant={spare}", Action.READ_HISTORY),
    Route("GET", "{plan}/timeline", Action.READ_HISTORY),
    Route("GET", "{plan}/access-log", Action.READ_ACCESS_LOG),
    Route("GET", "{plan}/archives", Action.OPEN),
    Route("GET", "/api/v1/archives/{archive}", Action.READ_ARCHIVE),
    Route("POST", "{plan}/archives", Action.RECORD_ARCHIVE),
    Route("GET", "{plan}/export", Action.EXPORT_PLAN),
    Route("GET", "{plan}/export?format=json", Action.EXPORT_PLAN),
    Route("POST", "{plan}/goals", Action.WRITE_SECTION, Section.GOALS, lambda f: {"title": "Mål"}),
    Route(
        "PATCH",
        "{plan}/goals/{goal}",
        Action.WRITE_SECTION,
        Section.GOALS,
        lambda f: {"title": "Nytt mål"},
    ),
    Route(
        "POST",
        "{plan}/goals/{goal}/evaluations",
        Action.WRITE_SECTION,
        Section.GOALS,
        lambda f: {"status": "achieved", "text": "Nådd"},
    ),
    Route(
        "POST",
        "{plan}/activities",
        Action.WRITE_SECTION,
        Section.ACTIVITIES,
        lambda f: {"title": "Tiltak", "responsible_participant_id": f.spare},
    ),
    Route(
        "PATCH",
        "{plan}/activities/{activity}",
        Action.WRITE_SECTION,
        Section.ACTIVITIES,
        lambda f: {"title": "Endret tiltak"},
    ),
    Route(
        "POST",
        "{plan}/calendar",
        Action.WRITE_SECTION,
        Section.ACTIVITIES,
        lambda f: {
            "title": "Møte",
            "starts_at": "2026-11-01T10:00:00+01:00",
            "ends_at": "2026-11-01T11:00:00+01:00",
        },
    ),
    Route(
        "POST",
        "{plan}/minutes",
        Action.WRITE_SECTION,
        Section.MINUTES,
        lambda f: {"met_on": "2026-03-02", "attendee_ids": [f.spare], "notes": "Referat"},
    ),
    Route(
        "POST",
        "{plan}/messages",
        Action.WRITE_SECTION,
        Section.MESSAGES,
        lambda f: {"to": [f.spare], "subject": "Hei", "body": "Tekst"},
    ),
    Route(
        "POST",
        "{plan}/comments",
        Action.COMMENT,
        Section.GOALS,
        lambda f: {"on": {"kind": "goal", "id": f.goal}, "text": "Kommentar"},
    ),
    Route(
        "POST",
        "{plan}/participants",
        Action.MANAGE,
        body=lambda f: {
            "person": {"first_name": "Ny", "last_name": "Deltaker"},
            "role": "provider",
            "rights": ALL | {"print": True, "edit_person": False},
        },
        changes_standing=True,
    ),
    Route(
        "PATCH",
        "{plan}/participants/{spare}",
        Action.MANAGE,
        body=lambda f: {"responsibility": "Ny oppgave"},
        changes_standing=True,
    ),
    Route(
        "PUT",
        "{plan}/participants/{spare}/notifications",
        Action.CHOOSE_NOTIFICATIONS,
        body=lambda f: {"new_message": ["email"], "new_participant": ["sms"]},
    ),
    Route(
        "PUT",
        "{plan}/consent",
        Action.MANAGE,
        body=lambda f: {
            "given_by": "Mor",
            "given_on": "2026-03-01",
            "expires_on": "2027-03-01",
            "scope": "Alt",
        },
        changes_standing=True,
    ),
    Route("DELETE", "{plan}/consent", Action.MANAGE, changes_standing=True),
    Route(
        "POST",
        "{plan}/consent/withdrawal",
        Action.WITHDRAW_CONSENT,
        body=lambda f: {},
        changes_standing=True,
    ),
    Route(
        "PATCH",
        "{plan}/participants/{spare}",
        Action.EDIT_PERSON,
        body=lambda f: {"phone": "22334455", "hide_mobile": True},
    ),
    Route("GET", "{plan}/participants/{spare}/photo", Action.OPEN),
    Route("PUT", "{plan}/participants/{spare}/photo", Action.EDIT_PERSON, image=True),
    Route("DELETE", "{plan}/participants/{spare}/photo", Action.EDIT_PERSON),
    Route(
        "POST",
        "{plan}/participants/{spare}/account",
        Action.MANAGE,
        body=lambda f: {"username": f"reserve-{f.spare}"},
        changes_standing=True,  # the spare has a login now: the next route needs a fresh plan
    ),
    Route("DELETE", "{plan}/participants/{spare}", Action.MANAGE, changes_standing=True),
    Route(
        "POST",
        "{plan}/coordinator",
        Action.MANAGE,
        body=lambda f: {"participant_id": f.spare},
        changes_standing=True,
    ),
    Route(
        "POST",
        "{plan}/close",
        Action.MANAGE,
        body=lambda f: {"ended_on": "2026-11-01"},
        changes_standing=True,
    ),
    Route("POST", "{plan}/reopen", Action.REOPEN, body=lambda f: {}, changes_standing=True),
    # The plan's details (decision 0051); a fresh plan after, so it changes something.
    Route("PATCH", "{plan}", Action.MANAGE, body=lambda f: {"level": 2}, changes_standing=True),
    # The baton offered and answered (decision 0052).
    Route(
        "POST",
        "{plan}/coordinator/offer",
        Action.MANAGE,
        body=lambda f: {"participant_id": f.spare},
        changes_standing=True,
    ),
    Route(
        "POST",
        "{plan}/coordinator/offer/acceptance",
        Action.ANSWER_BATON_OFFER,
        offered=True,
        changes_standing=True,
    ),
    Route(
        "DELETE",
        "{plan}/coordinator/offer",
        Action.ANSWER_BATON_OFFER,
        offered=True,
        changes_standing=True,
        otherwise=Action.MANAGE,
    ),
)


class Matrix:
    def __init__(self, web: Web) -> None:
        self.web = web
        # Every identity logs in from one address, and those removed log in again for each
        # new plan (a removal ends their sessions): the limits on login steps per address
        # and on codes per person are test_login's subject, not this.
        web.accounts.attempts_per_minute = 10_000
        web.accounts.codes.sends_per_15_min = web.accounts.codes.sends_per_day = 10_000
        self.sessions: dict[str, str] = {}
        self.csrf: dict[str, dict[str, str]] = {}  # CSRF tokens are bound to their session
        self.acting = "anonymous"
        self.persons: dict[str, str] = {}
        for identity in IDENTITIES:
            if identity.name == "anonymous":
                continue
            person = self.web.create_user(
                identity.name,
                coordinator=identity.name == "kari",
                auditor=identity.name == "aud",
                org_admin=identity.name == "olga",
            )
            self.persons[identity.name] = str(person)
        for identity in IDENTITIES:
            if identity.name != "anonymous":
                self.log_in(identity.name)
        self.act_as("kari")
        other = self.send("POST", PLANS, self._plan_body("Annen plan", owner="olga"))
        self.send(
            "POST",
            f"{PLANS}/{other.json()['id']}/participants",
            {
                "person": {"person_id": self.persons["ute"]},
                "role": "provider",
                "rights": ALL | {"print": True, "edit_person": False},
            },
        )

    def log_in(self, name: str) -> None:
        """A session of `name` of its own, kept for `act_as`."""
        self.web.client.cookies.delete("__Host-sid")  # a login ends the session it sees
        self.web.login(name)
        self.sessions[name] = self.web.client.cookies["__Host-sid"]
        self.csrf[name] = self.web.csrf_headers()

    def act_as(self, name: str) -> None:
        self.acting = name
        self.web.client.cookies.delete("__Host-sid")
        if name != "anonymous":
            self.web.client.cookies.set("__Host-sid", self.sessions[name], domain="stafett.test")

    def send(
        self, method: str, url: str, body: dict[str, Any] | None = None, *, image: bool = False
    ) -> httpx.Response:
        headers = self.csrf.get(self.acting, {}) if method != "GET" else {}
        if image:
            headers = headers | {"content-type": "image/png"}
            return self.web.client.request(method, url, content=PHOTO, headers=headers)
        return self.web.client.request(method, url, json=body, headers=headers)

    def offer_baton(self, fixture: Fixture, name: str) -> None:
        """The coordinator offers the baton to `name` when they are a provider in the
        plan, else to the spare, ending any offer made before; refused where the plan's
        state refuses it (closed, or `name` removed): the cell is then checked without one."""
        acting = self.acting
        self.act_as("kari")
        self.send("DELETE", f"{fixture.plan_id}/coordinator/offer")
        to = fixture.ids.get(name, fixture.spare)
        self.send("POST", f"{fixture.plan_id}/coordinator/offer", {"participant_id": to})
        self.act_as(acting)

    def _plan_body(self, name: str, *, owner: str) -> dict[str, Any]:
        return {
            "type": "SL",
            "short_name": name,
            "start_date": "2026-03-02",
            "owner": {"person_id": self.persons[owner]},
            "consent": {
                "given_by": "Mor og far",
                "given_on": "2026-03-01",
                "expires_on": "2026-09-30",
                "scope": "Full deling",
            },
        }

    def fresh(self, state: str) -> Fixture:
        """A new plan in `state`, made through the API by its coordinator.

        An expired consent is made the way it happens: the plan is made the day
        before, under a consent that runs out that day (a renewal that has already
        run out is refused).
        """
        lapsing = state == "expired consent"
        if lapsing:
            self.web.clock.advance(-timedelta(days=1))
        try:
            return self._fresh(state)
        finally:
            if lapsing:
                self.web.clock.advance(timedelta(days=1))

    def _fresh(self, state: str) -> Fixture:
        self.act_as("kari")
        created = self.send("POST", PLANS, self._plan_body("Matrise-plan", owner="ola"))
        assert created.status_code == 201, created.text
        plan = f"{PLANS}/{created.json()['id']}"
        ids: dict[str, str] = {}
        for identity in IDENTITIES:
            if identity.standing in (Standing.RELATIVE, Standing.PROVIDER):
                assert identity.rights is not None
                level = {s.value: identity.rights.level(s).value for s in Section}
                added = self.send(
                    "POST",
                    f"{plan}/participants",
                    {
                        "person": {"person_id": self.persons[identity.name]},
                        "role": identity.standing.value,
                        "rights": level
                        | {
                            "print": identity.rights.print,
                            "edit_person": identity.rights.edit_person,
                        },
                    },
                )
                assert added.status_code == 201, added.text
                ids[identity.name] = added.json()["participant_id"]
        spare = self.send(
            "POST",
            f"{plan}/participants",
            {
                "person": {"first_name": "Reserve", "last_name": "Deltaker", "mobile": "90000009"},
                "role": "provider",
                "rights": ALL | {"print": True, "edit_person": False},
            },
        ).json()["participant_id"]
        photo = self.send("PUT", f"{plan}/participants/{spare}/photo", image=True)
        assert photo.status_code == 200, photo.text  # for the routes that read it
        goal = self.send("POST", f"{plan}/goals", {"title": "Hemmelig mål"}).json()["goal_id"]
        activity = self.send(
            "POST", f"{plan}/activities", {"title": "Tiltak", "responsible_participant_id": spare}
        ).json()["activity_id"]
        sent = self.send(
            "POST", f"{plan}/messages", {"to": "all", "subject": "Om", "body": "Fortrolig melding"}
        )
        assert sent.status_code == 201, sent.text
        if state == "expired consent":  # renewed with a consent that runs out today (03-01)
            lapsed = {"given_by": "Mor", "given_on": "2026-01-01", "expires_on": "2026-03-01"}
            renewed = self.send("PUT", f"{plan}/consent", lapsed | {"scope": "Alt"})
            assert renewed.status_code == 200, renewed.text
        elif state == "consent reset":
            assert self.send("DELETE", f"{plan}/consent").status_code == 200
        elif state == "participant removed":
            for identity in IDENTITIES:
                if identity.removable:
                    removed = self.send("DELETE", f"{plan}/participants/{ids[identity.name]}")
                    assert removed.status_code == 200, removed.text
            # A removal logs the person out everywhere (SEC-SES-07): they log in again,
            # and their new session must not reach the plan either.
            for identity in IDENTITIES:
                if identity.removable:
                    self.log_in(identity.name)
            self.act_as("kari")
        elif state == "closed":
            closed = self.send("POST", f"{plan}/close", {"ended_on": "2026-03-02"})
            assert closed.status_code == 200, closed.text
        sealed = self.send("POST", f"{plan}/archives")
        assert sealed.status_code == 201, sealed.text
        return Fixture(
            plan_id=plan,
            spare=spare,
            goal=goal,
            activity=activity,
            archive=sealed.json()["archive_id"],
            ids=ids,
        )


def expected(identity: Identity, route: Route, state: str) -> int | None:
    """The status the policy table gives; None for an allowed request (any 2xx)."""
    if identity.name == "anonymous":
        return 401
    standing = identity.standing
    if state == "participant removed" and identity.removable:
        standing = Standing.OUTSIDER
    action = route.action
    if route.otherwise is not None and rule_for(action, standing) is None:
        action = route.otherwise
    access = None
    if identity.rights is not None:
        access = access_for(action, identity.rights, route.section)
    decision = decide(
        action,
        standing,
        consent_valid=state in ("valid consent", "participant removed", "closed"),
        plan_open=state != "closed",
        access=access,
    )
    return None if decision.denial is None else DENIAL_STATUS[decision.denial]


ACCOUNT_ROUTES = ("plan list", "reports", "directory", "audit search")
# The account roles each identity is created with (Matrix.__init__).
ACCOUNT_ROLES = {"kari": ("coordinator",), "olga": ("org_admin",), "aud": ("auditor",)}


def check_account_routes(
    matrix: Matrix, identity: Identity, state: str, fixture: Fixture | None, mismatches: list[str]
) -> int:
    """Routes outside one plan: the list shows the plan exactly when `open` is allowed."""
    if fixture is None:
        fixture = matrix.fresh(state)
    matrix.act_as(identity.name)
    where = f"{state} · {identity.name}"
    listed = matrix.send("GET", PLANS + "?include_closed=true")
    reports = matrix.send("GET", "/api/v1/reports")
    directory = matrix.send("GET", "/api/v1/persons?name=Ola")
    searched = matrix.send("GET", "/api/v1/audit/plans?first_name=Ola")
    answers = (listed, reports, directory, searched)
    if identity.name == "anonymous":
        for name, answer in zip(ACCOUNT_ROUTES, answers, strict=True):
            if answer.status_code != 401:
                mismatches.append(f"{where} · {name}: expected 401, got {answer.status_code}")
        return len(ACCOUNT_ROUTES)
    plan_id = fixture.plan_id.rsplit("/", 1)[1]
    opens = expected(identity, Route("GET", "{plan}", Action.OPEN), state) is None
    shown = listed.status_code == 200 and plan_id in {row["id"] for row in listed.json()}
    if listed.status_code != 200 or shown != opens:
        mismatches.append(f"{where} · plan list: expected shown={opens}, got {listed.text}")
    roles = ACCOUNT_ROLES.get(identity.name, ())
    for name, answer, action in (
        ("reports", reports, AccountAction.READ_REPORTS),
        ("directory", directory, AccountAction.SEARCH_DIRECTORY),
        ("audit search", searched, AccountAction.SEARCH_PLANS),
    ):
        want = 200 if account_may(action, roles) else 403
        if answer.status_code != want:
            mismatches.append(f"{where} · {name}: expected {want}, got {answer.status_code}")
        if want == 403 and "Ola" in answer.text:
            mismatches.append(f"{where} · {name}: a refusal names a person: {answer.text}")
    if searched.status_code == 200:  # the auditor finds it (unless more plans match than fit)
        found = searched.json()
        if plan_id not in {p["id"] for p in found["plans"]} and not found["more"]:
            mismatches.append(f"{where} · audit search: the plan is not found: {searched.text}")
    return len(ACCOUNT_ROUTES)


@pytest.mark.parametrize("state", STATES)
def test_every_identity_route_and_state_answers_as_the_policy_table_says(
    web: Web, state: str
) -> None:
    """One plan state per test (each on both stores), so that parallel workers share them."""
    matrix = Matrix(web)
    mismatches: list[str] = []
    leaks: list[str] = []
    unlogged: list[str] = []
    cells = 0
    for identity in IDENTITIES:
        fixture: Fixture | None = None
        for route in ROUTES:
            if fixture is None:
                fixture = matrix.fresh(state)
            url = route.path.format(
                archive=fixture.archive,
                plan=fixture.plan_id,
                spare=fixture.spare,
                goal=fixture.goal,
                activity=fixture.activity,
                now=quote(web.clock.now.isoformat()),
            )
            if route.offered:
                provider = identity.standing is Standing.PROVIDER
                matrix.offer_baton(fixture, identity.name if provider else "")
            matrix.act_as(identity.name)
            body = route.body(fixture) if route.body else None
            with capture_logs() as logs:
                answer = matrix.send(route.method, url, body, image=route.image)
            cells += 1
            want = expected(identity, route, state)
            got = answer.status_code
            where = f"{state} · {identity.name} · {route.method} {route.path}"
            if (want is None and not 200 <= got < 300) or (want is not None and got != want):
                mismatches.append(f"{where}: expected {want or '2xx'}, got {got} {answer.text}")
            if got >= 400:
                if any(marker in answer.text for marker in SECRET_MARKERS):
                    leaks.append(f"{where}: {answer.text}")
                if got in (403, 404) and not any(entry["event"] == "authz_fail" for entry in logs):
                    unlogged.append(where)
            elif route.changes_standing:
                fixture = None  # the next route starts from a fresh plan
        cells += check_account_routes(matrix, identity, state, fixture, mismatches)
    structlog.get_logger(__name__).info("authz_matrix", cells=cells)
    assert cells == len(IDENTITIES) * (len(ROUTES) + len(ACCOUNT_ROUTES))
    assert mismatches == [], f"{len(mismatches)} of {cells} cells:\n" + "\n".join(mismatches)
    assert leaks == []
    assert unlogged == []
