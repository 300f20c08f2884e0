"""Organisation administration: users, locks, administrator-started resets, coordinators.

On both stores, through the pages. Only organisation administrators get in
(`manage_users` in the policy table); every change is a fact naming the
administrator.
"""

import re
from dataclasses import replace
from html import unescape
from typing import Any
from uuid import UUID

import pyotp
import pytest
from litestar.testing import TestClient

from stafett.applications.accounts import OtpChannel
from stafett.applications.password_links import RESETS_PER_HOUR
from stafett.web.pages import admin as admin_pages
from tests.e2e.conftest import PASSWORD, Web
from tests.e2e.test_me import actors_of
from tests.e2e.test_pages_help import check_markup
from tests.leakcheck import remember

NINAS_PASSWORD = "fiolette fjellrever danser tango"
remember(NINAS_PASSWORD)
NEW_USER = {
    "first_name": "Nina",
    "last_name": "Ny",
    "birth_date": "1985-02-03",
    "workplace": "Helsestasjonen",
    "position": "Helsesykepleier",
    "email": "nina@example.no",
    "mobile": "",
    "username": "nina",
    "otp_channel": "email",
}


@pytest.fixture
def admin(web: Web) -> UUID:
    """Logged in as "ada", an organisation administrator."""
    ada = web.create_user("ada", org_admin=True)
    web.page_login("ada")
    return ada


def post(web: Web, path: str, data: dict[str, Any] | None = None) -> Any:
    """A form of the administration page, with that page's CSRF token."""
    return web.submit(path, (data or {}) | {"csrf_token": web.page_token("/profile")})


def other_browser(web: Web) -> Web:
    return replace(web, client=TestClient(web.client.app, base_url="https://stafett.test"))


def row_of(html: str, username: str) -> str:
    """The table row of one user."""
    for row in re.findall(r"<tr>.*?</tr>", html, re.DOTALL):
        if f">{username}</td>" in row:
            return unescape(row)
    raise AssertionError(f"no row for {username}")


def facts(web: Web, person_id: UUID) -> list[tuple[str, str]]:
    return web.accounts.accounts.facts_of(person_id)


def test_only_organisation_administrators_get_in(web: Web) -> None:
    kari = web.create_user("kari", coordinator=True)
    anonymous = web.client.get("/admin", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=%2Fadmin"
    web.page_login("kari")
    refused = web.client.get("/admin")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "Ikke tillatt" in refused.text
    assert 'href="/admin"' not in web.client.get("/profile").text  # no menu entry either
    assert web.client.get("/admin/users/new").status_code == 403
    assert post(web, f"/admin/users/{kari}/coordinator", {"coordinator": "no"}).status_code == 403
    assert "coordinator" in web.client.get("/api/v1/me").json()["roles"]


def test_the_list_shows_each_user_with_roles_and_state(web: Web, admin: UUID) -> None:
    web.create_user("kari", coordinator=True)
    web.create_user("per", channel=OtpChannel.SMS)
    page = web.client.get("/admin")
    assert page.status_code == 200
    assert 'href="/admin" aria-current="page"' in page.text
    kari = row_of(page.text, "kari")
    assert "Kari Testesen" in kari
    assert "koordinator" in kari
    assert "Kan logge inn" in kari
    assert "Send lenke til nytt passord" in kari  # codes by e-mail: the administrator resets
    per = row_of(page.text, "per")
    assert "Setter nytt passord selv" in per  # codes by SMS: "forgotten password" works
    assert "Send lenke til nytt passord" not in per
    own = row_of(page.text, "ada")
    assert "administrator" in own
    assert "/lock" not in own  # no button to lock oneself out


def usernames_on(html: str) -> list[str]:
    """The usernames the users' table shows, in order."""
    return re.findall(r'<td data-label="Brukernavn">([^<]*)</td>', html)


def test_the_users_are_found_by_username_or_name_and_an_action_keeps_the_search(
    web: Web, admin: UUID
) -> None:
    kari = web.create_user("kari")
    web.create_user("karin")
    web.create_user("per")
    found = web.client.get("/admin", params={"q": "  KARI "})  # case and spacing ignored
    assert found.status_code == 200
    assert usernames_on(found.text) == ["kari", "karin"]
    assert "Brukere som passer til «KARI»: 2." in unescape(found.text)
    assert 'href="/admin">Vis alle brukere' in found.text
    by_name = web.client.get("/admin", params={"q": "per testesen"})  # the name, not the username
    assert usernames_on(by_name.text) == ["per"]
    none = web.client.get("/admin", params={"q": "ingen slik"})
    assert usernames_on(none.text) == []
    assert "Ingen brukere passer til søket." in none.text
    # The lock button of a found user returns to the same search.
    assert f'action="/admin/users/{kari}/lock?q=KARI"' in found.text
    locked = post(web, f"/admin/users/{kari}/lock?q=KARI")
    assert locked.headers["location"] == "/admin?saved=user_locked&q=KARI"
    assert "Låst" in row_of(web.client.get(locked.headers["location"]).text, "kari")
    too_long = web.client.get("/admin", params={"q": "x" * 101})
    assert too_long.status_code == 400


def test_many_users_are_shown_a_page_at_a_time(
    web: Web, admin: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin_pages, "USERS_PAGE", 2)
    for name in ("bente", "cato", "dina", "egil"):
        web.create_user(name)
    first = web.client.get("/admin")
    assert usernames_on(first.text) == ["ada", "bente"]
    assert "Viser 1–2 av 5, etter brukernavn." in first.text
    assert 'href="/admin?side=2#users">Neste brukere' in first.text
    assert "Forrige brukere" not in first.text
    second = web.client.get("/admin", params={"side": "2"})
    assert usernames_on(second.text) == ["cato", "dina"]
    assert 'href="/admin?side=1#users">Forrige brukere' in second.text
    last = web.client.get("/admin", params={"side": "3"})
    assert usernames_on(last.text) == ["egil"]
    assert "Neste brukere" not in last.text
    beyond = web.client.get("/admin", params={"side": "9"})  # past the end: the last page
    assert usernames_on(beyond.text) == ["egil"]
    searched = web.client.get("/admin", params={"q": "i"})  # dina, egil: one page of two
    assert usernames_on(searched.text) == ["dina", "egil"]
    assert "Neste brukere" not in searched.text
    assert web.client.get("/admin", params={"side": "0"}).status_code == 400


def test_a_new_user_chooses_their_password_from_the_link_and_logs_in(web: Web, admin: UUID) -> None:
    assert web.client.get("/admin/users/new").status_code == 200
    made = post(web, "/admin/users", NEW_USER | {"is_coordinator": "on"})
    assert made.status_code == 303
    assert made.headers["location"] == "/admin?saved=user_created"
    assert "Brukeren er laget." in web.client.get(made.headers["location"]).text
    mail = web.messages()[-1]
    assert (mail["channel"], mail["to"]) == ("email", "nina@example.no")
    assert "Brukernavnet ditt er nina" in mail["body"]
    link = re.search(r"https?://[^\s]+/reset/([\w-]+)", mail["body"])
    assert link is not None
    token = link.group(1)
    remember(token)
    nina = web.accounts.accounts.by_username("nina")
    assert nina is not None
    assert nina.is_coordinator
    assert ("opened_by", str(admin)) in facts(web, nina.person_id)
    assert actors_of(web, nina.person_id) == [("registered", str(admin))]
    assert web.plans.get_person(nina.person_id).details.workplace == "Helsestasjonen"

    browser = other_browser(web)
    differing = browser.submit(
        f"/reset/{token}",
        {"new_password": NINAS_PASSWORD, "new_password_again": NINAS_PASSWORD + "x"},
        token=False,
    )
    assert differing.status_code == 422
    assert "De to passordene er ulike" in differing.text
    chosen = browser.submit(
        f"/reset/{token}",
        {"new_password": NINAS_PASSWORD, "new_password_again": NINAS_PASSWORD},
        token=False,
    )
    assert chosen.status_code == 303
    browser.page_login("nina", NINAS_PASSWORD)
    assert browser.client.get("/api/v1/me").json()["roles"] == ["coordinator"]


def test_a_new_user_without_e_mail_gets_the_link_by_sms(web: Web, admin: UUID) -> None:
    made = post(
        web, "/admin/users", NEW_USER | {"email": "", "mobile": "912 34 568", "otp_channel": "sms"}
    )
    assert made.status_code == 303
    sms = web.messages()[-1]
    assert (sms["channel"], sms["to"]) == ("sms", "+4791234568")
    assert "/reset/" in sms["body"]
    remember(sms["body"].split("/reset/")[1].split()[0])


def test_a_refused_new_user_comes_back_with_what_was_typed(web: Web, admin: UUID) -> None:
    web.create_user("kari")
    taken = post(web, "/admin/users", NEW_USER | {"username": "kari"})
    assert taken.status_code == 422
    assert 'value="Helsestasjonen"' in taken.text
    assert "Brukernavnet er opptatt" in taken.text
    assert 'id="f-username-error"' in taken.text
    no_mobile = post(web, "/admin/users", NEW_USER | {"otp_channel": "sms"})
    assert no_mobile.status_code == 422
    assert "mobilnummer" in no_mobile.text
    nameless = post(web, "/admin/users", NEW_USER | {"first_name": ""})
    assert nameless.status_code == 422
    assert 'id="f-first_name-error"' in nameless.text
    assert web.accounts.accounts.by_username("nina") is None


def test_a_locked_user_is_logged_out_and_can_log_in_again_once_unlocked(
    web: Web, admin: UUID
) -> None:
    kari = web.create_user("kari")
    karis = other_browser(web)
    karis.page_login("kari")
    locked = post(web, f"/admin/users/{kari}/lock")
    assert locked.status_code == 303
    assert "Låst" in row_of(web.client.get("/admin").text, "kari")
    assert karis.client.get("/profile", follow_redirects=False).status_code == 303
    refused = karis.submit("/login", {"username": "kari", "password": PASSWORD}, token=False)
    assert refused.status_code == 401
    unlocked = post(web, f"/admin/users/{kari}/unlock")
    assert unlocked.status_code == 303
    assert "Kan logge inn" in row_of(web.client.get("/admin").text, "kari")
    karis.page_login("kari")
    assert ("locked_by_administrator", str(admin)) in facts(web, kari)
    assert ("unlocked_by", str(admin)) in facts(web, kari)


def test_a_logged_in_user_is_shown_and_logged_out_everywhere_but_not_locked(
    web: Web, admin: UUID
) -> None:
    kari = web.create_user("kari")
    assert "Logg ut</button>" not in row_of(web.client.get("/admin").text, "kari")
    phone, laptop = other_browser(web), other_browser(web)
    phone.page_login("kari")
    laptop.page_login("kari")
    row = row_of(web.client.get("/admin").text, "kari")
    assert "Innlogget nå: 2" in row
    assert f'action="/admin/users/{kari}/sessions/end"' in row

    done = post(web, f"/admin/users/{kari}/sessions/end")

    assert done.status_code == 303
    assert done.headers["location"] == "/admin?saved=user_logged_out"
    for browser in (phone, laptop):
        assert browser.client.get("/profile", follow_redirects=False).status_code == 303
    row = row_of(web.client.get("/admin").text, "kari")
    assert "Innlogget nå" not in row
    assert "Kan logge inn" in row
    assert ("sessions_ended_by", str(admin)) in facts(web, kari)
    phone.page_login("kari")  # not locked


def test_an_administrator_logs_out_everyone_else_after_ticking_the_box(
    web: Web, admin: UUID
) -> None:
    """SEC-SES-07: "an admin can kill one user's or all sessions"."""
    web.create_user("kari")
    web.create_user("per", org_admin=True)
    karis, pers, adas_other = other_browser(web), other_browser(web), other_browser(web)
    karis.page_login("kari")
    pers.page_login("per")
    adas_other.page_login("ada")
    page = web.client.get("/admin").text
    assert 'action="/admin/sessions/end"' in page

    unticked = post(web, "/admin/sessions/end")

    assert unticked.status_code == 422
    assert "Kryss av i boksen for å bekrefte." in unticked.text
    assert karis.client.get("/profile", follow_redirects=False).status_code == 200

    done = post(web, "/admin/sessions/end", {"confirm_everyone": "yes"})

    assert done.status_code == 303
    assert done.headers["location"] == "/admin?saved=everyone_logged_out"
    for browser in (karis, pers, adas_other):  # another administrator, and ada elsewhere
        assert browser.client.get("/profile", follow_redirects=False).status_code == 303
    assert "Alle andre er logget ut." in web.client.get(done.headers["location"]).text
    assert ("sessions_ended_for_everyone", "3") in facts(web, admin)
    karis.page_login("kari")  # nobody is locked


def test_only_administrators_log_out_everyone(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.create_user("per")
    pers = other_browser(web)
    pers.page_login("per")
    web.page_login("kari")
    refused = web.submit(
        "/admin/sessions/end",
        {"confirm_everyone": "yes", "csrf_token": web.page_token("/profile")},
    )
    assert refused.status_code == 403
    assert pers.client.get("/profile", follow_redirects=False).status_code == 200


def test_an_administrator_logs_out_on_their_profile_not_here(web: Web, admin: UUID) -> None:
    assert f"/admin/users/{admin}/sessions/end" not in web.client.get("/admin").text
    refused = post(web, f"/admin/users/{admin}/sessions/end")
    assert refused.status_code == 403
    assert web.client.get("/admin").status_code == 200


def test_a_user_locked_by_failed_attempts_is_shown_and_unlocked(web: Web, admin: UUID) -> None:
    kari = web.create_user("kari")
    browser = other_browser(web)
    for _ in range(10):
        browser.submit("/login", {"username": "kari", "password": "feil passord"}, token=False)
    row = row_of(web.client.get("/admin").text, "kari")
    assert "Låst en stund" in row
    assert f'action="/admin/users/{kari}/unlock"' in row  # one action for the state shown
    assert f'action="/admin/users/{kari}/lock"' not in row
    post(web, f"/admin/users/{kari}/unlock")
    row = row_of(web.client.get("/admin").text, "kari")
    assert "Kan logge inn" in row
    assert f'action="/admin/users/{kari}/lock"' in row
    assert f'action="/admin/users/{kari}/unlock"' not in row
    browser.page_login("kari")


def test_an_administrator_cannot_lock_themselves_out(web: Web, admin: UUID) -> None:
    refused = post(web, f"/admin/users/{admin}/lock")
    assert refused.status_code == 403
    assert web.client.get("/admin").status_code == 200


def test_an_e_mail_code_account_gets_a_reset_link_from_the_administrator(
    web: Web, admin: UUID
) -> None:
    kari = web.create_user("kari")  # codes by e-mail
    before = len(web.messages())
    sent = post(web, f"/admin/users/{kari}/reset")
    assert sent.status_code == 303
    assert sent.headers["location"] == "/admin?saved=reset_sent"
    mails = web.messages()[before:]
    assert [(m["channel"], m["to"]) for m in mails] == [("email", "kari@example.no")]
    assert "/reset/" in mails[0]["body"]
    assert PASSWORD not in mails[0]["body"]
    assert ("reset_started_by", str(admin)) in facts(web, kari)


def test_the_administrator_sends_a_user_few_reset_links_an_hour_and_the_page_says_so(
    web: Web, admin: UUID
) -> None:
    kari = web.create_user("kari")  # codes by e-mail
    before = len(web.messages())
    for _ in range(RESETS_PER_HOUR):
        assert post(web, f"/admin/users/{kari}/reset").status_code == 303
    refused = post(web, f"/admin/users/{kari}/reset")
    assert refused.status_code == 429
    assert "sendt flere lenker til denne brukeren den siste timen" in unescape(refused.text)
    assert "kari" in refused.text  # the users' list again
    assert len(web.messages()) - before == RESETS_PER_HOUR


def test_an_sms_code_account_is_not_reset_by_the_administrator_and_the_page_says_why(
    web: Web, admin: UUID
) -> None:
    per = web.create_user("per", channel=OtpChannel.SMS)
    before = len(web.messages())
    refused = post(web, f"/admin/users/{per}/reset")
    assert refused.status_code == 403
    assert "setter derfor nytt passord selv" in unescape(refused.text)
    assert web.messages()[before:] == []


def test_the_coordinator_role_is_granted_and_taken_back(web: Web, admin: UUID) -> None:
    """A rights change gives a new session (SEC-SES-02): the person logs in again."""
    kari = web.create_user("kari")
    karis = other_browser(web)
    karis.page_login("kari")
    assert karis.client.get("/api/v1/me").json()["roles"] == []
    granted = post(web, f"/admin/users/{kari}/coordinator", {"coordinator": "yes"})
    assert granted.headers["location"] == "/admin?saved=coordinator_granted"
    assert karis.client.get("/api/v1/me").status_code == 401  # the old session is gone
    karis.page_login("kari")
    assert karis.client.get("/api/v1/me").json()["roles"] == ["coordinator"]
    assert "Fjern som koordinator" in row_of(web.client.get("/admin").text, "kari")
    post(web, f"/admin/users/{kari}/coordinator", {"coordinator": "no"})
    assert karis.client.get("/api/v1/me").status_code == 401
    karis.page_login("kari")
    assert karis.client.get("/api/v1/me").json()["roles"] == []
    assert facts(web, kari)[-2:] == [
        ("coordinator_granted", str(admin)),
        ("coordinator_revoked", str(admin)),
    ]


def test_a_change_without_the_csrf_token_is_refused(web: Web, admin: UUID) -> None:
    kari = web.create_user("kari")
    refused = web.submit(f"/admin/users/{kari}/lock", {}, token=False)
    assert refused.status_code == 403
    assert "Kan logge inn" in row_of(web.client.get("/admin").text, "kari")


def test_the_administration_pages_label_every_field_and_repeat_no_id(web: Web, admin: UUID) -> None:
    web.create_user("kari")
    check_markup(web.client.get("/admin").text)
    check_markup(web.client.get("/admin/users/new").text)
    check_markup(post(web, "/admin/users", NEW_USER | {"username": ""}).text)


def test_an_administrator_switches_off_the_app_of_a_user_who_lost_their_phone(
    web: Web, admin: UUID
) -> None:
    """SEC-REC-04: without this a person whose phone with the app is gone could never
    log in again. The codes go by SMS, the person's sessions end, and they are told."""
    kari = web.create_user("kari", channel=OtpChannel.SMS)
    karis_browser = other_browser(web)
    karis_browser.login("kari")
    store = web.accounts.accounts
    seed = pyotp.random_base32()
    remember(seed)
    store.set_pending_totp(kari, web.accounts.seeds.seal(kari, seed), at=web.clock.now)
    sealed = store.by_person(kari).totp_pending_secret  # type: ignore[union-attr]
    assert sealed is not None
    assert store.confirm_pending_totp(kari, sealed, step=0, channel="totp", at=web.clock.now)
    assert "Slå av appen" in row_of(web.client.get("/admin").text, "kari")
    before = len(web.messages())

    ended = post(web, f"/admin/users/{kari}/authenticator")

    assert ended.status_code == 303
    assert ended.headers["location"] == "/admin?saved=authenticator_ended"
    account = store.by_person(kari)
    assert account is not None
    assert (account.otp_channel, account.totp_secret) == ("sms", None)
    assert ("authenticator_ended_by", str(admin)) in facts(web, kari)
    told = web.messages()[before:]
    assert {m["channel"] for m in told} == {"sms", "email"}
    assert all("Autentiseringsappen" in m["subject"] + m["body"] for m in told)
    assert seed not in repr(told)
    assert karis_browser.client.get("/api/v1/me").status_code == 401
    page = web.client.get(ended.headers["location"])
    assert "Appen er slått av" in unescape(page.text)
    assert "Slå av appen" not in row_of(page.text, "kari")
    karis_browser.client.cookies.clear()
    karis_browser.login("kari")  # by a code sent by SMS


def test_switching_off_an_app_a_user_does_not_have_is_refused(web: Web, admin: UUID) -> None:
    per = web.create_user("per", channel=OtpChannel.SMS)
    refused = post(web, f"/admin/users/{per}/authenticator")
    assert refused.status_code == 409
    assert "får ikke engangskoden fra en app" in unescape(refused.text)
