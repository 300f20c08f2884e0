"""A sealed record of a plan's BTI level and review date (decision 0051): the keys are
there only while set, so a plan that never had them gives the record it gave before
(and records sealed before verify); the fold follows a details change byte for byte;
the record's PDF and an export say the level and the review date when set."""

from datetime import date
from typing import Any

import pytest

from stafett.aggregates.plan import Plan
from stafett.archive.canonical import canonical, parse
from stafett.archive.document import event_data, event_line, state_document
from stafett.archive.fold import FoldError, fold
from stafett.archive.record_parts import details_facts
from stafett.archive.record_words import Words
from tests.unit.test_plan_rules import AT, create_plan


def record_and_fold(plan: Plan, events: list[Any]) -> tuple[bytes, bytes]:
    """record.json as sealed from the state, and as folded from the events' lines."""
    lines = [parse(event_line(e, {})) for e in events]
    last = events[-1]
    document = state_document(plan.id, plan.version, AT, last.timestamp, plan.state)
    return canonical(document), canonical(fold(str(plan.id), lines))


def coordinator_of(plan: Plan) -> Any:
    return plan.state.participants[plan.state.coordinator_id].person_id


def test_a_plan_that_never_had_a_level_or_review_date_is_recorded_without_either_key() -> None:
    plan = create_plan()
    [created] = plan.collect_events()
    assert not {"level", "review_on"} & set(event_data(created))
    document = state_document(plan.id, 1, AT, AT, plan.state)
    assert not {"level", "review_on"} & set(document)
    record, folded = record_and_fold(plan, [created])
    assert record == folded


def test_the_fold_follows_details_set_and_cleared_byte_for_byte() -> None:
    plan = create_plan(level=1, review_on=date(2026, 9, 1))
    by = coordinator_of(plan)
    events = list(plan.collect_events())
    assert event_data(events[0])["level"] == 1
    steps: list[dict[str, Any]] = [
        {"short_name": "Ola N", "end_date": date(2026, 12, 31), "level": 3},
        {"level": None, "review_on": None, "start_date": date(2026, 3, 3)},
        {"end_date": None, "level": 0},
    ]
    for step in steps:
        plan.change_details(by=by, at=AT, **step)
        events += plan.collect_events()
        record, folded = record_and_fold(plan, events)
        assert record == folded
    document = parse(record)
    assert (document["short_name"], document["level"], document["end_date"]) == ("Ola N", 0, None)
    assert "review_on" not in document


def test_a_details_line_naming_anything_else_does_not_fold() -> None:
    plan = create_plan()
    lines = [parse(event_line(e, {})) for e in plan.collect_events()]
    lines.append({**lines[0], "version": 2, "type": "PlanDetailsChanged", "data": {"status": "x"}})
    with pytest.raises(FoldError, match="status"):
        fold(str(plan.id), lines)


def test_the_record_says_the_level_and_review_date_when_set() -> None:
    nb, en = Words("nb"), Words("en")
    facts = details_facts(2, date(2026, 9, 1), nb)
    assert [(f.label, f.value) for f in facts] == [
        ("Nivå", "2 – Enkelt tverrfaglig samarbeid"),
        ("Neste evaluering", "01.09.2026"),
    ]
    [level] = details_facts(0, None, en)
    assert level.value == "0 – Clarifying whether there is cause for concern"
    assert details_facts(None, None, nb) == ()
