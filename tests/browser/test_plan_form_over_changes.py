"""A goal's form meets other people's writes, in a real browser (decision 0038).

The coordinator opens the form to change a goal. Meanwhile a comment lands on it and a
new goal is added: her change is saved all the same. She opens the form again; this
time someone changes the same goal first: the form comes back with her text, says that
this goal changed, and the page shows the goal as it now is; sent again, it is saved.
Screenshots at 360 and 1280 px: var/screenshots/plan-goal-changed-meanwhile-*.png.
"""

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
