"""Login through the API: password → one-time code → terms → session (api.md, SEC-*)."""

import secrets
from datetime import timedelta

import pytest

from stafett.applications import accounts as accounts_module
from stafett.applications.accounts import OtpChannel
from stafett.applications.passwords import PasswordHashing
from stafett.persistence.recorders import to_micros
from stafett.persistence.sessions import digest
from tests.e2e.conftest import PASSWORD, SECRETS, Web
from tests.leakcheck import remember

LOGIN = "/api/v1/session"


def start(web: Web, username: str = "kari", password: str = PASSWORD) -> dict[str, str]:
    remember(password)
    response = web.client.post(LOGIN, json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def attempt(web: Web, password: str, username: str = "kari") -> int:
    return web.client.post(LOGIN, json={"username": username, "password": password}).status_code


def code_step(web: Web, code: str) -> int:
    return web.client.post(f"{LOGIN}/otp", json={"code": code}).status_code


def test_a_new_user_logs_in_accepts_the_terms_once_and_logs_out(web: Web) -> None:
    web.create_user("kari")
    assert start(web) == {"next": "otp", "channel": "email"}
    response = web.client.post(f"{LOGIN}/otp", json={"code": web.last_code()})
    assert response.json() == {"next": "terms"}
    assert web.client.get("/api/v1/me").status_code == 401  # terms not yet accepted
    assert web.client.post(f"{LOGIN}/terms", json={"accept": True}).json() == {"next": "done"}
    me = web.client.get("/api/v1/me").json()
    assert me["username"] == "kari"
    assert me["name"] == "Kari Testesen"
    assert me["csrf"]["header"] == "x-csrftoken"
    web.logout()
    assert web.client.get("/api/v1/me").status_code == 401
    start(web)
    assert web.client.post(f"{LOGIN}/otp", json={"code": web.last_code()}).json() == {
        "next": "done"
    }


def test_declining_the_terms_ends_the_session(web: Web) -> None:
    web.create_user("kari")
    start(web)
    code_step(web, web.last_code())
    assert web.client.post(f"{LOGIN}/terms", json={"accept": False}).json() == {"next": "done"}
    assert web.client.get("/api/v1/me").status_code == 401
    assert web.client.post(f"{LOGIN}/terms", json={"accept": True}).status_code == 401


@pytest.mark.parametrize("case", ["unknown user", "wrong password", "locked account"])
def test_failed_logins_answer_alike_whatever_the_reason(web: Web, case: str) -> None:
    """SEC-OTP-08: no user enumeration."""
    web.create_user("kari")
    if case == "locked account":
        for _ in range(10):
            web.client.post(LOGIN, json={"username": "kari", "password": "feil passord her"})
    username = "nobody" if case == "unknown user" else "kari"
    password = "feil passord her" if case == "wrong password" else PASSWORD
    response = web.client.post(LOGIN, json={"username": username, "password": password})
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "type": "/problems/401",
        "title": "Feil brukernavn eller passord",
        "detail": "Feil brukernavn eller passord",
    }


def test_the_code_has_six_digits_from_the_secrets_module(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SEC-OTP-01."""
    web.create_user("kari")
    monkeypatch.setattr(secrets, "randbelow", lambda n: 4_2)
    start(web)
    assert web.last_code() == "000042"


def test_a_code_is_valid_for_five_minutes(web: Web) -> None:
    """SEC-OTP-02."""
    web.create_user("kari")
    start(web)
    web.clock.advance(timedelta(minutes=4, seconds=59))
    assert code_step(web, web.last_code()) == 200
    web.client.cookies.clear()
    start(web)
    web.clock.advance(timedelta(minutes=5, seconds=1))
    assert code_step(web, web.last_code()) == 401


def test_a_code_works_once_and_only_for_its_own_login(web: Web) -> None:
    """SEC-OTP-03: replay, another login attempt, and a code voided by a newer one."""
    web.create_user("kari")
    start(web)
    first_code = web.last_code()
    assert web.client.post(f"{LOGIN}/otp/resend").status_code == 200
    assert code_step(web, first_code) == 401  # voided by the new code
    code = web.last_code()
    assert code_step(web, code) == 200
    assert code_step(web, code) == 401  # replay

    web.client.cookies.clear()
    start(web)
    code_a = web.last_code()
    web.client.cookies.clear()
    start(web)
    assert code_step(web, code_a) == 401  # attempt A's code in attempt B


def test_five_wrong_codes_void_the_code(web: Web) -> None:
    """SEC-OTP-04 (per code)."""
    web.create_user("kari")
    start(web)
    code = web.last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert code_step(web, wrong) == 401
    assert code_step(web, code) == 401


def test_ten_failures_lock_browsers_the_account_does_not_know_for_fifteen_minutes(
    web: Web,
) -> None:
    """SEC-OTP-04 (per account), decision 0010: the right password is refused while locked."""
    web.create_user("kari")
    for address in ("10.0.0.1", "10.0.0.2"):  # five from each: one address locks at five
        with web.from_address(address):
            for _ in range(5):
                assert attempt(web, "feil passord her") == 401
    with web.from_address("10.0.0.3"):
        assert attempt(web, PASSWORD) == 401
    kari = web.accounts.accounts.by_username("kari")
    assert kari is not None
    assert ("locked", "untrusted") in web.accounts.accounts.facts_of(kari.person_id)
    web.clock.advance(timedelta(minutes=15, seconds=1))
    with web.from_address("10.0.0.3"):
        assert start(web)["next"] == "otp"


def test_a_hundred_failures_lock_until_an_administrator_releases(web: Web) -> None:
    web.create_user("kari")
    for _ in range(100):
        web.client.post(LOGIN, json={"username": "kari", "password": "feil passord her"})
        web.clock.advance(timedelta(minutes=16))
    account = web.accounts.accounts.by_username("kari")
    assert account is not None
    assert account.hard_locked
    web.clock.advance(timedelta(days=30))
    assert (
        web.client.post(LOGIN, json={"username": "kari", "password": PASSWORD}).status_code == 401
    )


def test_the_code_and_the_token_are_stored_only_as_digests(web: Web) -> None:
    """SEC-OTP-05 and SEC-SES-01: neither the code nor the session token is in the database."""
    web.create_user("kari")
    start(web)
    code = web.last_code()
    token = web.client.cookies["__Host-sid"]
    sessions = web.accounts.sessions
    with sessions.cursor(commit=False) as c:
        c.execute(f"SELECT * FROM {sessions.sessions}")
        rows = [" ".join(str(value) for value in dict(row).values()) for row in c.fetchall()]
    assert len(rows) == 1
    assert digest(token) in rows[0]
    assert token not in rows[0]
    assert code not in rows[0].replace(digest(token), "")


def test_every_login_step_issues_a_new_session_id(web: Web) -> None:
    """SEC-SES-02: a session id planted before login is never promoted."""
    web.create_user("kari")
    planted = "planted-by-an-attacker-" + "x" * 20
    web.client.cookies.set("__Host-sid", planted, domain="stafett.test")
    start(web)
    after_password = web.client.cookies["__Host-sid"]
    assert after_password != planted
    code_step(web, web.last_code())
    after_code = web.client.cookies["__Host-sid"]
    assert after_code != after_password
    web.client.post(f"{LOGIN}/terms", json={"accept": True})
    after_terms = web.client.cookies["__Host-sid"]
    assert after_terms != after_code
    for old in (planted, after_password, after_code):
        web.client.cookies.set("__Host-sid", old, domain="stafett.test")
        assert web.client.get("/api/v1/me").status_code == 401
    web.client.cookies.set("__Host-sid", after_terms, domain="stafett.test")
    assert web.client.get("/api/v1/me").status_code == 200


def test_the_session_cookie_is_host_only_secure_httponly_and_strict(web: Web) -> None:
    """SEC-SES-03."""
    web.create_user("kari")
    response = web.client.post(LOGIN, json={"username": "kari", "password": PASSWORD})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-sid=")
    for attribute in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert attribute.lower() in cookie.lower()
    assert "domain" not in cookie.lower()
    assert len(web.client.cookies["__Host-sid"]) >= 43  # 32 bytes, base64
    # Each step's cookie lives as long as the browser does, never past the session's
    # absolute timeout on a disk (litestar's own sessions default to 14 days).
    code = web.client.post("/api/v1/session/otp", json={"code": web.last_code()})
    terms = web.client.post("/api/v1/session/terms", json={"accept": True})
    for step in (response, code, terms):
        session_cookies = [
            value
            for name, value in step.headers.multi_items()
            if name == "set-cookie" and value.startswith("__Host-sid=")
        ]
        assert len(session_cookies) == 1, step.request.url
        assert "max-age" not in session_cookies[0].lower()
        assert "expires" not in session_cookies[0].lower()


def test_a_session_ends_after_fifteen_idle_minutes(web: Web) -> None:
    """SEC-SES-04: a request after 14:59 of quiet succeeds; after 15:01 of quiet it
    answers 401, and the session cannot be used again even once the clock is back
    inside the window (it is ended, kept only for the forms of decision 0039)."""
    web.create_user("kari")
    web.login("kari")
    web.clock.advance(timedelta(minutes=14, seconds=59))
    assert web.client.get("/api/v1/me").status_code == 200
    web.clock.advance(timedelta(minutes=15, seconds=1))
    assert web.client.get("/api/v1/me").status_code == 401
    web.clock.advance(timedelta(seconds=-30))
    assert web.client.get("/api/v1/me").status_code == 401


def test_a_session_ends_after_eight_hours_however_busy(web: Web) -> None:
    """SEC-SES-05."""
    web.create_user("kari")
    web.login("kari")
    for _ in range(8 * 6):
        web.clock.advance(timedelta(minutes=10))
        assert web.client.get("/api/v1/me").status_code == 200
    web.clock.advance(timedelta(minutes=1))
    assert web.client.get("/api/v1/me").status_code == 401


def test_logout_kills_the_session_server_side(web: Web) -> None:
    """SEC-SES-06."""
    web.create_user("kari")
    web.login("kari")
    token = web.client.cookies["__Host-sid"]
    response = web.client.delete(LOGIN, headers=web.csrf_headers())
    assert response.status_code == 204
    # "cookies" would wipe the device cookie too (decision 0010); the session cookie is
    # expired by name instead (tests/e2e/test_csrf.py).
    assert response.headers["clear-site-data"] == '"cache", "storage"'
    web.client.cookies.set("__Host-sid", token, domain="stafett.test")
    assert web.client.get("/api/v1/me").status_code == 401


def test_a_password_change_needs_the_current_password_and_a_csrf_token(web: Web) -> None:
    web.create_user("kari")
    web.login("kari")
    body = {"current_password": PASSWORD, "new_password": "et helt nytt og langt utsagn"}
    assert web.client.put("/api/v1/me/password", json=body).status_code == 403  # no token
    headers = web.csrf_headers()
    wrong = {**body, "current_password": "ikke mitt passord i det hele tatt"}
    assert web.client.put("/api/v1/me/password", json=wrong, headers=headers).status_code == 403
    assert web.client.put("/api/v1/me/password", json=body, headers=headers).status_code == 204
    web.logout()
    assert (
        web.client.post(LOGIN, json={"username": "kari", "password": PASSWORD}).status_code == 401
    )
    assert start(web, password="et helt nytt og langt utsagn")["next"] == "otp"


def test_a_password_change_ends_the_users_other_sessions(web: Web) -> None:
    """SEC-REC-03."""
    web.create_user("kari")
    web.login("kari")
    other_session = web.client.cookies["__Host-sid"]
    web.client.cookies.clear()
    web.login("kari")
    body = {"current_password": PASSWORD, "new_password": "et helt nytt og langt utsagn"}
    response = web.client.put("/api/v1/me/password", json=body, headers=web.csrf_headers())
    assert response.status_code == 204
    assert web.client.get("/api/v1/me").status_code == 200
    web.client.cookies.set("__Host-sid", other_session, domain="stafett.test")
    assert web.client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("kort utsagn!", "at least 12"),  # 12 characters passes length; see next case
        ("elleve tegn", "at least 12"),
        ("password1234", "too common"),
        ("kari-sitt-passord", "must not contain"),
        ("x" * 129, "at most 128"),
        ("aaaaaaaaaaaa", "too easy to guess (repetitions)"),
        ("1990-01-01-19", "too easy to guess (dates)"),
        ("\u200b".join("password1234"), "too common"),
        (PASSWORD, "must differ from your current password"),
        ("\u200d" + PASSWORD + "\u00ad", "must differ from your current password"),
    ],
)
def test_weak_new_passwords_are_refused_naming_the_field(
    web: Web, password: str, reason: str
) -> None:
    """SEC-PWP-01..03, and the strength estimate, invisible padding and reuse (issue 8)."""
    web.create_user("kari")
    web.login("kari")
    body = {"current_password": PASSWORD, "new_password": password}
    response = web.client.put("/api/v1/me/password", json=body, headers=web.csrf_headers())
    if password == "kort utsagn!":
        assert response.status_code == 204  # exactly 12 code points is enough
        return
    assert response.status_code == 422
    assert response.json()["field"] == "new_password"
    assert reason in response.json()["detail"]


def test_a_password_set_with_invisible_characters_logs_in_without_them_and_back(
    web: Web,
) -> None:
    """Login normalises as the policy did: the cleaned password is the one stored."""
    padded = "\u200b".join("ærlig øl på årsmøtet") + "\ufeff"
    remember(padded)
    web.create_user("kari", password=padded)
    assert start(web, password="ærlig øl på årsmøtet")["next"] == "otp"
    web.client.cookies.clear()
    assert start(web, password=padded)["next"] == "otp"


def test_a_reset_request_answers_the_same_whether_or_not_the_user_exists(web: Web) -> None:
    """SEC-REC-01."""
    web.create_user("kari", channel=OtpChannel.SMS)
    known = web.client.post("/api/v1/password-reset", json={"username": "kari"})
    unknown = web.client.post("/api/v1/password-reset", json={"username": "nobody"})
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert len(web.messages()) == 1


def test_a_reset_link_works_once_within_thirty_minutes_and_never_logs_in(web: Web) -> None:
    """SEC-REC-02 and -03."""
    web.create_user("kari", channel=OtpChannel.SMS)
    web.login("kari")
    old_session = web.client.cookies["__Host-sid"]
    web.client.cookies.clear()
    web.client.post("/api/v1/password-reset", json={"username": "kari"})
    token = web.messages()[-1]["body"].split("/reset/")[1].split()[0]
    remember(token)
    new = {"new_password": "ny frase etter glemt"}
    assert web.client.post(f"/api/v1/password-reset/{token}", json=new).status_code == 204
    assert web.client.post(f"/api/v1/password-reset/{token}", json=new).status_code == 403
    assert web.client.get("/api/v1/me").status_code == 401
    web.client.cookies.set("__Host-sid", old_session, domain="stafett.test")
    assert web.client.get("/api/v1/me").status_code == 401
    web.client.cookies.clear()
    assert start(web, password="ny frase etter glemt")["next"] == "otp"

    web.client.post("/api/v1/password-reset", json={"username": "kari"})
    late = web.messages()[-1]["body"].split("/reset/")[1].split()[0]
    remember(late)
    web.clock.advance(timedelta(minutes=30, seconds=1))
    assert web.client.post(f"/api/v1/password-reset/{late}", json=new).status_code == 403


def test_too_many_codes_answer_429_with_retry_after(web: Web) -> None:
    web.create_user("kari")
    start(web)
    for _ in range(4):
        assert web.client.post(f"{LOGIN}/otp/resend").status_code == 200
    response = web.client.post(f"{LOGIN}/otp/resend")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "900"


def test_at_most_twenty_codes_a_day_go_to_one_person(web: Web) -> None:
    """SEC-OTP-04: five in any 15 minutes, and twenty in any 24 hours."""
    web.create_user("kari")
    for _ in range(4):  # four quarters of an hour, five codes each
        web.client.cookies.clear()
        start(web)
        for _ in range(4):
            assert web.client.post(f"{LOGIN}/otp/resend").status_code == 200
        web.clock.advance(timedelta(minutes=16))
    assert len(web.messages()) == 20
    web.client.cookies.clear()
    refused = web.client.post(LOGIN, json={"username": "kari", "password": PASSWORD})
    assert refused.status_code == 429
    assert 22 * 3600 < int(refused.headers["retry-after"]) <= 24 * 3600
    assert len(web.messages()) == 20
    web.client.cookies.clear()
    page = web.submit("/login", {"username": "kari", "password": PASSWORD}, token=False)
    # The password was right: the page says why no code came, not a lockout (22 h 56 min).
    assert "Du har fått mange koder den siste tiden. Vent 23 timer" in page.text
    web.clock.advance(timedelta(seconds=int(refused.headers["retry-after"])))
    web.client.cookies.clear()
    start(web)  # the first of the day's codes has left the window
    assert len(web.messages()) == 21


def test_unknown_fields_and_wrong_types_are_rejected(web: Web) -> None:
    extra = web.client.post(LOGIN, json={"username": "a", "password": "b", "admin": True})
    wrong = web.client.post(LOGIN, json={"username": 1, "password": "b"})
    assert extra.status_code == wrong.status_code == 422
    assert "Traceback" not in extra.text


def test_a_database_outage_answers_503_with_retry_after_never_a_trace(web: Web) -> None:
    web.create_user("kari")
    web.login("kari")
    web.plans.close()
    response = web.client.get("/api/v1/me")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "Traceback" not in response.text
    login = web.client.post(LOGIN, json={"username": "kari", "password": PASSWORD})
    assert login.status_code == 503


def test_more_than_thirty_login_requests_a_minute_from_one_address_answer_429(web: Web) -> None:
    for _ in range(30):
        assert attempt(web, "feil passord her", username="nobody") == 401
    response = web.client.post(LOGIN, json={"username": "nobody", "password": "x" * 12})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "60"
    web.clock.advance(timedelta(minutes=1))
    assert attempt(web, "feil passord her", username="nobody") == 401


def test_malformed_json_is_bad_input_answered_422(web: Web) -> None:
    response = web.client.post(
        LOGIN,
        content=b'{"username": "kari", "password"',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/422"


def test_no_reset_link_goes_to_the_mailbox_that_also_gets_the_login_codes(web: Web) -> None:
    """SEC-REC-02: e-mail would then hold both factors; the coordinator resets instead."""
    web.create_user("kari", channel=OtpChannel.EMAIL)
    response = web.client.post("/api/v1/password-reset", json={"username": "kari"})
    assert response.status_code == 202
    assert web.messages() == []


def test_an_unknown_user_costs_the_same_argon2_work_as_a_known_one(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SEC-OTP-08 timing: the password is verified (against a dummy hash) either way."""
    web.create_user("kari")
    verified: list[object] = []
    original = web.accounts.hashing.verify

    def spy(stored: str | None, password: str) -> bool:
        verified.append(stored)
        return original(stored, password)

    monkeypatch.setattr(web.accounts.hashing, "verify", spy)
    assert attempt(web, "feil passord her", username="nobody") == 401
    assert attempt(web, "feil passord her") == 401
    assert len(verified) == 2
    assert verified[0] is None
    assert isinstance(verified[1], str)


def test_a_fourth_login_ends_the_oldest_of_three_sessions(web: Web) -> None:
    """SEC-SES-07: at most three concurrent sessions per person; the oldest is evicted."""
    web.create_user("kari")
    sessions = []
    for _ in range(4):
        web.client.cookies.clear()
        web.login("kari")
        sessions.append(web.client.cookies["__Host-sid"])
        web.clock.advance(timedelta(seconds=1))
    web.client.cookies.clear()

    def answers(token: str) -> int:
        web.client.cookies.set("__Host-sid", token, domain="stafett.test")
        status = web.client.get("/api/v1/me").status_code
        web.client.cookies.clear()
        return status

    assert [answers(token) for token in sessions] == [401, 200, 200, 200]
    account = web.accounts.accounts.by_username("kari")
    assert account is not None
    assert web.accounts.sessions.count_of(account.person_id) == 3


def test_a_session_past_its_idle_timeout_does_not_push_out_one_in_use(web: Web) -> None:
    """SEC-SES-07 counts sessions in use: one already ended by its idle timeout (its row
    kept for a while, decision 0040) is not among the three a fourth login keeps."""
    web.create_user("kari")

    def log_in() -> str:
        web.client.cookies.clear()
        web.login("kari")
        token = web.client.cookies["__Host-sid"]
        web.client.cookies.clear()
        web.clock.advance(timedelta(seconds=1))
        return token

    def answers(token: str) -> int:
        web.client.cookies.set("__Host-sid", token, domain="stafett.test")
        status = web.client.get("/api/v1/me").status_code
        web.client.cookies.clear()
        return status

    phone = log_in()
    laptop = log_in()  # started later than the phone's, then left
    web.clock.advance(timedelta(minutes=10))
    assert answers(phone) == 200  # the phone is in use
    web.clock.advance(timedelta(minutes=6))  # the laptop has idled 16 minutes
    tablet, desktop = log_in(), log_in()

    assert [answers(t) for t in (phone, tablet, desktop)] == [200, 200, 200]
    assert answers(laptop) == 401


def test_the_session_a_login_starts_is_kept_when_logins_share_an_instant(web: Web) -> None:
    """Logins at one instant of the clock (five: the codes' limit): each one's own
    session stays, though the clock cannot tell it from the others."""
    person = web.create_user("kari")
    for _ in range(5):
        web.client.cookies.clear()
        web.login("kari")
        assert web.client.get("/api/v1/me").status_code == 200
    assert web.accounts.sessions.count_of(person) == 3
    sessions, now = web.accounts.sessions, web.clock.now
    for new in range(4):  # four sessions equal to the clock: whichever is new stays
        sessions.end_all_of(person)
        tied = [
            sessions.start(person, "done", at=now, authenticated_at=to_micros(now))
            for _ in range(4)
        ]
        evicted = sessions.keep_newest(
            person,
            stage="done",
            keep=3,
            new_token=tied[new],
            seen_after=to_micros(now),
            authenticated_after=to_micros(now),
        )
        assert evicted == 1
        assert sessions.get(tied[new]) is not None


def test_a_new_version_of_the_terms_is_asked_for_at_the_next_login(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SEC-INV-02: accepting the terms is for one version; raising `TERMS_VERSION` (a new
    text) asks everyone again, and until they accept, the session is not a login."""
    web.create_user("kari")
    web.login("kari")  # accepts version 1
    web.logout()
    monkeypatch.setattr(accounts_module, "TERMS_VERSION", 2)
    start(web)
    asked = web.client.post(f"{LOGIN}/otp", json={"code": web.last_code()})
    assert asked.json()["next"] == "terms"
    assert web.client.get("/api/v1/me").status_code == 401
    accepted = web.client.post(f"{LOGIN}/terms", json={"accept": True})
    assert accepted.json() == {"next": "done"}
    assert web.client.get("/api/v1/me").status_code == 200
    account = web.accounts.accounts.by_username("kari")
    assert account is not None
    assert account.terms_version == 2


def test_a_password_hashed_with_weaker_parameters_is_hashed_again_at_login(web: Web) -> None:
    """SEC-PW-04: when the service's Argon2id parameters rise, each account's hash is
    made again with them at its next login (the password is at hand only then)."""
    web.create_user("kari")  # hashed as the tests hash: the fastest parameters
    account = web.accounts.accounts.by_username("kari")
    assert account is not None
    assert account.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    web.accounts.hashing = PasswordHashing(SECRETS.password_pepper)  # production's
    start(web)
    account = web.accounts.accounts.by_username("kari")
    assert account is not None
    assert account.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    web.client.cookies.clear()
    web.login("kari")  # the new hash takes the same password


def test_a_password_does_not_expire(web: Web) -> None:
    """SEC-PWP-05: no forced periodic change; five years on, the same password logs in
    and the login asks for nothing but the code."""
    web.create_user("kari")
    web.login("kari")
    web.logout()
    web.clock.advance(timedelta(days=5 * 366))
    assert start(web)["next"] == "otp"
    done = web.client.post(f"{LOGIN}/otp", json={"code": web.last_code()})
    assert done.json()["next"] == "done"


def test_a_login_while_both_hashing_slots_are_taken_answers_503_and_when_to_come_back(
    web: Web,
) -> None:
    """SEC-PW-03: at most two password hashes at once; a third login waits a moment, then
    is told to come back (503, Retry-After), never queued without end."""
    web.create_user("kari")
    hashing = web.accounts.hashing
    hashing.wait_seconds = 0.05
    with hashing._slot(), hashing._slot():  # two logins hashing right now
        busy = web.client.post(LOGIN, json={"username": "kari", "password": PASSWORD})
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "5"
    assert busy.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in busy.text
    assert start(web)["next"] == "otp"  # the slots given back, the next login goes on
