"""The Ed25519 keys sealed records are signed with (RFC 8032, through `cryptography`).

A key is kept as text: the base64 (RFC 4648 §4) of its 32 raw bytes, the private
key's seed or the public key. A key's id is the first 16 hex digits of SHA-256 over
its raw public key; the manifest names the id and carries the public key, and
`GET /api/v1/archive-keys` publishes the public keys, so a verifier can check a
record against a key it got elsewhere (`stafett archive verify --public-key`).
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALGORITHM = "Ed25519"
KEY_BYTES = 32


class KeyFormatError(ValueError):
    """Text that is not a base64 Ed25519 key."""


def _raw(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError(f"{what} is not base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyFormatError(f"{what} must be {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    raw: bytes

    @classmethod
    def from_text(cls, text: str) -> "PublicKey":
        return cls(_raw(text, "the public key"))

    @classmethod
    def from_argument(cls, value: str) -> "PublicKey":
        """A key given on the command line: its base64 text, or a file holding it."""
        path = Path(value)
        if len(value) < 200 and path.is_file():
            return cls.from_text(path.read_text())
        return cls.from_text(value)

    @property
    def id(self) -> str:
        return key_id(self.raw)

    @property
    def text(self) -> str:
        return base64.b64encode(self.raw).decode()

    def verifies(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except InvalidSignature:
            return False
        return True


class SigningKey:
    """The private key that seals records; it never leaves this object."""

    def __init__(self, seed: bytes) -> None:
        if len(seed) != KEY_BYTES:
            raise KeyFormatError(f"a signing key is {KEY_BYTES} bytes")
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public = PublicKey(self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    @classmethod
    def from_text(cls, text: str) -> "SigningKey":
        return cls(_raw(text, "the signing key"))

    @property
    def id(self) -> str:
        return self.public.id

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"SigningKey(id={self.id})"  # never the seed
