"""SEC-SES-02 after login: a reauthentication gives the session a new token.

A step-up (a fresh one-time code) and a password change (the current password) are
authentication steps: the session goes on under a new token, the old one stops working
at once, and the session's CSRF token stays what it was, so a form open in another tab
still goes through (web/auth.py). On both stores, through the API and the pages.
"""

from datetime import timedelta

from stafett.persistence.sessions import digest
from stafett.web.auth import csrf_token
from tests.e2e.conftest import PASSWORD, Web
from tests.leakcheck import remember

SID = "__Host-sid"
STALE = timedelta(minutes=5, seconds=1)
NEW_PASSWORD = "en ny og lang setning om fjell"
remember(NEW_PASSWORD)


def _works(web: Web, token: str) -> bool:
    web.client.cookies.set(SID, token, domain="stafett.test")
    return web.client.get("/api/v1/me").status_code == 200


def _stored(web: Web, token: str) -> bool:
    return web.accounts.sessions.get(token) is not None


def test_a_step_up_renews_the_token_and_keeps_the_csrf_token(web: Web) -> None:
    web.create_user("kari")
    web.login("kari")
    old = web.client.cookies[SID]
    before = web.csrf_headers()
    web.clock.advance(STALE)

    web.step_up()

    new = web.client.cookies[SID]
    remember(new)
    assert new != old
    assert not _stored(web, old)
    assert not _works(web, old)
    assert _works(web, new)
    assert web.csrf_headers() == before
    # a form from before the step-up (another tab) goes through with the new cookie
    changed = web.client.patch("/api/v1/me", json={"workplace": "Skolen"}, headers=before)
    assert changed.status_code == 200, changed.text


def test_a_wrong_step_up_code_leaves_the_token_as_it_was(web: Web) -> None:
    web.create_user("kari")
    web.login("kari")
    old = web.client.cookies[SID]
    headers = web.csrf_headers()
    assert web.client.post("/api/v1/session/step-up/code", headers=headers).status_code == 204
    wrong = "000000" if web.last_code() != "000000" else "111111"
    refused = web.client.post("/api/v1/session/step-up", json={"code": wrong}, headers=headers)
    assert refused.status_code == 401
    assert "set-cookie" not in refused.headers
    assert _works(web, old)


def test_the_step_up_page_renews_the_token(web: Web) -> None:
    web.create_user("kari")
    web.page_login("kari")
    old = web.client.cookies[SID]
    web.clock.advance(STALE)
    sent = web.submit("/step-up/code", {"next": "/profile"})
    assert sent.status_code == 303, sent.text

    done = web.submit("/step-up", {"next": "/profile", "code": web.last_code()})

    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/profile"
    new = web.client.cookies[SID]
    remember(new)
    assert new != old
    assert not _works(web, old)
    assert _works(web, new)


def test_a_password_change_renews_the_token(web: Web) -> None:
    web.create_user("kari")
    web.login("kari")
    old = web.client.cookies[SID]
    before = web.csrf_headers()

    changed = web.client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=before,
    )

    assert changed.status_code == 204, changed.text
    new = web.client.cookies[SID]
    remember(new)
    assert new != old
    assert digest(new) != digest(old)
    assert not _works(web, old)
    assert _works(web, new)
    assert web.csrf_headers() == before


def test_the_password_page_renews_the_token(web: Web) -> None:
    web.create_user("kari")
    web.page_login("kari")
    old = web.client.cookies[SID]
    token = web.page_token("/profile")

    done = web.submit(
        "/profile/password",
        {
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )

    assert done.status_code == 303, done.text
    new = web.client.cookies[SID]
    remember(new)
    assert new != old
    assert not _works(web, old)
    assert _works(web, new)
    # the page's forms keep the token they had
    assert web.page_token("/profile") == token


def test_a_login_key_is_never_sent(web: Web) -> None:
    """The CSRF token is bound to the session row's login id, which no answer carries."""
    web.create_user("kari")
    web.login("kari")
    session = web.accounts.sessions.get(web.client.cookies[SID])
    assert session is not None
    assert session.login_id is not None
    for path in ("/api/v1/me", "/profile", "/plans"):
        assert session.login_id not in web.client.get(path).text


def test_a_principal_without_a_login_key_has_no_csrf_token() -> None:
    """No two sessions may share a token: a login key missing (a bug elsewhere) gives
    no token at all, and the empty token matches nothing."""
    assert csrf_token(b"k" * 32, "") == ""
    assert csrf_token(b"k" * 32, "a") != csrf_token(b"k" * 32, "b")
