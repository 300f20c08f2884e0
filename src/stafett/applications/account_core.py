"""`AccountCore`: what `AccountService` (`accounts.py`) gives the mixins it is made of.

The own account (`own_account.py`), password links (`password_links.py`), mobile
numbers (`mobile_numbers.py`) and step-up (`step_up.py`) are methods of one service
written in modules of their own; each types its `self` as this protocol (or one that
extends it with the other mixins' methods it calls), so the stores, the clock and the
shared helpers are declared once.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol
from uuid import UUID

from stafett.aggregates.person import PersonDetails
from stafett.applications.account_words import Words
from stafett.applications.codes import OneTimeCodes
from stafett.applications.lockout import Client, LoginLocks
from stafett.applications.passwords import PasswordHashing
from stafett.applications.principal import Stage
from stafett.applications.seeds import AuthenticatorSeeds
from stafett.delivery import Sender
from stafett.persistence.accounts import AccountRecord, AccountStore
from stafett.persistence.directory import PersonDirectory
from stafett.persistence.sessions import SessionRecord, SessionStore


class AccountCore(Protocol):
    """The stores, clock and helpers of `AccountService` that its mixins use."""

    accounts: AccountStore
    sessions: SessionStore
    directory: PersonDirectory
    codes: OneTimeCodes
    locks: LoginLocks
    hashing: PasswordHashing
    seeds: AuthenticatorSeeds
    sender: Sender
    clock: Callable[[], datetime]
    public_url: str

    def _account(self, person_id: UUID) -> AccountRecord: ...

    def _free_username(self, username: str) -> str: ...

    def _pre_auth(
        self, token: str, stage: Stage, now: datetime
    ) -> tuple[SessionRecord, AccountRecord]: ...

    def _current_password(
        self, account: AccountRecord, client: Client, password: str, now: datetime
    ) -> None: ...

    def _acceptable_password(self, account: AccountRecord, new: str) -> str: ...

    def _notify_everywhere(
        self, account: AccountRecord, subject: Words, body: Words, **fields: str | Words
    ) -> None: ...

    def _notify(
        self,
        details: Iterable[PersonDetails],
        language: str | None,
        subject: Words,
        words: Words,
        **fields: str | Words,
    ) -> None: ...
