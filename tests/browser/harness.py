"""The browser harness: a live Stafett, what every page must hold to, and how people log in.

- `live_server(directory)`: the real app, built as `stafett serve` builds it
  (`bootstrap.services`, which runs the plan-list projection in this process on
  SQLite, and `bootstrap.build_web`), served by uvicorn in a thread on a free
  127.0.0.1 port, on a SQLite file and an outbox folder under `directory`. Its
  `LiveServer` makes users and plans straight through the application services
  (setup is not what these tests test) and reads codes and links from the outbox.
- `Watch`: everything a page said that it must not — Content Security Policy
  violations, uncaught script errors, dialogs, calls to the XSS canary (see
  `tests/browser/xss.py`); `Watch.check()` fails with the list.
- `axe(page)`: axe-core (WCAG 2.1 AA tags) on the page as it is; 0 serious or
  critical violations, else a readable failure.
- `screenshot(page, name)`: full-page PNGs at 360 and 1280 px under var/screenshots/.
- `tab_to(page, selector)`: the keyboard alone, checking that focus always shows.
- `log_in(page, live, user)`: the login pages, as a person uses them; `sign_in` the
  same session straight from the account service, for tests of other pages.

Cookies: the session cookie is `__Host-sid`, which browsers keep only when set
`Secure`. Chromium counts http://127.0.0.1 (like http://localhost) as a
potentially trustworthy origin and keeps and sends Secure cookies there, so the
server needs no TLS and the cookies keep their production attributes;
`test_login_pages.py` checks the cookie's attributes after a login.
"""

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import count
from pathlib import Path
from typing import Any
from uuid import UUID

import uvicorn
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Dialog, Error, Page, expect

from stafett.aggregates.person import PersonDetails
from stafett.aggregates.values import (
    CommentTarget,
    Consent,
    GoalStatus,
    PlanType,
    Rights,
    local_date,
)
from stafett.applications.accounts import OtpChannel, Stage
from stafett.applications.commands import (
    AddActivity,
    AddCalendarEntry,
    AddParticipant,
    EvaluateGoal,
    PlanCommand,
    PostComment,
    RecordMinutes,
    SendMessage,
    SetGoal,
)
from stafett.applications.lockout import Client
from stafett.applications.parts import CommentOn, ConsentIn, CreatePlan, PersonIn, RightsIn
from stafett.bootstrap import Services, build_web, services
from stafett.projections.plan_list import APPLICATION_NAME
from stafett.settings import Secrets, Settings
from stafett.web.auth import SESSION_COOKIE
from tests.browser.journal import Journal, JournalApp
from tests.leakcheck import remember

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
SECRETS = Secrets(secret_key="b" * 40, password_pepper=b"p" * 40, code_key=b"c" * 40)
PASSWORD = "blå fjorder og grå måker"
remember(PASSWORD)
WAIT_SECONDS = 10.0
_numbers = count(1)


# ---------------------------------------------------------------- the live server


@dataclass(frozen=True)
class User:
    username: str
    password: str
    person_id: UUID
    email: str
    mobile: str
    channel: OtpChannel

    @property
    def address(self) -> str:
        """Where this person's one-time codes go."""
        return self.mobile if self.channel is OtpChannel.SMS else self.email


@dataclass
class LiveServer:
    base_url: str
    outbox: Path
    built: Services
    journal: Journal = field(default_factory=Journal)
    users: dict[str, User] = field(default_factory=dict)

    # ------------------------------------------------------------ people and plans

    def new_user(
        self,
        prefix: str = "bruker",
        *,
        first_name: str = "",
        last_name: str = "Testesen",
        password: str = PASSWORD,
        channel: OtpChannel = OtpChannel.EMAIL,
        coordinator: bool = False,
        org_admin: bool = False,
        auditor: bool = False,
        mobile_confirmed: bool = True,
    ) -> User:
        """A person with an account, under a username no other test uses."""
        number = next(_numbers)
        username = f"{prefix}{number}"
        email, mobile = f"{username}@example.no", f"+479{number:07d}"
        remember(password)
        person_id = self.built.accounts.create_account(
            username=username,
            password=password,
            details=PersonDetails(
                first_name=first_name or prefix.capitalize(),
                last_name=last_name,
                email=email,
                mobile=mobile,
            ),
            otp_channel=channel,
            is_coordinator=coordinator,
            is_org_admin=org_admin,
            is_auditor=auditor,
            mobile_confirmed=mobile_confirmed,
            email_codes_with_mobile=True,  # e-mail codes beside a number, as before 0045
        )
        user = User(username, password, person_id, email, mobile, channel)
        self.users[username] = user
        return user

    def create_plan(
        self,
        coordinator: User,
        *,
        short_name: str = "Ola – trivsel og lesing",
        owner_first: str = "Ola",
        owner_last: str = "Nordmann",
        plan_type: PlanType = PlanType.RELAY_LOG,
        consent_days: int = 210,
        level: int | None = None,
        review_on: date | None = None,
    ) -> UUID:
        """A plan with a new owner, made by `coordinator` through the plan application."""
        plans = self.built.plans
        today = local_date(plans.clock())
        created = plans.create_plan(
            CreatePlan(
                type=plan_type,
                short_name=short_name,
                start_date=today,
                owner=PersonIn.of(
                    PersonDetails(
                        first_name=owner_first,
                        last_name=owner_last,
                        birth_date=today.replace(year=today.year - 10),
                    )
                ),
                consent=ConsentIn.of(
                    Consent(
                        given_by="Anne Nordmann (mor)",
                        given_on=today,
                        expires_on=today + timedelta(days=consent_days),
                        scope="Full deling i plangruppen",
                    )
                ),
                level=level,
                review_on=review_on,
            ),
            by=coordinator.person_id,
        )
        return created.plan_id

    def add_participant(
        self,
        plan_id: UUID,
        who: User,
        *,
        by: User,
        role: str = "relative",
        rights: Rights | None = None,
        responsibility: str = "",
    ) -> UUID:
        """`who` joins the plan; the participant id."""
        added = self.built.plans.handle(
            plan_id,
            AddParticipant(
                person=PersonIn.of(who.person_id),
                role=role,  # type: ignore[arg-type]
                responsibility=responsibility,
                rights=RightsIn.of(rights) if rights is not None else None,
            ),
            by=by.person_id,
        )
        assert added.created_id is not None
        return added.created_id

    def furnish_plan(self, plan_id: UUID, by: User) -> dict[str, UUID]:
        """What a plan holds after a few weeks, as the demo plan: a goal with an
        evaluation and a comment, an activity, minutes, a message and a meeting."""
        plans = self.built.plans
        today = local_date(plans.clock())
        coordinator = plans.get_plan(plan_id).coordinator_participant_id
        everyone = [p.participant_id for p in plans.get_plan(plan_id).participants]

        def run(command: PlanCommand) -> UUID:
            created = plans.handle(plan_id, command, by=by.person_id).created_id
            assert created is not None
            return created

        goal = run(
            SetGoal(
                title="Ola leser med glede",
                description="Ola leser 15 minutter hver dag, hjemme og på skolen.",
                due_on=today + timedelta(days=120),
            )
        )
        plans.handle(
            plan_id,
            EvaluateGoal(goal_id=goal, status=GoalStatus.ACTIVE, text="God start."),
            by=by.person_id,
        )
        starts = plans.clock() + timedelta(days=7)
        return {
            "goal_id": goal,
            "activity_id": run(
                AddActivity(
                    title="Lesekvarter hver morgen",
                    responsible_participant_id=coordinator,
                    goal_id=goal,
                    due_on=today + timedelta(days=60),
                )
            ),
            "minutes_id": run(
                RecordMinutes(
                    met_on=today,
                    attendee_ids=everyone,
                    notes="Oppstartsmøte. Vi ble enige om felles mål og hvem som gjør hva.",
                    decisions="Neste møte om seks uker.",
                )
            ),
            "comment_id": run(
                PostComment(
                    on=CommentOn(kind=CommentTarget.GOAL, id=goal),
                    text="Vi leser sammen hver kveld også.",
                )
            ),
            "message_id": run(
                SendMessage(to="all", subject="Neste møte", body="Passer torsdag kl. 14?")
            ),
            "entry_id": run(
                AddCalendarEntry(
                    title="Møte i plangruppen",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=1),
                    location="Solbakken skole, møterom 2",
                )
            ),
        }

    def settle(self) -> None:
        """Wait until the plan list has projected every event recorded so far."""
        plans, view = self.built.plans, self.built.plan_list
        assert view is not None
        target = plans.recorder.max_notification_id() or 0
        deadline = time.monotonic() + WAIT_SECONDS
        while (view.max_tracking_id(APPLICATION_NAME) or 0) < target:
            assert time.monotonic() < deadline, "the plan list did not catch up"
            time.sleep(0.02)

    # ------------------------------------------------------------ the outbox

    def inbox(self, user: User, *, address: str | None = None) -> list[dict[str, Any]]:
        """Every message to the user's code address (or `address`), oldest first."""
        to = address or user.address
        messages = (json.loads(p.read_text()) for p in sorted(self.outbox.glob("*.json")))
        return [m for m in messages if m["to"] == to]

    def message(self, user: User, number: int, *, address: str | None = None) -> dict[str, Any]:
        """The `number`-th message (1 is the first) to the user, waiting for it to arrive."""
        deadline = time.monotonic() + WAIT_SECONDS
        while len(found := self.inbox(user, address=address)) < number:
            assert time.monotonic() < deadline, f"no message {number} to {user.username}"
            time.sleep(0.02)
        return found[number - 1]

    def latest_code(self, user: User) -> str:
        """The one-time code in the newest message to the user."""
        messages = self.inbox(user)
        return code_in(messages[-1] if messages else self.message(user, 1))


def code_in(message: dict[str, Any]) -> str:
    found = re.search(r"\b(\d{6})\b", message["body"])
    assert found is not None, "no code in the message"
    remember(found.group(1))
    return found.group(1)


def link_in(message: dict[str, Any]) -> str:
    found = re.search(r"https?://\S+", message["body"])
    assert found is not None, "no link in the message"
    remember(found.group(0).rsplit("/", 1)[-1])
    return found.group(0)


def _free_socket() -> socket.socket:
    """A listening-ready socket on a port the kernel chose: no race for the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def live_server(directory: Path) -> Iterator[LiveServer]:
    """Stafett on http://127.0.0.1:<free port>, its data under `directory`."""
    sock = _free_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        database_url=f"sqlite:///{directory / 'stafett.sqlite'}",
        outbox_dir=directory / "outbox",
        secrets=SECRETS,
        fast_password_hashing=True,  # production argon2 would make each login ~0.5 s
        public_url=base_url,  # the reset link in the e-mail points here
    )
    with services(settings) as built, sock:
        assert built.plan_list_runner is not None, "the plan-list projection must run"
        # Every test logs in from 127.0.0.1, many times a minute; the limit of login
        # steps per address (30) is the e2e tests' subject, not these.
        built.accounts.attempts_per_minute = 10_000
        journal = Journal()
        config = uvicorn.Config(
            JournalApp(build_web(settings, built), journal),
            log_config=None,
            access_log=False,
            server_header=False,
            ws="none",  # no websockets: their import warns, and warnings are errors here
            lifespan="on",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="live-stafett", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live Stafett server did not start")
            time.sleep(0.01)
        try:
            yield LiveServer(base_url, settings.outbox_dir, built, journal)
        finally:
            server.should_exit = True
            thread.join(WAIT_SECONDS)


# ---------------------------------------------------------------- what a page must not do

XSS_MARK = "__xss__"


@dataclass
class Watch:
    """What the pages of one browser context said that they must not."""

    csp: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    xss: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        where = message.location.get("url", "") if message.location else ""
        if "Content Security Policy" in text:
            self.csp.append(f"{text} (at {where})")
        elif text.startswith(XSS_MARK):
            self.xss.append(text)
        elif message.type == "error":
            self.console_errors.append(f"{text} (at {where})")

    def on_error(self, error: Error) -> None:
        self.script_errors.append(f"{error.name}: {error.message}")

    def on_dialog(self, dialog: Dialog) -> None:
        where = dialog.page.url if dialog.page else "?"
        self.dialogs.append(f"{dialog.type}: {dialog.message!r} on {where}")
        dialog.dismiss()

    def on_xss(self, *args: Any) -> None:
        self.xss.append(" ".join(str(a) for a in args))

    def problems(self) -> list[str]:
        return (
            [f"CSP violation: {t}" for t in self.csp]
            + [f"script error: {t}" for t in self.script_errors]
            + [f"dialog opened: {t}" for t in self.dialogs]
            + [f"XSS payload ran: {t}" for t in self.xss]
        )

    def check(self) -> None:
        """Fail with everything the pages did that they must not."""
        problems = self.problems()
        assert not problems, "the pages misbehaved:\n  " + "\n  ".join(problems)

    def loading_errors(self) -> list[str]:
        """Console errors other than the browser's note on an error status of a page."""
        return [e for e in self.console_errors if "Failed to load resource" not in e]


def flush(page: Page) -> None:
    """Let every console message and binding call the page sent so far arrive here."""
    if not page.is_closed():
        page.evaluate("0")


# ---------------------------------------------------------------- axe-core

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = frozenset({"serious", "critical"})
_AXE = Axe()


def axe(page: Page, *, what: str = "") -> list[dict[str, Any]]:
    """axe-core (WCAG 2.1 AA) on the page as it is now: no serious or critical violation.

    Answers the milder violations, for whoever wants to look at them.
    """
    options = {
        "runOnly": {"type": "tag", "values": WCAG_21_AA},
        "resultTypes": ["violations"],
    }
    violations: list[dict[str, Any]] = _AXE.run(page, options=options).response["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    assert not blocking, f"axe on {what or page.url}:\n" + describe_violations(blocking)
    return [v for v in violations if v.get("impact") not in BLOCKING]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:5]:
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    at {target}: {node.get('html', '')[:160]}")
            summary = node.get("failureSummary", "").replace("\n", "\n      ")
            lines.append(f"      {summary}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


# ---------------------------------------------------------------- screenshots

WIDTHS = (360, 1280)
_TAKEN: set[str] = set()  # the names this process has written


_EMPTY_STYLES_OUT = """() => document.querySelectorAll('[style=""]')
  .forEach(e => e.removeAttribute('style'))"""


def screenshot(page: Page, name: str) -> list[Path]:
    """Full-page PNGs of the page at 360 and 1280 px: var/screenshots/<name>-<width>.png.

    Each name is one test's own: parallel workers write into the same folder, so two
    tests sharing a name would overwrite each other's pictures.
    """
    assert name not in _TAKEN, f"the screenshot name {name!r} is used twice"
    _TAKEN.add(name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 1280, "height": 800}
    paths = []
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            path = SCREENSHOTS / f"{name}-{width}.png"
            page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
            paths.append(path)
    finally:
        page.set_viewport_size(size)
        # Hiding the caret leaves an empty `style` on every field; htmx copies a swapped
        # element's `style` onto its new one, which the CSP (no inline style) refuses.
        page.evaluate(_EMPTY_STYLES_OUT)
    return paths


# ---------------------------------------------------------------- the keyboard

_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const box = el.getBoundingClientRect();
  const rings = (node) => {
    const style = getComputedStyle(node);
    return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
      || style.boxShadow !== "none";
  };
  // Designsystemet rings a checkbox's or radio's whole field (box and label), not the box.
  const field = el.matches("input[type=checkbox], input[type=radio]")
    ? el.closest(".ds-field") : null;
  // A ring (outline or box shadow), or a skip link, which shows itself only when focused.
  const ring = rings(el) || (field !== null && rings(field))
    || (el.classList.contains("ds-skip-link") && box.width > 1 && box.height > 1);
  return {
    id: el.id, tag: el.localName, text: (el.innerText || el.value || "").trim().slice(0, 40),
    cls: el.className, visible: box.width > 1 && box.height > 1, ring: ring,
    // A date field's focus may sit on its calendar button, inside the field (shadow DOM):
    // the field then matches :focus-within only, so its ring must come from that.
    focusVisible: el.matches(":focus-visible")
      || el.matches(":is([type=date], [type=time], [type=datetime-local]):focus-within"),
  };
}"""


def tab_to(page: Page, selector: str, *, limit: int = 25) -> list[dict[str, object]]:
    """Press Tab until `selector` has the focus; every element the focus passed, in order.

    Each must be visible and show where the focus is (an outline or a ring).
    """
    passed: list[dict[str, object]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUS)
        assert focused is not None, f"the focus left the page before reaching {selector}"
        passed.append(focused)
        assert focused["visible"], f"focus on an invisible element: {focused}"
        assert focused["focusVisible"], f"focus not shown: {focused}"
        assert focused["ring"], f"focus not shown: {focused}"
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return passed
    raise AssertionError(f"{selector} not reached by Tab: {passed}")


# ---------------------------------------------------------------- logging in


def submit_password(page: Page, user: User, password: str | None = None) -> None:
    """The first login page, filled in and sent."""
    page.goto("/login")
    page.locator("#f-username").fill(user.username)
    page.locator("#f-password").fill(user.password if password is None else password)
    page.locator("form[action='/login'] button[type=submit]").click()


def submit_code(page: Page, code: str) -> None:
    page.locator("#f-code").fill(code)
    page.locator("form[action='/login/code'] button[type=submit]").click()


_sessions: dict[tuple[Path, str], str] = {}  # (the server's outbox, username) → session


def sign_in(page: Page, live: LiveServer, user: User, *, land: bool = True) -> None:
    """Setup, not a test of logging in: a full session from the account service (password,
    the code from the outbox, the terms), put in the page's cookie jar as the server
    would set it. Four page loads fewer than `log_in`, for tests about other pages.

    A person signed in before on the same server gets their session back while it
    lasts (as a browser keeps its cookie): a code for every page visited would soon
    meet the limit of codes an account is sent per hour. With `land`, the browser then
    opens the address people type and lands on the plan list."""
    key = (live.outbox, user.username)
    token = _sessions.get(key)
    if token is None or live.built.accounts.authenticate(token) is None:
        token = _sessions[key] = _new_session(live, user)
    page.context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "value": token,
                "domain": "127.0.0.1",  # host-only, as __Host- demands
                "path": "/",
                "secure": True,
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    if land:
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/plans$"))


def _new_session(live: LiveServer, user: User) -> str:
    accounts = live.built.accounts
    client = Client(address="127.0.0.1")
    before = len(live.inbox(user))
    step = accounts.begin_login(user.username, user.password, client)
    step = accounts.verify_code(step.token, code_in(live.message(user, before + 1)), client)
    if step.next is Stage.TERMS:
        accepted = accounts.answer_terms(step.token, accept=True)
        assert accepted is not None
        step = accepted
    assert step.next is Stage.DONE, step.next
    remember(step.token)
    return step.token


def log_in(page: Page, live: LiveServer, user: User, *, lands_on: str = "/plans") -> None:
    """Password, the newest code from the outbox, the terms when asked: logged in."""
    before = len(live.inbox(user))
    submit_password(page, user)
    expect(page).to_have_url(re.compile(r"/login/code"))
    submit_code(page, code_in(live.message(user, before + 1)))
    page.wait_for_load_state()
    if "/login/terms" in page.url:
        page.locator("button[name=answer][value=yes]").click()
    expect(page).to_have_url(re.compile(re.escape(lands_on) + r"(\?|$)"))
    for cookie in page.context.cookies():
        if cookie["name"].startswith("__Host-"):
            remember(cookie["value"])
