"""The username rule, one expression for the schema and the account service.

A username is one word of visible characters (`aggregates/text.word_pattern`), 1 to 64
of them once the spaces around it are trimmed, and is stored case-folded, so "Kari" and
"kari" are one name.
"""

import re

from stafett.aggregates.errors import ConflictingValueError, Refusal, ValidationError
from stafett.aggregates.text import word_pattern
from stafett.persistence.accounts import AccountStore

MAX_USERNAME_LENGTH = 64
USERNAME_PATTERN = word_pattern()  # also the schema's (applications/logins.py)
USERNAME = re.compile(USERNAME_PATTERN)


def free_username(accounts: AccountStore, username: str) -> str:
    """`username` as stored (trimmed, case-folded), if it keeps the rule and nobody has it."""
    trimmed = username.strip()
    if len(trimmed) > MAX_USERNAME_LENGTH or not USERNAME.fullmatch(username):
        raise ValidationError(
            "username", "must be 1–64 characters without spaces", Refusal.USERNAME_FORMAT
        )
    name = trimmed.casefold()  # "ß" becomes "ss": the rule counts what was typed
    if accounts.by_username(name) is not None:
        raise ConflictingValueError("username", "is taken", Refusal.USERNAME_TAKEN)
    return name
