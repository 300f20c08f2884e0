"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme) of what a sealed record holds.

A sealed record's JSON holds only objects whose member names are ASCII, strings,
integers within ±2⁵³, booleans, null and arrays: never a floating-point number.
In that domain RFC 8785 comes down to members sorted by name, no whitespace,
strings with only `"`, `\\` and the control characters escaped (`\\b \\t \\n \\f \\r`,
else `\\u00xx`) and everything else as UTF-8; msgspec's encoder with sorted
member order writes exactly those bytes, in C, ten times faster than the
pure-Python `rfc8785` package (which the tests use as the reference, on
generated values and on sealed records; docs/decisions/0016-sealed-record.md).

Values may be given as the plan's own types: UUIDs become their hyphenated
lower-case text, dates `YYYY-MM-DD`, instants RFC 3339 with the offset they were
recorded with, enums their value, dataclasses objects of their fields.
"""

from typing import Any

import msgspec

_encoder = msgspec.json.Encoder(order="sorted")
_decoder = msgspec.json.Decoder()


def canonical(value: object) -> bytes:
    """The RFC 8785 bytes of `value` (in the domain above)."""
    return _encoder.encode(value)


def parse(data: bytes) -> Any:
    """JSON text to plain values (dict, list, str, int, bool, None); ValueError if invalid."""
    try:
        return _decoder.decode(data)
    except msgspec.DecodeError as error:
        raise ValueError(str(error)) from None


def plain(value: object) -> Any:
    """The plan's own types as plain JSON values, as `canonical` would write them."""
    return msgspec.to_builtins(value)
