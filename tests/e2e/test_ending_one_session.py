"""SEC-SES-07: a person lists their logins and ends one of them, after a fresh code.

`GET /api/v1/me/sessions` and the profile page list the logins that still work;
`DELETE /api/v1/me/sessions/{handle}` and the page's "Logg ut der" end one, only after
a step-up (a stolen session cannot end its owner's), only one of the person's own, on
both stores.
"""

import re
from datetime import timedelta
from typing import Any

from tests.e2e.conftest import Web
from tests.leakcheck import remember

SID = "__Host-sid"
STALE = timedelta(minutes=5, seconds=1)


def _two_logins(web: Web, username: str, *, pages: bool = False) -> tuple[str, str]:
    """Log `username` in twice, as from two browsers; (the first token, the second), the
    client left on the second."""
    tokens = []
    for _ in range(2):
        web.client.cookies.clear()
        if pages:
            web.page_login(username)
        else:
            web.login(username)
        tokens.append(web.client.cookies[SID])
    return tokens[0], tokens[1]


def _use(web: Web, token: str) -> None:
    web.client.cookies.set(SID, token, domain="stafett.test")


def _works(web: Web, token: str) -> bool:
    here = web.client.cookies.get(SID)
    _use(web, token)
    answer = web.client.get("/api/v1/me").status_code
    if here is not None:
        _use(web, here)
    return answer == 200


def test_a_login_elsewhere_is_ended_after_a_step_up(web: Web) -> None:
    web.create_user("kari")
    first, second = _two_logins(web, "kari")
    listed = web.client.get("/api/v1/me/sessions").json()
    assert [s["current"] for s in listed] == [True, False]
    other = listed[1]["handle"]
    assert first not in str(listed)
    assert second not in str(listed)
    web.clock.advance(STALE)
    headers = web.csrf_headers()

    refused = web.client.delete(f"/api/v1/me/sessions/{other}", headers=headers)

    assert refused.status_code == 401, refused.text
    assert refused.json()["step_up_required"] is True
    assert _works(web, first)
    web.step_up()
    ended = web.client.delete(f"/api/v1/me/sessions/{other}", headers=headers)
    assert ended.status_code == 204, ended.text
    assert not _works(web, first)
    assert web.client.get("/api/v1/me").status_code == 200
    assert [s["current"] for s in web.client.get("/api/v1/me/sessions").json()] == [True]
    again = web.client.delete(f"/api/v1/me/sessions/{other}", headers=headers)
    assert again.status_code == 404
    facts = web.accounts.accounts.facts_of(web.accounts.accounts.by_username("kari").person_id)  # type: ignore[union-attr]
    assert ("session_ended_by_owner", "") in facts


def test_another_persons_login_cannot_be_ended(web: Web) -> None:
    web.create_user("kari")
    web.create_user("ola")
    web.client.cookies.clear()
    web.login("kari")
    kari = web.client.cookies[SID]
    karis = web.client.get("/api/v1/me/sessions").json()[0]["handle"]
    web.client.cookies.clear()
    web.login("ola")

    refused = web.client.delete(f"/api/v1/me/sessions/{karis}", headers=web.csrf_headers())

    assert refused.status_code == 404, refused.text
    assert _works(web, kari)


def test_a_handle_of_another_shape_is_refused_unread(web: Web) -> None:
    web.create_user("kari")
    web.login("kari")
    headers = web.csrf_headers()
    for handle in ("0" * 23, "0" * 25, "G" * 24, "' OR 1=1 --"):
        answer = web.client.delete(f"/api/v1/me/sessions/{handle}", headers=headers)
        assert answer.status_code == 422, (handle, answer.status_code)


def test_the_profile_page_ends_a_login_elsewhere(web: Web) -> None:
    web.create_user("kari")
    first, second = _two_logins(web, "kari", pages=True)
    remember(first)
    remember(second)
    html = web.client.get("/profile").text
    actions = re.findall(r'action="(/profile/sessions/[0-9a-f]{24}/end)"', html)
    assert len(actions) == 1  # not for this browser: that is "Logg ut"
    assert "Logg ut der" in html
    web.clock.advance(STALE)

    asked = web.submit(actions[0])

    assert asked.status_code == 303
    assert asked.headers["location"] == "/step-up?next=%2Fprofile"
    assert _works(web, first)
    assert web.submit("/step-up/code", {"next": "/profile"}).status_code == 303
    stepped = web.submit("/step-up", {"next": "/profile", "code": web.last_code()})
    assert stepped.status_code == 303, stepped.text
    done = web.submit(actions[0])
    assert done.status_code == 303
    assert done.headers["location"] == "/profile?saved=session_ended"
    assert not _works(web, first)
    shown = web.client.get(done.headers["location"]).text
    assert "Den innloggingen er avsluttet." in shown
    assert not re.findall(r'action="/profile/sessions/[0-9a-f]{24}/end"', shown)
    gone = web.submit(actions[0])
    assert gone.headers["location"] == "/profile?saved=session_gone"


IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def test_each_login_says_which_browser_and_system_it_is(web: Web) -> None:
    web.create_user("kari")
    web.client.headers["user-agent"] = IPHONE
    web.login("kari")
    web.client.headers["user-agent"] = "testclient"  # tells no browser
    listed = web.client.get("/api/v1/me/sessions").json()
    assert [(s["browser"], s["system"]) for s in listed] == [("Mobile Safari", "iOS")]
    web.client.cookies.clear()
    web.page_login("kari")
    mine = web.client.get("/api/v1/me/sessions").json()
    assert [(s["current"], s["browser"], s["system"]) for s in mine] == [
        (True, "", ""),
        (False, "Mobile Safari", "iOS"),
    ]
    page = web.client.get("/profile").text
    assert "Mobile Safari på iOS" in page
    stored = web.accounts.sessions.of_person(listed_person(web), stage="done")
    assert sorted(s.agent for s in stored) == sorted([IPHONE, "testclient"])


def listed_person(web: Web) -> Any:
    account = web.accounts.accounts.by_username("kari")
    assert account is not None
    return account.person_id
