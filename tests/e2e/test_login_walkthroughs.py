"""What people met walking through the login pages, on both stores: the limit on codes
sent said as it is (and the code already sent still working), a wrong code that keeps
the channel and the page to go on to, codes typed in groups, and the truth about who
lifts a lock."""

import re
from datetime import timedelta
from html import unescape

from stafett.applications.codes import CODE_SENDS_PER_15_MIN, OtpChannel
from tests.e2e.conftest import PASSWORD, Web
from tests.leakcheck import remember

PLAN_PAGE = "/plans/0b7e6d1c-3f7e-4c55-9a43-1b2c3d4e5f60?tab=plan"
SEND_LIMIT_SAID = (
    "Du har bedt om mange koder. Vent 15 minutter før du ber om en ny; koden du har fått, "
    "virker fortsatt."
)


def form_of(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form that posts to `action`, as the browser sends."""
    found = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', html, re.S)
    assert found is not None, f"no form for {action}"
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found.group(0))
    return {name: unescape(value) for name, value in fields}


def to_code_page(web: Web, after: str = PLAN_PAGE) -> str:
    """The password step through the login page; answers the code page as shown."""
    step = web.submit(
        "/login", {"username": "kari", "password": PASSWORD, "next": after}, token=False
    )
    assert step.status_code == 303, step.text
    shown = web.client.get(step.headers["location"])
    assert shown.status_code == 200
    return str(shown.text)


def in_groups(code: str, between: str = " ") -> str:
    """A code as it is shown to be read: "429 115"."""
    return f"{code[:3]}{between}{code[3:]}"


def test_at_the_send_limit_the_code_page_says_so_and_the_code_sent_still_logs_in(
    web: Web,
) -> None:
    web.create_user("kari", channel=OtpChannel.SMS)
    page = to_code_page(web)
    for _ in range(CODE_SENDS_PER_15_MIN - 1):  # the login sent the first
        again = web.submit("/login/code/resend", form_of(page, "/login/code/resend"), token=False)
        assert again.status_code == 303
        page = web.client.get(again.headers["location"]).text
    sent = len(web.messages())
    last = web.last_code()

    refused = web.submit("/login/code/resend", form_of(page, "/login/code/resend"), token=False)
    assert refused.status_code == 429  # said on the code page, not "start again" at /login
    assert SEND_LIMIT_SAID in unescape(refused.text)
    assert "tok for lang tid" not in refused.text
    assert "Vi har sendt en kode på SMS" in refused.text  # still the channel it went by
    assert len(web.messages()) == sent  # nothing sent, nothing voided

    typed = form_of(refused.text, "/login/code") | {"code": last}
    in_ = web.submit("/login/code", typed, token=False)
    assert in_.status_code == 303, in_.text
    assert in_.headers["location"].startswith("/login/terms?next=")
    assert "tab%3Dplan" in in_.headers["location"]  # still on the way to the plan


def test_a_spent_code_at_the_send_limit_is_not_said_to_work(web: Web) -> None:
    web.create_user("kari")
    page = to_code_page(web)
    for _ in range(CODE_SENDS_PER_15_MIN - 1):
        web.submit("/login/code/resend", form_of(page, "/login/code/resend"), token=False)
    web.clock.advance(timedelta(minutes=5, seconds=1))  # the last code has expired
    refused = web.submit("/login/code/resend", form_of(page, "/login/code/resend"), token=False)
    assert refused.status_code == 429
    said = unescape(refused.text)
    assert "Du har bedt om mange koder. Vent 10 minutter før du ber om en ny." in said
    assert "virker fortsatt" not in said


def test_a_right_password_at_the_send_limit_is_told_why_and_is_not_counted_as_a_failure(
    web: Web,
) -> None:
    web.create_user("kari")
    page = to_code_page(web)
    for _ in range(CODE_SENDS_PER_15_MIN - 1):
        web.submit("/login/code/resend", form_of(page, "/login/code/resend"), token=False)
    web.clock.advance(timedelta(minutes=11))  # the pending login has timed out
    web.client.cookies.clear()
    for _ in range(11):  # more than the ten failures that lock untrusted clients out
        again = web.submit("/login", {"username": "kari", "password": PASSWORD}, token=False)
        assert again.status_code == 429
        said = unescape(again.text)
        assert "Du har fått mange koder den siste tiden. Vent 4 minutter" in said
        assert "For mange forsøk" not in said
    web.clock.advance(timedelta(minutes=4))  # the first code has left the window
    web.client.cookies.clear()
    web.page_login("kari")  # and nothing was counted against the password


def test_a_wrong_code_keeps_the_channel_and_the_page_to_go_on_to(web: Web) -> None:
    web.create_user("kari", channel=OtpChannel.SMS)
    page = to_code_page(web)
    assert "Vi har sendt en kode på SMS" in page
    typed = form_of(page, "/login/code") | {"code": "000000"}
    wrong = web.submit("/login/code", typed, token=False)
    assert wrong.status_code == 401
    assert "Koden er feil eller utløpt" in wrong.text
    assert "Vi har sendt en kode på SMS" in wrong.text
    assert "e-postadressen din" not in wrong.text
    assert form_of(wrong.text, "/login/code")["next"] == PLAN_PAGE
    assert form_of(wrong.text, "/login/code/resend")["next"] == PLAN_PAGE

    right = form_of(wrong.text, "/login/code") | {"code": web.last_code()}
    done = web.submit("/login/code", right, token=False)
    terms = web.submit("/login/terms", {"answer": "yes", "next": PLAN_PAGE}, token=False)
    assert done.status_code == 303
    assert terms.headers["location"] == PLAN_PAGE


def test_a_wrong_code_keeps_no_foreign_address_nor_an_unknown_channel(web: Web) -> None:
    web.create_user("kari")
    to_code_page(web)
    typed = {"code": "000000", "next": "//evil.example/x", "via": "pigeon"}
    wrong = web.submit("/login/code", typed, token=False)
    assert wrong.status_code == 401
    assert form_of(wrong.text, "/login/code") == {"next": "/plans", "via": "email"}


def test_a_code_typed_in_groups_logs_in_on_the_page_and_over_the_api(web: Web) -> None:
    web.create_user("kari", channel=OtpChannel.SMS)
    page = to_code_page(web)
    typed = form_of(page, "/login/code") | {"code": in_groups(web.last_code())}
    done = web.submit("/login/code", typed, token=False)
    assert done.status_code == 303, done.text

    web.client.cookies.clear()
    remember(PASSWORD)
    web.client.post("/api/v1/session", json={"username": "kari", "password": PASSWORD})
    dashed = in_groups(web.last_code(), " - ")
    answer = web.client.post("/api/v1/session/otp", json={"code": dashed})
    assert answer.status_code == 200, answer.text


def test_a_step_up_and_a_number_confirmation_take_a_code_in_groups(web: Web) -> None:
    web.create_user("kari", channel=OtpChannel.SMS)
    web.login("kari")
    headers = web.csrf_headers()
    assert web.client.post("/api/v1/session/step-up/code", headers=headers).status_code == 204
    code = in_groups(web.last_code())
    stepped = web.client.post("/api/v1/session/step-up", json={"code": code}, headers=headers)
    assert stepped.status_code == 204, stepped.text

    headers = web.csrf_headers()
    change = {"mobile": "+4790000009", "current_password": PASSWORD}
    assert web.client.patch("/api/v1/me", json=change, headers=headers).status_code == 200
    code = in_groups(web.last_code(), "-")
    confirmed = web.client.post("/api/v1/me/mobile/confirm", json={"code": code}, headers=headers)
    assert confirmed.status_code == 204, confirmed.text


def test_a_code_with_other_signs_in_it_is_still_wrong(web: Web) -> None:
    web.create_user("kari")
    to_code_page(web)
    code = web.last_code()
    for typed in (f"{code[:3]}.{code[3:]}", f"{code}0", "１２３４５６"):
        wrong = web.submit("/login/code", {"code": typed}, token=False)
        assert wrong.status_code == 401


def test_a_failed_login_says_an_administrator_unlocks_not_the_coordinator(web: Web) -> None:
    """In the municipality: a parent or a young person has no organisation of their own."""
    web.create_user("kari")
    wrong = web.submit("/login", {"username": "kari", "password": "ikke det"}, token=False)
    said = unescape(wrong.text)
    assert "be en administrator i kommunen om å låse opp kontoen" in said
    assert "virksomheten din" not in said
    assert "koordinatoren din kan hjelpe" not in said
    help_page = unescape(web.client.get("/help").text)
    assert "til en administrator i kommunen låser den opp" in help_page
    assert "eller spør koordinatoren din" not in help_page
