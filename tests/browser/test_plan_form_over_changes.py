"""A goal's form meets other people's writes, in a real browser (decision 0038).

The coordinator opens the form to change a goal. Meanwhile a comment lands on it and a
new goal is added: her change is saved all the same. She opens the form again; this
time someone changes the same goal first: the form comes back with her text, says that
this goal changed, and the page shows the goal as it now is; sent again, it is saved.
Screenshots at 360 and 1280 px: var/screenshots/plan-goal-changed-meanwhile-*.png.
"""

from datetime import date

from playwright.sync_api import Page, expect

from stafett.aggregates.values import CommentTarget
from stafett.applications.commands import PostComment, ReviseGoal, SetGoal
from stafett.applications.parts import CommentOn
from tests.browser.harness import LiveServer, axe, screenshot, sign_in


def test_a_goal_form_is_saved_over_others_writes_unless_they_changed_that_goal(
    page: Page, live: LiveServer
) -> None:
    kari = live.new_user("koordinator", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari)
    goal_id = live.furnish_plan(plan_id, kari)["goal_id"]
    live.settle()
    plans = live.built.plans

    def meanwhile(command: object) -> None:
        plans.handle(plan_id, command, by=kari.person_id)  # type: ignore[arg-type]

    sign_in(page, live, kari, land=False)
    opened = f"/plans/{plan_id}/plan?open=goal-{goal_id}-revise#goal-{goal_id}"
    page.goto(opened)
    form = page.locator(f'form[action="/plans/{plan_id}/plan/goals/{goal_id}"]')
    meanwhile(PostComment(on=CommentOn(kind=CommentTarget.GOAL, id=goal_id), text="Flott!"))
    meanwhile(SetGoal(title="Ola sover nok"))
    form.locator("input[name=title]").fill("Ola leser med glede hver dag")
    form.get_by_role("button", name="Lagre endringene").click()
    expect(page.locator("[data-confirmation]")).to_have_text("Målet er endret.")
    assert plans.get_plan(plan_id).goals[0].title == "Ola leser med glede hver dag"

    page.goto(opened)
    meanwhile(ReviseGoal(goal_id=goal_id, title="Ola leser tjue minutter"))
    form.locator("input[name=title]").fill("Ola leser og forteller")
    form.get_by_role("button", name="Lagre endringene").click()
    warning = page.get_by_role("alert").filter(has_text="Noen endret dette målet mens du skrev")
    expect(warning).to_be_visible()
    expect(form.locator("input[name=title]")).to_have_value("Ola leser og forteller")
    expect(page.locator(f"#goal-{goal_id}")).to_contain_text("Ola leser tjue minutter")
    assert plans.get_plan(plan_id).goals[0].title == "Ola leser tjue minutter"
    axe(page, what="a goal's form after the goal changed meanwhile")
    screenshot(page, "plan-goal-changed-meanwhile")

    form.get_by_role("button", name="Lagre endringene").click()
    expect(page.locator("[data-confirmation]")).to_have_text("Målet er endret.")
    assert plans.get_plan(plan_id).goals[0].title == "Ola leser og forteller"


def test_a_goal_form_from_another_tab_comes_back_field_by_field_and_keeps_the_other_tabs_change(
    page: Page, live: LiveServer
) -> None:
    """Two tabs on one goal: tab A (here, a write meanwhile) changes the description and
    the due date; this tab changes the title and the description. Refused, the form shows
    the due date A saved (not its own old one) and, under the description, what A wrote;
    saved again, A's due date stands. A change to other fields only is saved at once.
    Screenshots: var/screenshots/plan-goal-fields-changed-meanwhile-*.png."""
    kari = live.new_user("koordinator", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari)
    goal_id = live.furnish_plan(plan_id, kari)["goal_id"]
    live.settle()
    plans = live.built.plans

    def meanwhile(**fields: object) -> None:
        command = ReviseGoal(goal_id=goal_id, **fields)  # type: ignore[arg-type]
        plans.handle(plan_id, command, by=kari.person_id)

    sign_in(page, live, kari, land=False)
    opened = f"/plans/{plan_id}/plan?open=goal-{goal_id}-revise#goal-{goal_id}"
    form = page.locator(f'form[action="/plans/{plan_id}/plan/goals/{goal_id}"]')
    page.goto(opened)
    meanwhile(due_on=date(2027, 3, 15))
    form.locator("input[name=title]").fill("Ola leser hver kveld")
    form.get_by_role("button", name="Lagre endringene").click()
    expect(page.locator("[data-confirmation]")).to_have_text("Målet er endret.")
    goal = plans.get_plan(plan_id).goals[0]
    assert (goal.title, goal.due_on) == ("Ola leser hver kveld", date(2027, 3, 15))

    page.goto(opened)
    meanwhile(description="Ola leser tjue minutter før leggetid.", due_on=date(2027, 4, 30))
    form.locator("input[name=title]").fill("Ola leser og forteller")
    form.locator("textarea[name=description]").fill("Ola forteller hva han leste.")
    form.get_by_role("button", name="Lagre endringene").click()
    expect(page.get_by_role("alert").filter(has_text="Noen endret dette målet")).to_be_visible()
    expect(form.locator("input[name=due_on]")).to_have_value("2027-04-30")
    expect(form.locator("input[name=due_on]")).to_have_accessible_description(
        "Noen andre endret dette mens du skrev: her står det som er lagret nå."
    )
    expect(form.locator("textarea[name=description]")).to_have_value("Ola forteller hva han leste.")
    expect(form).to_contain_text("nå står det «Ola leser tjue minutter før leggetid.»")
    expect(form.locator("input[name=title]")).to_have_value("Ola leser og forteller")
    axe(page, what="a goal's form after other fields of the goal changed meanwhile")
    screenshot(page, "plan-goal-fields-changed-meanwhile")

    form.get_by_role("button", name="Lagre endringene").click()
    expect(page.locator("[data-confirmation]")).to_have_text("Målet er endret.")
    goal = plans.get_plan(plan_id).goals[0]
    assert (goal.title, goal.description) == (
        "Ola leser og forteller",
        "Ola forteller hva han leste.",
    )
    assert goal.due_on == date(2027, 4, 30)  # the other tab's change stands


def test_a_field_another_tab_emptied_stays_empty_when_the_form_comes_back(
    page: Page, live: LiveServer
) -> None:
    """The tab's draft (drafts.js) does not fill the form the server shows back after a
    conflict: the due date another tab emptied meanwhile stays empty, so saving again
    cannot put it back."""
    kari = live.new_user("koordinator", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari)
    goal_id = live.furnish_plan(plan_id, kari)["goal_id"]
    live.settle()
    plans = live.built.plans
    plans.handle(plan_id, ReviseGoal(goal_id=goal_id, due_on=date(2027, 1, 31)), by=kari.person_id)

    sign_in(page, live, kari, land=False)
    opened = f"/plans/{plan_id}/plan?open=goal-{goal_id}-revise#goal-{goal_id}"
    form = page.locator(f'form[action="/plans/{plan_id}/plan/goals/{goal_id}"]')
    page.goto(opened)
    expect(form.locator("input[name=due_on]")).to_have_value("2027-01-31")
    form.locator("input[name=title]").fill("Ola leser med far")  # the draft holds the date
    plans.handle(
        plan_id,
        ReviseGoal(goal_id=goal_id, title="Ola leser med mor", due_on=None),
        by=kari.person_id,
    )
    form.get_by_role("button", name="Lagre endringene").click()
    expect(page.get_by_role("alert").filter(has_text="Noen endret dette målet")).to_be_visible()
    expect(form.locator("input[name=title]")).to_have_value("Ola leser med far")
    expect(form.locator("input[name=due_on]")).to_have_value("")
    form.get_by_role("button", name="Lagre endringene").click()
    expect(page.locator("[data-confirmation]")).to_have_text("Målet er endret.")
    goal = plans.get_plan(plan_id).goals[0]
    assert (goal.title, goal.due_on) == ("Ola leser med far", None)
