"""The input edge reads a JSON body's nesting off its brackets before parsing it
(`web/edge.py`): the count is exact for JSON, and a deep body never reaches the parser,
whose recursion would leave the stack at its limit for anything that ran meanwhile."""

import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from stafett.web.edge import MAX_DEPTH, InputRejectedError, _nesting, check_json

texts = st.text(st.sampled_from('ab[]{}"\\:,\n\u00e5'), max_size=8)
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=40,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


@given(values)
@example({"a[": ["]]]", {"x": '\\"[{'}]})
@example('"[[["')
def test_the_brackets_count_the_nesting_of_any_json_value(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1)):
        assert _nesting(text) == depth(value), text


def test_a_deep_body_is_refused_before_it_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parsed")

    monkeypatch.setattr(json, "loads", parse)  # the module edge parses with
    for deep in (b"[" * 1000 + b"]" * 1000, b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * 17):
        with pytest.raises(InputRejectedError, match="nested more than"):
            check_json(deep)


def test_a_body_as_deep_as_allowed_is_parsed() -> None:
    check_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
