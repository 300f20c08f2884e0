"""Failed logins that a stranger can cause never lock the owner's known browser out
(decision 0010, issue 8 finding 6; SEC-OTP-04, SEC-OTP-08)."""

from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from tests.e2e.conftest import PASSWORD, Web
from tests.leakcheck import remember

LOGIN = "/api/v1/session"
WRONG = "feil passord her"
DEVICE = "__Host-device"


def attempt(web: Web, password: str, username: str = "kari") -> int:
    remember(password)
    return web.client.post(LOGIN, json={"username": username, "password": password}).status_code


def full_login(web: Web, password: str = PASSWORD) -> int:
    """Password and code; the status of the last step that ran."""
    first = attempt(web, password)
    if first != 200:
        return first
    code = web.last_code()
    return web.client.post(f"{LOGIN}/otp", json={"code": code}).status_code


def known_browser(web: Web) -> str:
    """The owner logs in once and out again; the device cookie their browser keeps."""
    web.login("kari")
    device = web.client.cookies[DEVICE]
    web.logout()
    assert web.client.cookies[DEVICE] == device  # logout leaves it
    return device


def as_stranger(web: Web) -> None:
    """A browser without the owner's cookies."""
    web.client.cookies.clear()


def as_owner(web: Web, device: str) -> None:
    web.client.cookies.clear()
    web.client.cookies.set(DEVICE, device, domain="stafett.test")


def stranger_fails(web: Web, times: int, addresses: tuple[str, ...]) -> None:
    """`times` wrong passwords from each address (a minute apart per address batch)."""
    as_stranger(web)
    for address in addresses:
        with web.from_address(address):
            for _ in range(times):
                assert attempt(web, WRONG) == 401
        web.clock.advance(timedelta(minutes=1))


def test_a_strangers_failures_do_not_stop_the_owner_on_a_known_browser(web: Web) -> None:
    web.create_user("kari")
    device = known_browser(web)
    with capture_logs() as logs:
        stranger_fails(web, 6, ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"))
    assert {(e["scope"], e["hard"]) for e in logs if e["event"] == "authn_login_lock"} == {
        ("address", False),
        ("untrusted", False),
    }
    as_stranger(web)
    sent = len(web.messages())
    with web.from_address("10.0.0.5"):  # the stranger is locked, even with the password
        assert attempt(web, PASSWORD) == 401
    assert len(web.messages()) == sent  # and no code went out
    as_owner(web, device)
    assert full_login(web) == 200
    assert web.client.get("/api/v1/me").status_code == 200
    as_stranger(web)
    with web.from_address("10.0.0.5"):  # the owner's login did not unlock strangers
        assert attempt(web, PASSWORD) == 401


def test_failures_from_one_address_lock_only_that_address_out_of_that_account(
    web: Web,
) -> None:
    web.create_user("kari")
    web.create_user("ola")
    with web.from_address("10.0.0.1"):
        for _ in range(5):
            assert attempt(web, WRONG) == 401
        assert attempt(web, PASSWORD) == 401  # this address, this account: locked
        assert attempt(web, PASSWORD, username="ola") == 200  # another account: not
    as_stranger(web)
    with web.from_address("10.0.0.2"):  # another address: not (untrusted count is 5)
        assert attempt(web, PASSWORD) == 200


def test_a_known_browser_is_judged_by_its_own_counter_alone(web: Web) -> None:
    web.create_user("kari")
    device = known_browser(web)
    as_owner(web, device)
    for _ in range(10):
        assert attempt(web, WRONG) == 401
    assert attempt(web, PASSWORD) == 401  # that browser is locked for 15 minutes
    as_stranger(web)
    with web.from_address("10.0.0.9"):  # its failures did not lock anyone else out
        assert attempt(web, PASSWORD) == 200
    web.clock.advance(timedelta(minutes=15, seconds=1))
    as_owner(web, device)
    assert full_login(web) == 200


@pytest.mark.parametrize("kind", ["forged", "another account's", "expired"])
def test_a_device_cookie_that_is_not_valid_for_the_account_counts_as_a_stranger(
    web: Web, kind: str
) -> None:
    web.create_user("kari")
    web.create_user("ola")
    device = known_browser(web)
    if kind == "forged":
        device = device[:-4] + ("0000" if not device.endswith("0000") else "1111")
    elif kind == "another account's":
        web.client.cookies.clear()
        web.login("ola")
        device = web.client.cookies[DEVICE]
        web.logout()
    if kind == "expired":
        web.clock.advance(timedelta(days=90))
    stranger_fails(web, 5, ("10.0.0.1", "10.0.0.2"))
    as_owner(web, device)
    assert attempt(web, PASSWORD) == 401  # judged as untrusted: locked


def test_a_hundred_consecutive_failures_lock_even_a_known_browser_until_released(
    web: Web,
) -> None:
    """NIST SP 800-63B §5.2.2: at most 100 consecutive failures, wherever they come from."""
    web.create_user("kari")
    device = known_browser(web)
    with capture_logs() as logs:
        for round_ in range(10):
            stranger_fails(web, 5, (f"10.0.{round_}.1", f"10.0.{round_}.2"))
            web.clock.advance(timedelta(minutes=16))
    hard = [e for e in logs if e["event"] == "authn_login_lock" and e["hard"]]
    assert [e["scope"] for e in hard] == ["account"]
    account = web.accounts.accounts.by_username("kari")
    assert account is not None
    assert account.hard_locked
    assert account.failures == 100
    as_owner(web, device)
    assert attempt(web, PASSWORD) == 401
    web.accounts.unlock("kari")
    assert full_login(web) == 200


def test_a_full_login_starts_the_consecutive_count_over(web: Web) -> None:
    web.create_user("kari")
    device = known_browser(web)
    stranger_fails(web, 5, ("10.0.0.1", "10.0.0.2", "10.0.0.3"))
    as_owner(web, device)
    assert full_login(web) == 200
    account = web.accounts.accounts.by_username("kari")
    assert account is not None
    assert account.failures == 0


def test_the_device_cookie_is_host_only_secure_httponly_strict_and_bound_to_the_account(
    web: Web,
) -> None:
    web.create_user("kari")
    attempt(web, PASSWORD)
    assert DEVICE not in web.client.cookies  # the password alone earns no device cookie
    response = web.client.post(f"{LOGIN}/otp", json={"code": web.last_code()})
    cookies = response.headers.get_list("set-cookie")
    device = next(c for c in cookies if c.startswith(f"{DEVICE}="))
    remember(web.client.cookies[DEVICE])
    attributes = {part.strip().lower() for part in device.split(";")[1:]}
    assert {"secure", "httponly", "samesite=strict", "path=/"} <= attributes
    assert f"max-age={90 * 86400}" in attributes
    assert not any(a.startswith("domain") for a in attributes)
    person_id = web.accounts.accounts.by_username("kari").person_id  # type: ignore[union-attr]
    value = web.client.cookies[DEVICE]
    assert value.startswith(person_id.hex + ".")
    assert len(value.rsplit(".", 1)[1]) == 64  # HMAC-SHA-256


def test_locked_unknown_and_wrong_answer_alike_after_the_same_argon2_work(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SEC-OTP-08 with the new locks: status, body and the verification done."""
    web.create_user("kari")
    stranger_fails(web, 5, ("10.0.0.1", "10.0.0.2"))
    verified: list[object] = []
    original = web.accounts.hashing.verify

    def spy(stored: str | None, password: str) -> bool:
        verified.append(stored)
        return original(stored, password)

    monkeypatch.setattr(web.accounts.hashing, "verify", spy)
    answers = []
    with web.from_address("10.0.0.7"):
        for username, password in (("kari", PASSWORD), ("nobody", PASSWORD), ("kari", WRONG)):
            response = web.client.post(LOGIN, json={"username": username, "password": password})
            answers.append((response.status_code, response.content))
    assert len(set(answers)) == 1
    assert answers[0][0] == 401
    assert len(verified) == 3
