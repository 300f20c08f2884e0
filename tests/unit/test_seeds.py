"""Authenticator seeds are sealed at rest and open only for their own account."""

from uuid import uuid4

import pyotp
import pytest

from stafett.applications.seeds import SEALED, AuthenticatorSeeds, SeedUnreadableError

PEPPER = b"p" * 40


def test_a_sealed_seed_opens_for_its_own_account_and_holds_no_part_of_it() -> None:
    seeds = AuthenticatorSeeds(PEPPER)
    person, seed = uuid4(), pyotp.random_base32()
    sealed = seeds.seal(person, seed)
    assert sealed.startswith(SEALED)
    assert seed not in sealed
    assert seed[:8] not in sealed
    assert seeds.open(person, sealed) == seed
    assert seeds.seal(person, seed) != sealed  # a new nonce each time


def test_a_seed_does_not_open_on_another_account_or_with_another_pepper() -> None:
    person, seed = uuid4(), pyotp.random_base32()
    sealed = AuthenticatorSeeds(PEPPER).seal(person, seed)
    with pytest.raises(SeedUnreadableError):
        AuthenticatorSeeds(PEPPER).open(uuid4(), sealed)
    with pytest.raises(SeedUnreadableError):
        AuthenticatorSeeds(b"q" * 40).open(person, sealed)
    damaged = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SeedUnreadableError):
        AuthenticatorSeeds(PEPPER).open(person, damaged)


def test_a_seed_stored_before_sealing_is_read_as_it_is() -> None:
    seed = pyotp.random_base32()
    assert AuthenticatorSeeds(PEPPER).open(uuid4(), seed) == seed
