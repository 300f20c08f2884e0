"""The issue's stories in Chromium, on the real pages, one person per browser context.

1. A coordinator logs in, creates a plan through /plans/new (consent first, a new
   owner, type, short name, dates), adds a parent with goals `none` as a new person
   and gives them a login; the link to choose a password comes from the outbox.
   The parent logs in (code from the outbox), accepts the terms, finds the plan,
   sees no goal anywhere, comments on the minutes and sends a message; the
   coordinator's plan list then says "Ja" for "Plan endret" and "Ny melding".
2. A service provider loses the plan from their list when its consent is not valid:
   one plan whose consent ran out yesterday, and one whose consent the coordinator
   resets on the manage page (and renews: it comes back).
3. Adding a goal with the keyboard alone, from the plan list on; focus shows at
   every stop.
4. The language chosen while logged in is the account's: after logging out, in a
   browser without cookies, the pages are English again once logged in.

Setup that is not the story's subject goes through the application services
(`LiveServer`); each main step is screenshotted as var/screenshots/story-*.png.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from uuid import UUID

from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from stafett.aggregates.values import CommentTarget, Role, local_date
from stafett.applications.accounts import OtpChannel
from stafett.applications.commands import (
    AddActivity,
    PlanCommand,
    PostComment,
    RecordMinutes,
    SetGoal,
)
from stafett.applications.parts import CommentOn
from tests.browser.conftest import OpenPage
from tests.browser.harness import (
    LiveServer,
    User,
    code_in,
    link_in,
    log_in,
    screenshot,
    sign_in,
    submit_code,
    submit_password,
    tab_to,
)
from tests.leakcheck import remember

PARENT_PASSWORD = "tre trøtte troll tramper"
remember(PARENT_PASSWORD)
GOAL = "Emil sover hele natten"  # the coordinator's goal, which the parent may not see
PLAN_ID = re.compile(r"/plans/([0-9a-f-]{36})")
PARTICIPANT_ID = re.compile(r"/participants/([0-9a-f-]{36})")
CONFIRMATION = "[data-confirmation]"


def today(live: LiveServer) -> date:
    return local_date(live.built.plans.clock())


def found_id(pattern: re.Pattern[str], url: str) -> UUID:
    found = pattern.search(url)
    assert found is not None, url
    return UUID(found.group(1))


def row_of(page: Page, plan_id: UUID) -> Locator:
    """The plan list's row of the plan."""
    return page.locator("tbody tr").filter(has=page.locator(f"a[href='/plans/{plan_id}']"))


def cell(row: Locator, label: str) -> Locator:
    return row.locator(f"td[data-label='{label}']")


# ---------------------------------------------------------------- 1. the first story


def create_plan_through_the_form(page: Page, live: LiveServer, shots: str = "story") -> UUID:
    """Consent first, a new owner, type, short name and dates, on /plans/new."""
    page.get_by_role("link", name="Lag plan").click()
    expect(page).to_have_url(re.compile(r"/plans/new$"))
    day = today(live)
    page.locator("#f-consent_given_by").fill("Lise Berg (mor)")
    expect(page.locator("#f-consent_given_on")).to_have_value(day.isoformat())
    page.locator("#f-consent_expires_on").fill((day + timedelta(days=300)).isoformat())
    expect(page.locator("#f-owner_choice-new")).to_be_checked()
    page.locator("#f-owner_first_name").fill("Emil")
    page.locator("#f-owner_last_name").fill("Berg")
    page.locator("#f-owner_birth_date").fill(day.replace(year=day.year - 9).isoformat())
    page.locator("#f-type-IP").check()
    page.locator("#f-short_name").fill("Emil – søvn og skole")
    page.locator("#f-end_date").fill((day + timedelta(days=365)).isoformat())
    screenshot(page, f"{shots}-1-new-plan")
    page.locator("button[name=action][value=create]").click()
    expect(page.locator(CONFIRMATION)).to_have_text(
        "Planen er laget, og du er koordinator for den."
    )
    expect(page.locator("h1")).to_have_text("Emil – søvn og skole")
    expect(page.locator(".plan-facts")).to_contain_text("Individuell plan")
    expect(page.locator(".plan-facts")).to_contain_text("Emil Berg")
    return found_id(PLAN_ID, page.url)


def add_the_parent(page: Page, plan_id: UUID, shots: str = "story") -> UUID:
    """A new person in the plan group: a relative who may not read the goals."""
    page.locator(f".tabs a[href='/plans/{plan_id}/participants']").click()
    page.get_by_role("link", name="Legg til deltaker").click()
    page.get_by_role("link", name="Registrer ny person").click()
    page.locator("#f-first_name").fill("Lise")
    page.locator("#f-last_name").fill("Berg")
    page.locator("#f-email").fill("lise.berg@example.no")
    page.locator("#f-mobile").fill("+4741000001")
    page.locator("#f-role-relative").check()
    page.locator("#f-responsibility").fill("Mor. Følger opp leggetid hjemme.")
    page.locator("[id='f-rights.goals-none']").check()
    screenshot(page, f"{shots}-2-add-parent")
    page.get_by_role("button", name="Legg til i plangruppen").click()
    expect(page.locator(CONFIRMATION)).to_have_text("Deltakeren er lagt til i plangruppen.")
    expect(page.locator("h2")).to_have_text("Lise Berg")
    expect(page.locator("[id='f-rights.goals-none']")).to_be_checked()
    assert f"/plans/{plan_id}/participants/" in page.url
    return found_id(PARTICIPANT_ID, page.url)


def give_a_login(
    page: Page, live: LiveServer, plan_id: UUID, participant_id: UUID, shots: str = "story"
) -> User:
    """The login form on the parent's details; codes by SMS, so the link goes by e-mail."""
    page.locator("#f-username").fill("lise.berg")
    expect(page.locator("#f-otp_channel-sms")).to_be_checked()
    page.get_by_role("button", name="Gi pålogging").click()
    expect(page.locator(CONFIRMATION)).to_contain_text("Påloggingen er laget")
    card = page.locator(".login-card")
    expect(card).to_contain_text("Deltakeren har fått pålogging, men har ikke valgt passord ennå.")
    expect(card.get_by_role("button", name="Send en ny lenke")).to_be_visible()
    screenshot(page, f"{shots}-3-login-given")
    person_id = live.built.plans.member_person(plan_id, participant_id)
    return User(
        "lise.berg",
        PARENT_PASSWORD,
        person_id,
        "lise.berg@example.no",
        "+4741000001",
        OtpChannel.SMS,
    )


def choose_a_password(page: Page, live: LiveServer, parent: User) -> None:
    """The activation link from the e-mail, opened in the parent's own browser; her codes
    go by SMS to a number the coordinator typed, so she confirms it with a code sent to it
    (decision 0025)."""
    link = link_in(live.message(parent, 1, address=parent.email))
    assert link.startswith(live.base_url + "/reset/")
    assert live.inbox(parent) == []  # no code by SMS before the first login
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Velg passord")  # her first: no "new" one
    expect(page.locator("main")).to_contain_text(parent.username)  # the name she logs in with
    page.locator("#f-new_password").fill(parent.password)
    page.locator("#f-new_password_again").fill(parent.password)
    page.get_by_role("button", name="Lagre passordet").click()
    expect(page).to_have_url(re.compile(r"/confirm-number$"))
    confirmation = next(
        m
        for m in (live.message(parent, n) for n in (1, 2))
        if m["subject"].startswith("Bekreft mobilnummeret ditt i Stafett")
    )
    page.locator("#f-code").fill(code_in(confirmation))
    page.get_by_role("button", name="Bekreft nummeret").click()
    expect(page.locator(CONFIRMATION)).to_contain_text(
        "Det nye passordet ditt er lagret, og mobilnummeret ditt er bekreftet."
    )


def furnish(live: LiveServer, plan_id: UUID, coordinator: User, parent_pid: UUID) -> UUID:
    """What the coordinator writes next, through the plan application (the forms have
    tests of their own): a goal, an activity for the parent under it, a comment on the
    goal, and minutes. Answers the minutes' id."""
    plans = live.built.plans
    day = today(live)

    def run(command: PlanCommand) -> UUID:
        created = plans.handle(plan_id, command, by=coordinator.person_id).created_id
        assert created is not None
        return created

    goal = run(SetGoal(title=GOAL, description="Fast leggetid kl. 20 på hverdager."))
    run(
        AddActivity(
            title="Leggetid-logg hjemme",
            responsible_participant_id=parent_pid,
            goal_id=goal,
            due_on=day + timedelta(days=30),
        )
    )
    run(PostComment(on=CommentOn(kind=CommentTarget.GOAL, id=goal), text="Godt mål."))
    return run(
        RecordMinutes(
            met_on=day,
            attendee_ids=[p.participant_id for p in plans.get_plan(plan_id).participants],
            notes="Første møte. Vi ble enige om leggetid og hvem som følger opp.",
        )
    )


def the_list_tells(page: Page, live: LiveServer, plan_id: UUID) -> None:
    """The coordinator's plan list says the plan changed and has a new message."""
    live.settle()
    page.goto("/plans")
    mine = row_of(page, plan_id)
    expect(cell(mine, "Plan endret")).to_have_text("Ja")
    expect(cell(mine, "Ny melding")).to_have_text("Ja")


def no_goal_here(page: Page) -> None:
    assert GOAL not in page.content(), f"the goal is on {page.url}"
    assert page.locator("#goals").count() == 0


def test_a_coordinator_makes_a_plan_a_parent_without_goals_joins_and_comments(
    page: Page, open_page: OpenPage, live: LiveServer
) -> None:
    kari = live.new_user("kari", first_name="Kari", coordinator=True)
    log_in(page, live, kari)
    plan_id = create_plan_through_the_form(page, live)
    parent_pid = add_the_parent(page, plan_id)
    lise = give_a_login(page, live, plan_id, parent_pid)
    minutes_id = furnish(live, plan_id, kari, parent_pid)

    page.get_by_role("link", name="Planen", exact=True).click()
    expect(page.locator("#goals")).to_contain_text(GOAL)  # the coordinator sees it
    live.settle()
    page.goto("/plans")
    mine = row_of(page, plan_id)
    expect(cell(mine, "Plan endret")).to_have_text("Nei")
    expect(cell(mine, "Ny melding")).to_have_text("Nei")

    # The parent, in a browser of her own.
    home = open_page()
    choose_a_password(home, live, lise)
    texts = len(live.inbox(lise))  # the notice that her password was set, by SMS too
    submit_password(home, lise)
    expect(home).to_have_url(re.compile(r"/login/code\?via=sms"))
    submit_code(home, code_in(live.message(lise, texts + 1)))
    expect(home).to_have_url(re.compile(r"/login/terms"))  # a first login: the terms
    home.get_by_role("button", name="Ja, jeg godtar").click()
    expect(home).to_have_url(re.compile(r"/plans$"))
    screenshot(home, "story-4-parent-plans")
    home.get_by_role("link", name="Berg, Emil").click()
    expect(home.locator("h1")).to_have_text("Emil – søvn og skole")
    expect(home.locator("main")).to_contain_text("Leggetid-logg hjemme")  # her activity
    no_goal_here(home)
    screenshot(home, "story-5-parent-home")
    home.get_by_role("link", name="Planen", exact=True).click()
    expect(home.locator("#minutes")).to_contain_text("Første møte.")
    no_goal_here(home)
    with home.expect_download() as downloading:  # her export: what she may see, no goal
        home.get_by_role("link", name="Skriv ut / last ned PDF").click()
    assert downloading.value.suggested_filename.endswith(".pdf")
    exported = PdfReader(downloading.value.path())
    printed = " ".join(" ".join(p.extract_text().split()) for p in exported.pages)
    assert "Første møte." in printed
    assert "Utskrift for Lise Berg" in printed
    assert GOAL not in printed
    home.get_by_role("link", name="Deltakere", exact=True).click()
    expect(home.locator("main table")).to_contain_text("Lise Berg")
    no_goal_here(home)
    home.get_by_role("link", name="Lise Berg").click()
    no_goal_here(home)

    # A comment on the minutes (htmx posts it in the background) and a message.
    home.get_by_role("link", name="Planen", exact=True).click()
    minutes = home.locator(f"#minutes-{minutes_id}")
    minutes.get_by_text("Skriv en kommentar").click()
    minutes.locator("textarea[name=text]").fill("Leggetiden fungerer bra hjemme.")
    minutes.get_by_role("button", name="Send kommentaren").click()
    expect(home.locator(CONFIRMATION)).to_have_text("Kommentaren din er sendt.")
    expect(home.locator(f"#comment-minutes-{minutes_id}-list")).to_contain_text(
        "Leggetiden fungerer bra hjemme."
    )
    no_goal_here(home)
    new_message = home.locator("#message-new")
    new_message.get_by_text("Send en melding").click()
    new_message.locator("#message-new-subject").fill("Legetime")
    new_message.locator("#message-new-body").fill(
        "Emil har legetime torsdag, så han kommer senere."
    )
    new_message.get_by_role("button", name="Send meldingen").click()
    expect(home.locator(CONFIRMATION)).to_have_text("Meldingen er sendt.")
    screenshot(home, "story-6-parent-wrote")

    the_list_tells(page, live, plan_id)
    screenshot(page, "story-7-coordinator-plans")


# ---------------------------------------------------------------- 2. consent


@contextmanager
def back_then(live: LiveServer, days: int) -> Iterator[None]:
    """The plan application writes as if it were `days` ago (setup only: the server
    answers nobody meanwhile), so a consent given then can have run out by today."""
    plans = live.built.plans
    now = plans.clock
    plans.clock = lambda: now() - timedelta(days=days)
    try:
        yield
    finally:
        plans.clock = now


def test_a_provider_loses_the_plan_when_the_consent_is_not_valid(
    page: Page, open_page: OpenPage, live: LiveServer
) -> None:
    kari = live.new_user("kari", first_name="Kari", coordinator=True)
    per = live.new_user("per", first_name="Per", last_name="Helsesen")
    valid = live.create_plan(kari, short_name="Samtykke i orden", owner_first="Vilde")
    live.add_participant(valid, per, by=kari, role=Role.PROVIDER.value)
    # 201 days back, a consent of 199 days: run out a day or two ago (the clock's 201
    # days of 24 hours may cross a summer-time change, which moves the local date then).
    with back_then(live, 201):
        expired_on = today(live) + timedelta(days=199)
        expired = live.create_plan(
            kari, short_name="Samtykket gikk ut", owner_first="Jonas", consent_days=199
        )
        live.add_participant(expired, per, by=kari, role=Role.PROVIDER.value)
    assert live.built.plans.get_plan(expired).consent.expires_on == expired_on
    assert expired_on < today(live)
    live.settle()

    sign_in(page, live, kari)  # the coordinator still has both
    expect(row_of(page, valid)).to_have_count(1)
    expect(cell(row_of(page, expired), "Samtykke utgår")).to_contain_text("utløpt")
    screenshot(page, "story-consent-coordinator-plans")

    office = open_page()
    sign_in(office, live, per)
    expect(row_of(office, valid)).to_have_count(1)
    expect(row_of(office, expired)).to_have_count(0)
    refused = office.goto(f"/plans/{expired}")
    assert refused is not None
    assert refused.status == 403  # in the group, but without a consent in force
    expect(office.locator("h1")).to_have_text("Ikke tillatt")
    assert "Samtykket gikk ut" not in office.content()
    screenshot(office, "story-consent-provider-refused")

    # The coordinator resets the consent of the other plan: it goes from Per's list.
    page.goto(f"/plans/{valid}/manage")
    page.locator("#f-confirm_reset").check()
    page.get_by_role("button", name="Nullstill samtykke").click()
    expect(page.locator(CONFIRMATION)).to_contain_text("Samtykket er nullstilt")
    live.settle()
    office.goto("/plans")
    expect(row_of(office, valid)).to_have_count(0)
    expect(office.locator("main")).to_contain_text("Du er ikke med i noen plan ennå")
    screenshot(office, "story-consent-provider-plans")

    # Consent given again: the plan is back.
    page.get_by_role("button", name="Lagre samtykket").click()
    expect(page.locator(CONFIRMATION)).to_contain_text("Samtykket er lagret")
    live.settle()
    office.goto("/plans")
    expect(row_of(office, valid)).to_have_count(1)
    expect(row_of(office, expired)).to_have_count(0)


# ---------------------------------------------------------------- 3. the keyboard


def test_a_keyboard_alone_adds_a_goal(page: Page, live: LiveServer) -> None:
    """Tab, Shift+Tab, Enter and Space only, from the plan list to the new goal."""
    kari = live.new_user("kari", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari, short_name="Tastatur", owner_first="Tuva")
    live.settle()
    sign_in(page, live, kari)

    tab_to(page, f"a[href='/plans/{plan_id}']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/plans/{plan_id}$"))
    tab_to(page, f".tabs a[href='/plans/{plan_id}/plan']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/plans/{plan_id}/plan$"))

    summary = "#goal-new summary"
    tab_to(page, summary)
    page.keyboard.press("Space")
    expect(page.locator("#goal-new details")).to_have_attribute("open", "")
    expect(page.locator("#goal-new-title")).to_be_visible()  # unfolded (it animates)
    tab_to(page, "#goal-new-title", limit=1)
    page.keyboard.type("Tuva sykler til skolen")
    tab_to(page, "#goal-new-description", limit=1)
    page.keyboard.type("Med hjelm, sammen med en venn.")
    page.keyboard.press("Shift+Tab")  # back to the title, to check it
    assert page.evaluate("document.activeElement.id") == "goal-new-title"
    expect(page.locator("#goal-new-title")).to_have_value("Tuva sykler til skolen")
    tab_to(page, "#goal-new-description", limit=1)
    stops = tab_to(page, "#goal-new button[type=submit]", limit=6)  # past the due date
    assert stops[-1]["text"] == "Legg til målet"
    page.keyboard.press("Enter")

    expect(page.locator(CONFIRMATION)).to_have_text("Målet er lagt til.")
    goal = page.locator("#goals article", has_text="Tuva sykler til skolen")
    expect(goal).to_contain_text("Med hjelm, sammen med en venn.")
    screenshot(page, "story-keyboard-goal-added")


# ---------------------------------------------------------------- 4. the language


def test_the_language_is_remembered_on_the_account(
    page: Page, open_page: OpenPage, live: LiveServer
) -> None:
    ada = live.new_user("ada", first_name="Ada")
    sign_in(page, live, ada)
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Your plans")
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("h1")).to_have_text("Log in to Stafett")  # the browser's cookie

    fresh = open_page()  # another browser: no cookies at all
    fresh.goto("/login")
    assert fresh.locator("html").get_attribute("lang") == "nb"
    log_in(fresh, live, ada)
    assert fresh.locator("html").get_attribute("lang") == "en"
    expect(fresh.locator("h1")).to_have_text("Your plans")
    fresh.goto("/profile")
    expect(fresh.locator("h1")).to_have_text("My profile")
    screenshot(fresh, "story-language-english")
