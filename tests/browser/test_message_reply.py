"""A parent answers a message on her phone: "Svar" under it, the form filled in, sent.

The coordinator's message (to everyone) is in the plan. The parent, on a 360 px wide
page, had begun a message to the school's contact and left it (a draft in the tab). She
taps "Svar" under the coordinator's message: the form opens to the coordinator alone,
"Sv: <subject>", her text empty — no older draft over it. She writes and sends; the
coordinator has the answer. Screenshots at 360 and 1280 px:
var/screenshots/plan-message-reply-*.png.
"""

from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.harness import LiveServer, axe, screenshot, sign_in

PHONE: ViewportSize = {"width": 360, "height": 800}
ANSWER = "Torsdag kl. 14 passer fint for oss."


def test_a_parent_on_a_phone_replies_to_a_message_and_the_sender_gets_it(
    page: Page, live: LiveServer
) -> None:
    kari = live.new_user("koordinator", first_name="Kari", coordinator=True)
    lise = live.new_user("forelder", first_name="Lise")
    per = live.new_user("kontakt", first_name="Per")
    plan_id = live.create_plan(kari)
    parent = live.add_participant(plan_id, lise, by=kari, role="relative")
    contact = live.add_participant(plan_id, per, by=kari, role="provider")
    message_id = live.furnish_plan(plan_id, kari)["message_id"]  # "Neste møte", to everyone
    live.settle()
    plans = live.built.plans
    coordinator = plans.get_plan(plan_id).coordinator_participant_id

    page.set_viewport_size(PHONE)
    sign_in(page, live, lise, land=False)
    page.goto(f"/plans/{plan_id}/plan")
    new_message = page.locator("#message-new")
    new_message.get_by_text("Send en melding").click()
    new_message.locator("#message-new-audience-chosen").check()
    new_message.locator(f"input[name=to][value='{contact}']").check()
    new_message.locator("#message-new-body").fill("Et utkast til Per som ikke ble sendt.")

    message = page.locator(f"#message-{message_id}")
    message.get_by_role("link", name="Svar").click()
    form = page.locator("#message-new form")
    expect(form).to_be_visible()
    expect(form.locator(f"input[name=to][value='{coordinator}']")).to_be_checked()
    expect(form.locator(f"input[name=to][value='{contact}']")).not_to_be_checked()
    expect(form.locator("#message-new-audience-chosen")).to_be_checked()
    expect(form.locator("#message-new-subject")).to_have_value("Sv: Neste møte")
    expect(form.locator("#message-new-body")).to_have_value("")
    expect(form.locator("#message-new-replying")).to_have_text(
        "Du svarer på «Neste møte» fra Kari Testesen."
    )
    form.locator("#message-new-body").fill(ANSWER)
    axe(page, what="the plan tab with a reply filled in")
    screenshot(page, "plan-message-reply")

    # Sent with Enter from the subject: at the phone's width a pointer click has, under
    # load, reached no server (test_stories_without_scripts.py).
    form.locator("#message-new-subject").press("Enter")
    expect(page.locator("[data-confirmation]")).to_have_text("Meldingen er sendt.")
    answer = plans.get_plan(plan_id).messages[-1]
    assert answer.body == ANSWER
    assert answer.subject == "Sv: Neste møte"
    assert answer.sender_participant_id == parent
    assert answer.recipient_ids == (coordinator,)
