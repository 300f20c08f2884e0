"""Password reset and change: links used up only by an accepted password, answers that do the
same work for every name, and notices on every channel (issue 8, finding 8)."""

import threading
from datetime import timedelta
from typing import Any

import pytest
from structlog.testing import capture_logs

from stafett.aggregates.errors import NotPermittedError
from stafett.applications.accounts import OtpChannel
from stafett.persistence.sessions import digest
from tests.e2e.conftest import PASSWORD, Web
from tests.leakcheck import remember

RESET = "/api/v1/password-reset"
NEW = "ny frase etter glemt"
OTHER = "ærlig øl på årsmøtet"
remember(NEW)
remember(OTHER)


def reset_link(web: Web, username: str = "kari") -> str:
    assert web.client.post(RESET, json={"username": username}).status_code == 202
    token = web.messages()[-1]["body"].split("/reset/")[1].split()[0]
    remember(token)  # the request log names the route, never the path that holds it
    return token


def complete(web: Web, token: str, password: str) -> int:
    return web.client.post(f"{RESET}/{token}", json={"new_password": password}).status_code


def password_works(web: Web, password: str, username: str = "kari") -> bool:
    web.client.cookies.clear()
    response = web.client.post("/api/v1/session", json={"username": username, "password": password})
    web.client.cookies.clear()
    return response.status_code == 200


@pytest.mark.parametrize(
    ("refused", "reason"),
    [("aaaaaaaaaaaa", "easy_to_guess"), ("password1234", "too_common"), ("kort", "too_short")],
)
def test_a_refused_password_leaves_the_reset_link_usable(
    web: Web, refused: str, reason: str
) -> None:
    web.create_user("kari", channel=OtpChannel.SMS)
    token = reset_link(web)
    response = web.client.post(f"{RESET}/{token}", json={"new_password": refused})
    assert response.status_code == 422
    assert response.json()["field"] == "new_password"
    assert response.json()["reason"] == reason
    assert complete(web, token, NEW) == 204
    assert complete(web, token, OTHER) == 403  # and now it is used up
    assert password_works(web, NEW)


def test_a_reset_cannot_set_the_current_password_again(web: Web) -> None:
    web.create_user("kari", channel=OtpChannel.SMS)
    token = reset_link(web)
    response = web.client.post(f"{RESET}/{token}", json={"new_password": PASSWORD})
    assert response.status_code == 422
    assert "must differ from your current password" in response.json()["detail"]
    assert complete(web, token, NEW) == 204


def test_two_completions_of_one_link_at_once_set_only_one_password(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both pass the checks before either uses the link up; only one may win."""
    web.create_user("kari", channel=OtpChannel.SMS)
    token = reset_link(web)
    both_checked = threading.Barrier(2, timeout=10)
    original = web.accounts.hashing.hash

    def hash_then_wait(password: str) -> str:
        hashed = original(password)
        both_checked.wait()
        return hashed

    monkeypatch.setattr(web.accounts.hashing, "hash", hash_then_wait)
    outcomes: dict[str, str] = {}

    def attempt(password: str) -> None:
        try:
            web.accounts.complete_reset(token, password)
            outcomes[password] = "set"
        except NotPermittedError:
            outcomes[password] = "refused"

    threads = [threading.Thread(target=attempt, args=(p,)) for p in (NEW, OTHER)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["refused", "set"]
    winner = next(p for p, outcome in outcomes.items() if outcome == "set")
    loser = OTHER if winner == NEW else NEW
    monkeypatch.setattr(web.accounts.hashing, "hash", original)
    assert password_works(web, winner)
    assert not password_works(web, loser)
    assert [kind for kind, _ in web.accounts.accounts.facts_of(web_person(web))].count(
        "password_reset"
    ) == 1


def web_person(web: Web, username: str = "kari") -> Any:
    account = web.accounts.accounts.by_username(username)
    assert account is not None
    return account.person_id


@pytest.mark.parametrize("username", ["kari", "nobody"])
def test_the_reset_answer_goes_out_before_any_lookup_whether_or_not_the_name_exists(
    web: Web, monkeypatch: pytest.MonkeyPatch, username: str
) -> None:
    """SEC-REC-01 without a timing test: the handler does no per-name work at all."""
    web.create_user("kari", channel=OtpChannel.SMS)
    order: list[str] = []
    app = web.client.app
    inner = app.asgi_handler

    async def noting_the_answer(scope: Any, receive: Any, send: Any) -> None:
        async def noting_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                order.append(f"answer {message['status']}")
            await send(message)

        await inner(scope, receive, noting_send)

    monkeypatch.setattr(app, "asgi_handler", noting_the_answer)
    by_username = web.accounts.accounts.by_username

    def noting_lookup(name: str) -> Any:
        order.append("lookup")
        return by_username(name)

    monkeypatch.setattr(web.accounts.accounts, "by_username", noting_lookup)
    response = web.client.post(RESET, json={"username": username})
    assert response.status_code == 202
    assert response.content == b""
    assert order == ["answer 202", "lookup"]
    assert len(web.messages()) == (1 if username == "kari" else 0)  # the link still goes out


def test_a_failure_after_the_answer_is_logged_without_the_name(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(name: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(web.accounts.accounts, "by_username", broken)
    with capture_logs() as logs:
        response = web.client.post(RESET, json={"username": "kari-secret-name"})
    assert response.status_code == 202
    failures = [e for e in logs if e["event"] == "password_reset_failed"]
    assert failures == [
        {"event": "password_reset_failed", "error": "OSError", "log_level": "error"}
    ]


def test_a_completed_reset_is_announced_on_the_channel_that_did_not_carry_the_link(
    web: Web,
) -> None:
    web.create_user("kari", channel=OtpChannel.SMS)
    token = reset_link(web)
    before = len(web.messages())
    assert complete(web, token, NEW) == 204
    notices = web.messages()[before:]
    assert {(m["channel"], m["to"]) for m in notices} == {
        ("sms", "+4791234567"),
        ("email", "kari@example.no"),
    }
    for notice in notices:
        assert "satt på nytt" in notice["body"]
        assert token not in notice["body"]
        assert NEW not in notice["body"]
        assert "/reset/" not in notice["body"]


def test_a_password_change_is_announced_on_every_channel_without_the_password(web: Web) -> None:
    web.create_user("kari")
    web.login("kari")
    before = len(web.messages())
    body = {"current_password": PASSWORD, "new_password": NEW}
    response = web.client.put("/api/v1/me/password", json=body, headers=web.csrf_headers())
    assert response.status_code == 204
    notices = web.messages()[before:]
    assert {(m["channel"], m["to"]) for m in notices} == {
        ("sms", "+4791234567"),
        ("email", "kari@example.no"),
    }
    for notice in notices:
        assert "endret" in notice["body"]
        assert NEW not in notice["body"]
        assert PASSWORD not in notice["body"]


def test_the_link_page_says_at_once_when_the_link_is_used_or_expired(web: Web) -> None:
    """Not after the new password has been typed twice; opening the page uses nothing up."""
    web.create_user("kari", channel=OtpChannel.SMS)
    token = reset_link(web)
    for _ in range(2):
        live = web.client.get(f"/reset/{token}")
        assert live.status_code == 200
        assert 'name="new_password"' in live.text
        assert "Lenken er utløpt" not in live.text
    assert (
        web.submit(
            f"/reset/{token}", {"new_password": NEW, "new_password_again": NEW}, token=False
        ).status_code
        == 303
    )
    used = web.client.get(f"/reset/{token}")
    late = reset_link(web)
    web.clock.advance(timedelta(minutes=31))
    expired = web.client.get(f"/reset/{late}")
    for page in (used, expired, web.client.get(f"/reset/{'x' * 43}")):
        assert page.status_code == 410
        assert "Lenken er utløpt eller allerede brukt. Be om en ny." in page.text
        assert 'name="new_password"' not in page.text
        assert 'href="/password-reset"' in page.text
    # A form opened while the link was live and sent after it was used says the same.
    again = web.submit(
        f"/reset/{token}", {"new_password": OTHER, "new_password_again": OTHER}, token=False
    )
    assert again.status_code == 410
    assert "Lenken er utløpt eller allerede brukt." in again.text
    assert password_works(web, NEW)


def test_reset_links_are_limited_per_account_and_per_address(web: Web) -> None:
    """SEC-REC-01: at most three links an hour go to one account, the answer the same
    for the fourth; and the reset route counts toward one address's thirty login-type
    requests a minute."""
    web.create_user("kari", channel=OtpChannel.SMS)
    answers = [web.client.post(RESET, json={"username": "kari"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [202] * 4
    assert len({a.text for a in answers}) == 1
    assert len([m for m in web.messages() if "/reset/" in m["body"]]) == 3
    web.clock.advance(timedelta(minutes=61))
    assert web.client.post(RESET, json={"username": "kari"}).status_code == 202
    assert len([m for m in web.messages() if "/reset/" in m["body"]]) == 4
    web.clock.advance(timedelta(minutes=1))
    statuses = [web.client.post(RESET, json={"username": "ola"}).status_code for _ in range(31)]
    assert statuses == [202] * 30 + [429]


def test_the_link_names_the_configured_host_and_only_its_hash_is_stored(web: Web) -> None:
    """SEC-REC-02: a Host header cannot point the link elsewhere, and the database holds
    the token's SHA-256, not the token."""
    web.create_user("kari", channel=OtpChannel.SMS)
    asked = web.client.post(RESET, json={"username": "kari"}, headers={"Host": "evil.example"})
    assert asked.status_code == 202
    body = web.messages()[-1]["body"]
    token = body.split("/reset/")[1].split()[0]
    remember(token)
    assert "evil.example" not in body
    link = next(word for word in body.split() if "/reset/" in word)
    assert link == f"{web.accounts.public_url}/reset/{token}"
    sessions = web.accounts.sessions
    with sessions.cursor(commit=False) as c:
        sessions.execute(c, f"SELECT * FROM {sessions.resets}")
        rows = [dict(row) for row in c.fetchall()]
    assert [row["token_hash"] for row in rows] == [digest(token)]
    assert token not in repr(rows)
