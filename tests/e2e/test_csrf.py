"""CSRF tokens bound to the session, same-site checks, and cookies cleared as they were set."""

import pytest
from structlog.testing import capture_logs

from tests.e2e.conftest import PASSWORD, Web
from tests.leakcheck import remember

LOGIN = "/api/v1/session"
NEW_PASSWORD = "et helt nytt og langt utsagn"
remember(NEW_PASSWORD)
CHANGE = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}


def log_in_with_token(web: Web, username: str) -> tuple[str, dict[str, str]]:
    """Log `username` in on a fresh cookie jar; their session token and CSRF header."""
    web.client.cookies.clear()
    web.login(username)
    headers = web.csrf_headers()
    remember(next(iter(headers.values())))
    return web.client.cookies["__Host-sid"], headers


def use_session(web: Web, token: str) -> None:
    web.client.cookies.clear()
    web.client.cookies.set("__Host-sid", token, domain="stafett.test")


def password_still_works(web: Web, username: str, password: str = PASSWORD) -> bool:
    web.client.cookies.clear()
    response = web.client.post(LOGIN, json={"username": username, "password": password})
    return response.status_code == 200


def test_another_users_csrf_token_is_refused_with_my_session(web: Web) -> None:
    web.create_user("kari")
    web.create_user("ola")
    _, ola_headers = log_in_with_token(web, "ola")
    kari_session, _ = log_in_with_token(web, "kari")
    use_session(web, kari_session)
    with capture_logs() as logs:
        response = web.client.put("/api/v1/me/password", json=CHANGE, headers=ola_headers)
    assert response.status_code == 403
    assert [e["reason"] for e in logs if e["event"] == "malicious_csrf"] == ["wrong token"]
    assert password_still_works(web, "kari")


def test_a_change_without_the_token_is_refused_and_logged(web: Web) -> None:
    web.create_user("kari")
    log_in_with_token(web, "kari")
    with capture_logs() as logs:
        response = web.client.put("/api/v1/me/password", json=CHANGE)
    assert response.status_code == 403
    assert [e["reason"] for e in logs if e["event"] == "malicious_csrf"] == ["missing token"]
    assert password_still_works(web, "kari")


def test_the_token_from_an_earlier_session_of_the_same_user_is_refused(web: Web) -> None:
    web.create_user("kari")
    _, old_headers = log_in_with_token(web, "kari")
    log_in_with_token(web, "kari")
    response = web.client.put("/api/v1/me/password", json=CHANGE, headers=old_headers)
    assert response.status_code == 403


def test_the_token_is_the_documented_header_and_differs_between_sessions(web: Web) -> None:
    web.create_user("kari")
    _, first = log_in_with_token(web, "kari")
    _, second = log_in_with_token(web, "kari")
    assert list(first) == list(second) == ["x-csrftoken"]
    assert first != second
    assert len(first["x-csrftoken"]) == 64  # HMAC-SHA-256, hex


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_change_from_another_site_is_refused_even_with_the_right_token(
    web: Web, headers: dict[str, str]
) -> None:
    web.create_user("kari")
    _, csrf = log_in_with_token(web, "kari")
    with capture_logs() as logs:
        response = web.client.put("/api/v1/me/password", json=CHANGE, headers={**csrf, **headers})
    assert response.status_code == 403
    assert [e["reason"] for e in logs if e["event"] == "malicious_csrf"] == ["cross-site request"]
    assert password_still_works(web, "kari")


def test_a_login_posted_from_another_site_is_refused(web: Web) -> None:
    """Login CSRF: another site must not log the browser into an account of its choosing."""
    web.create_user("kari")
    response = web.client.post(
        LOGIN,
        json={"username": "kari", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert web.messages() == []  # no code was sent


def test_a_change_from_our_own_origin_passes(web: Web) -> None:
    web.create_user("kari")
    _, csrf = log_in_with_token(web, "kari")
    same = {"Origin": "https://stafett.test", "Sec-Fetch-Site": "same-origin"}
    response = web.client.put("/api/v1/me/password", json=CHANGE, headers={**csrf, **same})
    assert response.status_code == 204


def test_a_form_a_browser_posts_with_a_null_origin_from_our_own_page_passes(web: Web) -> None:
    """Our `Referrer-Policy: no-referrer` makes browsers send `Origin: null` with every
    form; `Sec-Fetch-Site` still says it comes from our own page."""
    web.create_user("kari")
    _, csrf = log_in_with_token(web, "kari")
    own_form = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    response = web.client.put("/api/v1/me/password", json=CHANGE, headers={**csrf, **own_form})
    assert response.status_code == 204
    cross = {"Origin": "null", "Sec-Fetch-Site": "cross-site"}
    response = web.client.put("/api/v1/me/password", json=CHANGE, headers={**csrf, **cross})
    assert response.status_code == 403


def test_logout_without_the_token_is_refused_and_the_session_lives_on(web: Web) -> None:
    web.create_user("kari")
    log_in_with_token(web, "kari")
    response = web.client.delete(LOGIN)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
    assert web.client.get("/api/v1/me").status_code == 200


def test_logout_with_the_token_expires_the_cookie_with_the_attributes_it_was_set_with(
    web: Web,
) -> None:
    web.create_user("kari")
    token, csrf = log_in_with_token(web, "kari")
    response = web.client.delete(LOGIN, headers=csrf)
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-sid=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=strict", "path=/", "max-age=0"} <= attributes
    assert not any(a.startswith("domain") for a in attributes)
    use_session(web, token)
    assert web.client.get("/api/v1/me").status_code == 401


def test_abandoning_a_login_half_way_needs_no_token(web: Web) -> None:
    """Before the code step there is no full session, so nothing to protect yet."""
    web.create_user("kari")
    remember(PASSWORD)
    web.client.post(LOGIN, json={"username": "kari", "password": PASSWORD})
    web.last_code()
    assert web.client.delete(LOGIN).status_code == 204


def test_a_same_origin_form_with_an_opaque_origin_passes_as_chromium_sends_it(web: Web) -> None:
    """Under `Referrer-Policy: no-referrer` Chromium sends `Origin: null` with a form of our
    own page, and `Sec-Fetch-Site: same-origin`, which a page cannot forge."""
    web.create_user("kari")
    response = web.client.post(
        "/login",
        data={"username": "kari", "password": PASSWORD},
        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert len(web.messages()) == 1  # the code went out


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "null"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://stafett.test", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_an_opaque_or_contradicted_origin_is_another_site(
    web: Web, headers: dict[str, str]
) -> None:
    web.create_user("kari")
    response = web.client.post(
        "/login",
        data={"username": "kari", "password": PASSWORD},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert web.messages() == []
