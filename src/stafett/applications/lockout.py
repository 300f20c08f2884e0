"""Failed logins and locks that an attacker cannot aim (decision 0010, SEC-OTP-04).

A browser that has completed a full login holds a signed device token (the
`__Host-device` cookie) and is judged only by its own counter, so failures caused
by others never lock its owner out. Every other client counts against the
account's "untrusted" counter (ten failures lock clients without a known device
out for 15 minutes) and against its own network address's counter for that
account (five lock that address out of it for 15 minutes). A hundred consecutive
failures from anywhere lock the account until an administrator releases it, as
NIST SP 800-63B §5.2.2 allows. Counters are keyed by digests: no address or
device id is stored.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from stafett.persistence.accounts import AccountRecord, AccountStore

SOFT_LOCK_AFTER = 10  # failures of clients without a known device, per account
ADDRESS_LOCK_AFTER = 5  # failures from one network address, per account
DEVICE_LOCK_AFTER = 10  # failures of one known device
SOFT_LOCK = timedelta(minutes=15)
HARD_LOCK_AFTER = 100
DEVICE_LIFETIME = timedelta(days=90)
log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Client:
    """Where a login-type request comes from: its network address, and the device token
    its browser presented (the `__Host-device` cookie), if any."""

    address: str
    device: str | None = None
    agent: str = ""  # the browser's User-Agent, at most 200 characters (My profile's list)
    language: str | None = None  # the page's, for a code's words when the account chose none


class LoginLocks:
    """The counters that judge a client of an account, and the device tokens that pick them."""

    def __init__(self, store: AccountStore, device_key: bytes) -> None:
        self.store = store
        self.device_key = device_key

    def scopes(self, account: AccountRecord, client: Client, now: datetime) -> list[str]:
        """The counters that judge this client: its own device's, or the untrusted ones."""
        device = self.device_id(account, client, now)
        if device is not None:
            return [self._scope("device", device)]
        return ["untrusted", self._scope("address", client.address)]

    def _scope(self, kind: str, value: str) -> str:
        """A counter's key: a keyed digest, so no address or device id is stored."""
        mac = hmac.new(self.device_key, f"{kind}|{value}".encode(), hashlib.sha256)
        return f"{kind}:{mac.hexdigest()[:32]}"

    def is_locked(self, account: AccountRecord, client: Client, now: datetime) -> bool:
        if account.hard_locked:
            return True
        scopes = self.scopes(account, client, now)
        return self.store.locked_scope(account.person_id, scopes, at=now) is not None

    def count_failure(self, account: AccountRecord, client: Client, now: datetime) -> None:
        person_id = account.person_id
        lock_micros = SOFT_LOCK // timedelta(microseconds=1)
        for scope in self.scopes(account, client, now):
            kind = scope.split(":", 1)[0]
            after = {"device": DEVICE_LOCK_AFTER, "address": ADDRESS_LOCK_AFTER}.get(
                kind, SOFT_LOCK_AFTER
            )
            if self.store.fail(person_id, scope, at=now, lock_after=after, lock_micros=lock_micros):
                log.warning("authn_login_lock", actor=str(person_id), hard=False, scope=kind)
        if self.store.count_failure(person_id, at=now, hard_after=HARD_LOCK_AFTER):
            log.warning("authn_login_lock", actor=str(person_id), hard=True, scope="account")

    def device_token(self, account: AccountRecord, device_id: str, now: datetime) -> str:
        """`<person>.<device>.<issued>.<mac>`: the browser's proof of a full login here."""
        issued = str(int(now.timestamp()))
        body = f"{account.person_id.hex}.{device_id}.{issued}"
        return f"{body}.{self._device_mac(body)}"

    def _device_mac(self, body: str) -> str:
        return hmac.new(self.device_key, f"device|{body}".encode(), hashlib.sha256).hexdigest()

    def device_id(self, account: AccountRecord, client: Client, now: datetime) -> str | None:
        """The device id of a valid, unexpired token for this account; else None."""
        parts = (client.device or "").split(".")
        if len(parts) != 4 or not parts[2].isdigit():
            return None
        person, device_id, issued, mac = parts
        body = f"{person}.{device_id}.{issued}"
        if not hmac.compare_digest(mac.encode(), self._device_mac(body).encode()):
            return None
        fresh = now.timestamp() - int(issued) < DEVICE_LIFETIME.total_seconds()
        return device_id if fresh and person == account.person_id.hex else None
