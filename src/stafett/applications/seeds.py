"""Authenticator seeds, sealed at rest.

An authenticator app's seed (its TOTP secret) is all anyone needs to make the account's
login codes. The accounts table keeps each seed sealed with AES-256-GCM under a key
derived (HKDF-SHA-256) from the password pepper, which is held outside the database: a
dump of the database alone gives no seed, as it lets nobody check a password (SEC-PW-02).
Each seal is bound to its account's person id (the associated data), so a sealed seed
copied onto another account's row does not open there.

The key comes from the pepper rather than from the code key because the pepper is the
one secret an operator already cannot change without every password failing
(docs/operations.md): the code key may be replaced at the cost of codes in flight only,
and replacing it must not also switch off every authenticator.

A seed stored before seeds were sealed is text without `SEALED`; `seal_stored_seeds`
(at start) seals those, and `open` reads one as it is until then.
"""

import base64
import os
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from stafett.persistence.accounts import SEALED_PREFIX

SEALED = SEALED_PREFIX  # the store finds seeds stored before sealing by it
NONCE_BYTES = 12  # 96 random bits a seal: far below 2**32 seals a key (SEC-CRY-02)
KEY_INFO = b"stafett authenticator seeds v1"


class SeedUnreadableError(Exception):
    """A sealed seed that does not open: another pepper, another account's row, or damage."""


class AuthenticatorSeeds:
    def __init__(self, pepper: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(pepper)
        self._aead = AESGCM(key)

    def seal(self, person_id: UUID, seed: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, seed.encode(), person_id.bytes)
        return SEALED + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, person_id: UUID, stored: str) -> str:
        """The seed; one stored before seeds were sealed, as it is."""
        if not is_sealed(stored):
            return stored
        raw = base64.urlsafe_b64decode(stored.removeprefix(SEALED))
        try:
            seed = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], person_id.bytes)
        except InvalidTag:
            raise SeedUnreadableError("the authenticator seed does not open") from None
        return seed.decode()


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED)
