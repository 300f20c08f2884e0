"""Every page, as the person who may see it, held to the same bars.

Each `Visit` is opened in a fresh browser context by the person `who` names
(see `ARRIVALS`; a logged-in person's session is put in the context, and the
visit is its first page), then: the answer's status, the CSP header, `lang` on <html>,
a title and one <h1>, axe-core with 0 serious or critical WCAG 2.1 AA
violations, no console errors beyond the status note, and full-page
screenshots at 360 and 1280 px (var/screenshots/<name>-<width>.png). The page
fixture fails the test on any CSP violation, script error or dialog.

Adding a page is one line in `PAGES`. The path may name what its arrival made,
e.g. `Visit("plan", "/plans/{plan_id}", who="coordinator")`. A page only a form
leads to (the authenticator set-up answers a POST) has an empty path: its arrival
sends the form and gives the answer as `answer`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from playwright.sync_api import Page

from stafett.aggregates.values import Access, CommentTarget, Rights, local_date
from stafett.applications.accounts import OtpChannel
from stafett.applications.commands import OfferBaton, PostComment, SendMessage, SetGoal
from stafett.applications.parts import CommentOn
from stafett.applications.photos import PersonPhotos
from tests.browser.harness import (
    LiveServer,
    User,
    Watch,
    axe,
    code_in,
    flush,
    link_in,
    screenshot,
    sign_in,
    submit_code,
    submit_password,
)
from tests.images import portrait_jpeg
from tests.leakcheck import remember


@dataclass(frozen=True)
class Visit:
    name: str  # the screenshots' name
    path: str  # with {names} from what the arrival made
    who: str = "nobody"  # a key of ARRIVALS
    status: int = 200


NO_PLAN = "00000000-0000-4000-8000-000000000000"
PARTICIPANTS = "/plans/{plan_id}/participants"
PAGES = [
    Visit("login", "/login"),
    Visit("login-code", "/login/code?via=email", who="password_given"),
    Visit("login-code-sms", "/login/code?via=sms", who="password_given"),
    Visit("login-code-held", "/login/code?via=sms&held=1", who="number_unconfirmed"),
    Visit("confirm-number", "/confirm-number", who="email_link_used"),
    Visit("login-terms", "/login/terms", who="terms_due"),
    Visit("password-reset", "/password-reset"),
    Visit("reset-new-password", "/reset/{reset_token}", who="reset_link"),
    Visit("reset-link-spent", "/reset/" + "x" * 43, status=410),
    Visit("plans", "/plans", who="coordinator"),
    Visit("plans-new", "/plans/new", who="coordinator"),
    Visit("plan-home", "/plans/{plan_id}", who="coordinator"),
    Visit("plan-plan", "/plans/{plan_id}/plan", who="coordinator"),
    Visit("plan-plan-many-messages", "/plans/{plan_id}/plan#messages", who="many_messages"),
    Visit(
        "plan-plan-many-comments",
        "/plans/{plan_id}/plan#comment-goal-{goal_id}-list",
        who="many_comments",
    ),
    Visit("plan-history", "/plans/{plan_id}/history", who="coordinator"),
    Visit("plan-access-log", "/plans/{plan_id}/access-log", who="coordinator"),
    Visit("participants", PARTICIPANTS, who="coordinator"),
    Visit("participant-own", PARTICIPANTS + "/{own_pid}", who="coordinator"),
    Visit("participant-other", PARTICIPANTS + "/{other_pid}", who="coordinator"),
    Visit("participant-add", PARTICIPANTS + "/new?name=Nordmann", who="coordinator"),
    Visit("participant-add-new", PARTICIPANTS + "/new?how=new", who="coordinator"),
    Visit("participant-remove", PARTICIPANTS + "/{other_pid}/removal", who="coordinator"),
    Visit("manage", "/plans/{plan_id}/manage", who="coordinator"),
    Visit("manage-details-refused", "", who="details_refused", status=422),
    # The baton offered (decision 0052): the coordinator's card and the offered one's home.
    Visit("manage-baton-offered", "/plans/{plan_id}/manage", who="baton_offering"),
    Visit("plan-home-baton-offered", "/plans/{plan_id}", who="baton_offered"),
    Visit("step-up", "/step-up?next=/plans/{plan_id}/manage", who="coordinator"),
    Visit("plans-parent", "/plans", who="parent"),
    Visit("plan-home-parent", "/plans/{plan_id}", who="parent"),
    Visit("plan-plan-parent", "/plans/{plan_id}/plan", who="parent"),
    Visit("participants-parent", PARTICIPANTS, who="parent"),
    Visit("participant-own-parent", PARTICIPANTS + "/{own_pid}", who="parent"),
    Visit("participant-other-parent", PARTICIPANTS + "/{other_pid}", who="parent"),
    Visit("plan-access-log-parent", "/plans/{plan_id}/access-log", who="parent"),
    Visit("withdraw-consent-parent", "/plans/{plan_id}/consent/withdrawal", who="parent"),
    Visit("reports", "/reports", who="org_admin"),
    Visit("plans-auditor-search", "/plans?search=all&last_name=Nordmann", who="auditor"),
    Visit("plan-history-auditor", "/plans/{plan_id}/history?on={today}", who="auditor"),
    Visit(
        "plan-history-as-participant",
        "/plans/{plan_id}/history?on={today}&participant={other_pid}",
        who="auditor",
    ),
    Visit("profile", "/profile", who="coordinator"),
    Visit("profile-parent", "/profile", who="parent"),
    Visit("profile-number-unconfirmed", "/profile", who="number_not_confirmed"),
    Visit("profile-sms", "/profile", who="sms_codes"),
    Visit("profile-authenticator", "", who="authenticator_started"),
    Visit("step-up-parent", "/step-up?next=/plans/{plan_id}/plan", who="parent"),
    Visit("admin", "/admin", who="org_admin"),
    Visit("admin-new-user", "/admin/users/new", who="org_admin"),
    Visit("help", "/help"),
    Visit("help-logged-in", "/help", who="parent"),
    Visit("no-such-plan", "/plans/" + NO_PLAN, who="coordinator", status=404),
    Visit("no-such-page", "/no-such-page", status=404),
]

Arrival = Callable[[Page, LiveServer], dict[str, Any]]


def nobody(page: Page, live: LiveServer) -> dict[str, Any]:
    return {}


def password_given(page: Page, live: LiveServer) -> dict[str, str]:
    """Half-way through a login: the password is accepted, a code was sent."""
    submit_password(page, live.new_user("kode"))
    page.wait_for_url("**/login/code*")
    return {}


def terms_due(page: Page, live: LiveServer) -> dict[str, str]:
    """A first login: password and code given, the terms not answered yet."""
    user = live.new_user("vilkaar")
    submit_password(page, user)
    submit_code(page, code_in(live.message(user, 1)))
    page.wait_for_url("**/login/terms*")
    return {}


def reset_link(page: Page, live: LiveServer) -> dict[str, str]:
    """A password-reset link from the e-mail (codes go by SMS, so a link may be sent)."""
    user = live.new_user("glemsk", channel=OtpChannel.SMS)
    live.built.accounts.request_reset(user.username)
    link = link_in(live.message(user, 1, address=user.email))
    return {"reset_token": link.rsplit("/", 1)[-1]}


@dataclass(frozen=True)
class PlanGroup:
    kari: User  # the coordinator
    anne: User  # a parent
    plan_id: UUID
    kari_pid: UUID  # their participant ids
    anne_pid: UUID


_groups: dict[Path, PlanGroup] = {}  # by the live server's outbox: one group per server


def _plan_group(live: LiveServer) -> PlanGroup:
    """A coordinator and a parent who may not read goals, in a plan of a few weeks: made
    once per live server, as the pages only read it (each visit logs in anew)."""
    group = _groups.get(live.outbox)
    if group is None:
        group = _groups[live.outbox] = _new_plan_group(live)
    return group


def _new_plan_group(live: LiveServer) -> PlanGroup:
    kari = live.new_user("koordinator", first_name="Kari", coordinator=True)
    anne = live.new_user("forelder", first_name="Anne", last_name="Nordmann")
    today = local_date(live.built.plans.clock())
    plan_id = live.create_plan(kari, level=2, review_on=today + timedelta(days=90))
    anne_pid = live.add_participant(
        plan_id, anne, by=kari, rights=Rights(goals=Access.NONE), responsibility="Mor"
    )
    live.furnish_plan(plan_id, kari)
    PersonPhotos(live.built.plans).replace_own(anne.person_id, portrait_jpeg())  # shown too
    live.settle()
    kari_pid = live.built.plans.get_plan(plan_id).coordinator_participant_id
    return PlanGroup(kari, anne, plan_id, kari_pid, anne_pid)


def coordinator(page: Page, live: LiveServer) -> dict[str, str]:
    """The plan's coordinator, logged in."""
    group = _plan_group(live)
    sign_in(page, live, group.kari, land=False)
    own, other = group.kari_pid, group.anne_pid
    return {"plan_id": str(group.plan_id), "own_pid": str(own), "other_pid": str(other)}


def number_unconfirmed(page: Page, live: LiveServer) -> dict[str, str]:
    """The password accepted, but the codes go by SMS to a number not confirmed: held."""
    submit_password(
        page, live.new_user("ubekreftet", channel=OtpChannel.SMS, mobile_confirmed=False)
    )
    page.wait_for_url("**/login/code*held=1*")
    return {}


def email_link_used(page: Page, live: LiveServer) -> dict[str, str]:
    """A password chosen with a link from the e-mail; the codes go by SMS to a number not
    confirmed, so a code went to it and the page asks for it (decision 0025)."""
    user = live.new_user("lenke", channel=OtpChannel.SMS, mobile_confirmed=False)
    live.built.accounts.request_reset(user.username)
    page.goto(link_in(live.message(user, 1, address=user.email)))
    password = user.password + " nytt"
    remember(password)
    page.locator("#f-new_password").fill(password)
    page.locator("#f-new_password_again").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/confirm-number")
    return {}


def number_not_confirmed(page: Page, live: LiveServer) -> dict[str, str]:
    """Logged in with e-mail codes; the mobile number (entered by someone else) not confirmed."""
    user = live.new_user("nyttnummer", mobile_confirmed=False)
    sign_in(page, live, user, land=False)
    return {}


def sms_codes(page: Page, live: LiveServer) -> dict[str, str]:
    """Logged in with codes by SMS to a confirmed number (no e-mail codes offered)."""
    user = live.new_user("smsbruker", channel=OtpChannel.SMS)
    sign_in(page, live, user, land=False)
    return {}


def parent(page: Page, live: LiveServer) -> dict[str, str]:
    """A parent in the plan whose goal right is `none`, logged in."""
    group = _plan_group(live)
    sign_in(page, live, group.anne, land=False)
    own, other = group.anne_pid, group.kari_pid
    return {"plan_id": str(group.plan_id), "own_pid": str(own), "other_pid": str(other)}


def authenticator_started(page: Page, live: LiveServer) -> dict[str, Any]:
    """Logged in, the password given on My profile to set up an authenticator app: the
    page with the QR code (the answer to that form)."""
    user = live.new_user("appbruker")
    sign_in(page, live, user, land=False)
    page.goto("/profile")
    page.locator("#f-app_password").fill(user.password)
    with page.expect_navigation() as navigation:
        page.locator("form[action='/profile/authenticator'] button[type=submit]").click()
    assert page.url.endswith("/profile/authenticator")
    return {"answer": navigation.value}


def details_refused(page: Page, live: LiveServer) -> dict[str, Any]:
    """The coordinator's plan details form sent with a review date before the plan
    starts: the manage page again, the form as typed and the message at its field."""
    group = _plan_group(live)
    sign_in(page, live, group.kari, land=False)
    page.goto(f"/plans/{group.plan_id}/manage")
    start = live.built.plans.get_plan(group.plan_id).start_date
    form = page.locator(f"form[action='/plans/{group.plan_id}/manage/details']")
    form.locator("#f-review_on").fill((start - timedelta(days=1)).isoformat())
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit]").click()
    return {"answer": navigation.value}


_offers: dict[Path, tuple[User, User, UUID]] = {}  # by the live server's outbox


def _baton_offer(live: LiveServer) -> tuple[User, User, UUID]:
    """A plan of its own whose coordinator (Kari) offered the baton to a provider (Per)."""
    offer = _offers.get(live.outbox)
    if offer is None:
        kari = live.new_user("stafettholder", first_name="Kari", coordinator=True)
        per = live.new_user("helsesykepleier", first_name="Per", last_name="Helse")
        plan_id = live.create_plan(kari)
        per_pid = live.add_participant(plan_id, per, by=kari, role="provider")
        live.built.plans.handle(plan_id, OfferBaton(participant_id=per_pid), by=kari.person_id)
        live.settle()
        offer = _offers[live.outbox] = (kari, per, plan_id)
    return offer


def baton_offering(page: Page, live: LiveServer) -> dict[str, str]:
    """The coordinator who offered the baton, on the plan whose offer is pending."""
    kari, _, plan_id = _baton_offer(live)
    sign_in(page, live, kari, land=False)
    return {"plan_id": str(plan_id)}


def baton_offered(page: Page, live: LiveServer) -> dict[str, str]:
    """The provider offered the baton, logged in."""
    _, per, plan_id = _baton_offer(live)
    sign_in(page, live, per, land=False)
    return {"plan_id": str(plan_id)}


def org_admin(page: Page, live: LiveServer) -> dict[str, str]:
    """An organisation administrator (reports), logged in."""
    _plan_group(live)
    admin = live.new_user("admin", first_name="Åse", org_admin=True)
    sign_in(page, live, admin, land=False)
    return {}


def auditor(page: Page, live: LiveServer) -> dict[str, str]:
    """An auditor (outside every plan group), logged in; the plan group's plan, the parent
    in it, and today's date (Oslo) to look back from."""
    group = _plan_group(live)
    revisor = live.new_user("revisor", first_name="Rut", last_name="Revisor", auditor=True)
    sign_in(page, live, revisor, land=False)
    today = local_date(live.built.plans.clock()).isoformat()
    return {"plan_id": str(group.plan_id), "other_pid": str(group.anne_pid), "today": today}


def many_messages(page: Page, live: LiveServer) -> dict[str, str]:
    """A coordinator of a plan with more messages than its plan tab shows at first."""
    kari = live.new_user("travel", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari)
    for n in range(1, 26):
        message = SendMessage(to="all", subject=f"Melding {n}", body="Kort beskjed.")
        live.built.plans.handle(plan_id, message, by=kari.person_id)
    live.settle()
    sign_in(page, live, kari, land=False)
    return {"plan_id": str(plan_id)}


def many_comments(page: Page, live: LiveServer) -> dict[str, str]:
    """A coordinator of a plan whose goal has more comments than its plan tab shows at
    first."""
    kari = live.new_user("talk", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari)
    goal = live.built.plans.handle(plan_id, SetGoal(title="Lese hver dag"), by=kari.person_id)
    assert goal.created_id is not None
    on = CommentOn(kind=CommentTarget.GOAL, id=goal.created_id)
    for n in range(1, 8):
        said = PostComment(on=on, text=f"Kommentar {n}: det går fint med lesingen.")
        live.built.plans.handle(plan_id, said, by=kari.person_id)
    live.settle()
    sign_in(page, live, kari, land=False)
    return {"plan_id": str(plan_id), "goal_id": str(goal.created_id)}


ARRIVALS: dict[str, Arrival] = {
    "nobody": nobody,
    "password_given": password_given,
    "terms_due": terms_due,
    "reset_link": reset_link,
    "coordinator": coordinator,
    "many_messages": many_messages,
    "many_comments": many_comments,
    "parent": parent,
    "org_admin": org_admin,
    "auditor": auditor,
    "authenticator_started": authenticator_started,
    "details_refused": details_refused,
    "baton_offering": baton_offering,
    "baton_offered": baton_offered,
    "number_unconfirmed": number_unconfirmed,
    "email_link_used": email_link_used,
    "number_not_confirmed": number_not_confirmed,
    "sms_codes": sms_codes,
}


@pytest.mark.parametrize("visit", PAGES, ids=[v.name for v in PAGES])
def test_the_page_meets_every_bar(page: Page, live: LiveServer, watch: Watch, visit: Visit) -> None:
    made = ARRIVALS[visit.who](page, live)
    response = page.goto(visit.path.format(**made)) if visit.path else made["answer"]
    assert response is not None
    assert response.status == visit.status, page.content()[:500]
    csp = response.headers["content-security-policy"]
    assert "'nonce-" in csp
    assert "unsafe-inline" not in csp
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.title().endswith("– Stafett")
    assert page.title() != "– Stafett"
    assert page.locator("h1").count() == 1
    axe(page, what=visit.name)
    screenshot(page, visit.name)
    flush(page)
    assert watch.loading_errors() == []
