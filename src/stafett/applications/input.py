"""The one input rule for structured values: what `Body` applies to every request struct.

Decision 0011. Once msgspec has decoded a struct derived from `Body`, its
`__post_init__` applies the text rule of `stafett.aggregates.text` to each text
field (one-line unless the field's type says free text; a secret only refuses
control characters) and keeps dates between 1900 and 2199 (`plausible_date`). A
refusal is a msgspec validation error, which litestar answers 400 and the web's
error table turns into a 422 problem.

It lives with the applications, not the web, because the plan commands
(`applications/commands.py`) are such structs: the same value is decoded from a
request body and given to `PlanApplication.handle` by every other caller.
"""

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any

import msgspec

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.text import clean_free, clean_line, secret_pattern, text_pattern
from stafett.aggregates.values import (
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    plausible_date,
)

MAX_VERSION = 10**15 - 1  # a plan version: 15 digits, the edge's limit for a JSON integer
TEXT = "stafett_text"  # the key in msgspec.Meta(extra=...) naming a field's text kind
LINE, FREE, SECRET = "line", "free", "secret"


def _text_meta(kind: str, *, max_length: int, required: bool = False) -> msgspec.Meta:
    """A text type's constraints: its length, its kind (read by `_cleaner`), and the rule's
    pattern for the OpenAPI schema only (litestar reads `extra`); msgspec does not check
    the pattern, the cleaners below do, with messages that say what is wrong."""
    pattern = (
        secret_pattern()
        if kind == SECRET
        else text_pattern(one_line=kind == LINE, required=required)
    )
    return msgspec.Meta(
        min_length=1 if required else None,
        max_length=max_length,
        extra={TEXT: kind},
        extra_json_schema={"extra": {"pattern": pattern}},
    )


# The text types request structs are made of. A plain `str` field is one-line.
Name = Annotated[str, _text_meta(LINE, max_length=MAX_NAME_LENGTH, required=True)]
ShortText = Annotated[str, _text_meta(LINE, max_length=MAX_NAME_LENGTH)]
Text = Annotated[str, _text_meta(FREE, max_length=MAX_TEXT_LENGTH)]
RequiredText = Annotated[str, _text_meta(FREE, max_length=MAX_TEXT_LENGTH, required=True)]
Secret = Annotated[str, _text_meta(SECRET, max_length=1024, required=True)]
Version = Annotated[int, msgspec.Meta(ge=1, le=MAX_VERSION)]


Cleaner = Callable[[str, Any], Any]


# Exactly Unicode's categories Cc (control) and Cs (surrogate): one search, where a
# loop asked `unicodedata.category` for every character of every path and query.
_CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def has_controls(text: str) -> bool:
    """Whether `text` holds a control character or a lone surrogate."""
    return _CONTROL_OR_SURROGATE.search(text) is not None


def _text_cleaner(kind: str, required: bool, max_length: int) -> Cleaner:
    clean = clean_free if kind == FREE else clean_line

    def run(field: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return clean(field, value, required=required, max_length=max_length)

    return run


def _secret_cleaner(field: str, value: Any) -> Any:
    """Passwords and codes are not normalised here (the password rule does that),
    but no printable secret holds a control character."""
    if isinstance(value, str) and has_controls(value):
        raise ValidationError(field, "must not contain control characters")
    return value


def _date_cleaner(field: str, value: Any) -> Any:
    if isinstance(value, datetime):
        plausible_instant(field, value)
    elif isinstance(value, date):
        plausible_date(field, value)
    return value


def _cleaner(info: Any) -> Cleaner | None:
    """How to clean a value of this msgspec type, or None when there is nothing to do."""
    extra: dict[str, Any] = {}
    if isinstance(info, msgspec.inspect.Metadata):
        extra = info.extra or {}
        info = info.type
    if isinstance(info, msgspec.inspect.StrType):
        kind = extra.get(TEXT, LINE)
        if kind == SECRET:
            return _secret_cleaner
        limit = info.max_length if info.max_length is not None else MAX_TEXT_LENGTH
        return _text_cleaner(kind, bool(info.min_length), limit)
    if isinstance(info, msgspec.inspect.DateType | msgspec.inspect.DateTimeType):
        return _date_cleaner
    if isinstance(info, msgspec.inspect.UnionType):
        found = [c for c in map(_cleaner, info.types) if c is not None]
        return found[0] if found else None
    if isinstance(info, msgspec.inspect.ListType):
        item = _cleaner(info.item_type)
        if item is None:
            return None
        return lambda field, values: (
            [item(field, v) for v in values] if isinstance(values, list) else values
        )
    return None


@cache
def _cleaners(cls: type) -> tuple[tuple[str, Cleaner], ...]:
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    pairs = ((f.name, _cleaner(f.type)) for f in info.fields)
    return tuple((name, c) for name, c in pairs if c is not None)


class InputError(ValidationError, ValueError):
    """A value refused by the input rule.

    To a caller that builds a struct it is the domain's `ValidationError`; while
    msgspec decodes one, a `ValueError` becomes msgspec's validation error.
    """


class Body(msgspec.Struct, forbid_unknown_fields=True):
    """Base of every request body: unknown fields refused, the text and date rules applied."""

    @classmethod
    def schema_rules(cls) -> dict[str, Any]:
        """What the body's OpenAPI schema adds to its fields (JSON Schema keywords): the
        rules `__post_init__` holds a body to beyond each field's type (`web/contract.py`)."""
        return {}

    @classmethod
    def at_least_one_of(cls, fields: Iterable[str]) -> dict[str, Any]:
        """The schema rule of a partial change: one of `fields` must be given."""
        return {"anyOf": [{"required": [name]} for name in fields]}

    def __post_init__(self) -> None:
        for name, clean in _cleaners(type(self)):
            try:
                setattr(self, name, clean(name, getattr(self, name)))
            except ValidationError as error:
                raise InputError(name, error.message, error.reason, limit=error.limit) from None


def plausible_instant(field: str, instant: datetime) -> datetime:
    """An instant whose calendar date is a plausible one (so converting it cannot overflow);
    also for query parameters, which litestar decodes without `Body`."""
    plausible_date(field, instant.date())
    return instant
