"""Pages decode an encoded part of the permitted view once per encoded object."""

from datetime import date
from types import SimpleNamespace
from typing import Any, cast
from uuid import uuid4

import msgspec

from stafett.aggregates.values import Goal
from stafett.web.pages import plan_parts
from stafett.web.pages.plan_parts import present


def goal(title: str) -> Goal:
    return Goal(goal_id=uuid4(), title=title, description="", due_on=date(2027, 1, 1))


def view(**parts: Any) -> Any:
    return cast(Any, SimpleNamespace(**parts))


def test_the_same_encoded_part_is_decoded_once_and_a_new_one_anew() -> None:
    first = msgspec.Raw(msgspec.json.encode((goal("Lese hver dag"),)))
    again = msgspec.Raw(bytes(first))  # equal bytes, another object: a new version's part
    seen = present(view(goals=first), "goals")
    assert seen is not None
    assert [g.title for g in seen] == ["Lese hver dag"]
    assert present(view(goals=first), "goals") is seen
    other = present(view(goals=again), "goals")
    assert other == seen
    assert other is not seen


def test_kept_parts_are_bounded_and_an_absent_part_is_none() -> None:
    raws = [msgspec.Raw(msgspec.json.encode((goal(f"Mål {n}"),))) for n in range(80)]
    for raw in raws:
        present(view(goals=raw), "goals")
    assert len(plan_parts._decoded) == plan_parts.DECODED_ENTRIES
    assert present(view(goals=msgspec.UNSET), "goals") is None
