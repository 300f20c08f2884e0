"""A one-time code is used once, and each guess spends a try, also when requests arrive
at the same instant (SEC-OTP-03); a login's writes never undo what another request
changed meanwhile.

Each test lets every request read the session and the account before any of them
writes (a barrier after the login's first read), which is what two requests on two
worker threads or two processes can do.
"""

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pyotp
import pytest

from stafett.applications.accounts import AccountService, OtpChannel
from stafett.applications.codes import CODE_TRIES, CodeRejectedError
from stafett.applications.lockout import Client
from stafett.persistence.recorders import to_micros
from stafett.persistence.sessions import digest
from tests.e2e.conftest import PASSWORD, Web
from tests.leakcheck import remember

CLIENT = Client("10.0.0.1")


def all_read_before_any_writes(
    monkeypatch: pytest.MonkeyPatch, accounts: AccountService, parties: int
) -> None:
    """The login's read of session and account returns to `parties` requests together."""
    barrier = threading.Barrier(parties, timeout=20)
    read = accounts._pre_auth

    def together(*args: Any, **kwargs: Any) -> Any:
        found = read(*args, **kwargs)
        barrier.wait()
        return found

    monkeypatch.setattr(accounts, "_pre_auth", together)


def at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run `calls` on threads of their own; each one's result, or the error it raised."""
    outcomes: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            outcomes[i] = calls[i]()
        except Exception as error:  # the outcome under test
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def password_step(web: Web) -> str:
    """The pre-auth token after the right password."""
    step = web.accounts.begin_login("kari", PASSWORD, CLIENT)
    remember(step.token)
    return step.token


def test_one_code_sent_twice_at_once_lets_in_one_session(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = web.create_user("kari")
    token = password_step(web)
    code = web.last_code()
    all_read_before_any_writes(monkeypatch, web.accounts, 2)
    outcomes = at_once([lambda: web.accounts.verify_code(token, code, CLIENT)] * 2)
    refused = [o for o in outcomes if isinstance(o, CodeRejectedError)]
    assert len(refused) == 1, outcomes
    assert web.accounts.sessions.count_of(person) == 1


def test_guesses_sent_at_once_each_spend_a_try(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    web.create_user("kari")
    token = password_step(web)
    code = web.last_code()
    wrong = "000000" if code != "000000" else "111111"
    all_read_before_any_writes(monkeypatch, web.accounts, CODE_TRIES)
    outcomes = at_once([lambda: web.accounts.verify_code(token, wrong, CLIENT)] * CODE_TRIES)
    assert all(isinstance(o, CodeRejectedError) for o in outcomes), outcomes
    session = web.accounts.sessions.get(token)
    assert session is not None
    assert session.code_attempts == CODE_TRIES
    monkeypatch.undo()
    web.accounts.unlock("kari")  # the failures also lock the account: lift that lock
    with pytest.raises(CodeRejectedError):  # the tries are used up: the right code too
        web.accounts.verify_code(token, code, CLIENT)


def test_one_authenticator_code_opens_one_of_two_logins_at_once(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = web.create_user("kari")
    secret = pyotp.random_base32()
    remember(secret)
    now = web.clock.now
    web.accounts.accounts.set_pending_totp(person, secret, at=now)
    assert web.accounts.accounts.confirm_pending_totp(
        person, secret, step=0, channel=OtpChannel.TOTP.value, at=now
    )
    first, second = password_step(web), password_step(web)
    code = pyotp.TOTP(secret).at(now)
    all_read_before_any_writes(monkeypatch, web.accounts, 2)
    outcomes = at_once(
        [partial(web.accounts.verify_code, t, code, CLIENT) for t in (first, second)]
    )
    refused = [o for o in outcomes if isinstance(o, CodeRejectedError)]
    assert len(refused) == 1, outcomes


def test_a_lock_set_while_terms_are_accepted_stays(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = web.create_user("kari")
    token = password_step(web)
    terms = web.accounts.verify_code(token, web.last_code(), CLIENT).token
    read = web.accounts._pre_auth

    def then_an_administrator_locks(*args: Any, **kwargs: Any) -> Any:
        found = read(*args, **kwargs)
        web.accounts.accounts.set_flag(
            person, "hard_locked", True, at=web.clock.now, fact="locked", detail="test"
        )
        return found

    monkeypatch.setattr(web.accounts, "_pre_auth", then_an_administrator_locks)
    web.accounts.answer_terms(terms, accept=True)
    account = web.accounts.accounts.by_person(person)
    assert account is not None
    assert account.hard_locked
    assert account.terms_version is not None


def test_a_session_used_meanwhile_keeps_its_new_code(web: Web) -> None:
    """The idle-expiry touch of one request does not undo a code another issued."""
    web.create_user("kari")
    web.login("kari")
    token = web.client.cookies["__Host-sid"]
    session = web.accounts.sessions.get(token)
    assert session is not None
    web.accounts.sessions.set_code(
        digest(token), "a-code-just-issued", expires=to_micros(later(web))
    )
    web.accounts.sessions.touch(session.token_hash, at=session.last_seen + 60_000_000)
    after = web.accounts.sessions.get(token)
    assert after is not None
    assert after.code_hmac == "a-code-just-issued"
    assert after.last_seen == session.last_seen + 60_000_000
    web.accounts.sessions.touch(session.token_hash, at=session.last_seen)  # never back
    again = web.accounts.sessions.get(token)
    assert again is not None
    assert again.last_seen == session.last_seen + 60_000_000


def later(web: Web) -> datetime:
    return web.clock.now + timedelta(minutes=5)
