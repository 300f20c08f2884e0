"""The JSON a sealed record is made of: one line of `events.jsonl` per event, and the
final state of `record.json`, both written with the plan's own types (`canonical.py`).

An event's line is `{"version", "instant", "actor": {"id", "name", "role"}, "type",
"data"}`: `type` is the event's name (as in the timeline), `data` its fields beyond
those every event has, `actor.name` the directory's name for the actor when sealed
(the plan's events hold ids only) and `actor.role` the role the event recorded.

`record.json` is the plan's state at the sealed version, field by field as
`PlanState` holds it (`aggregates/plan_state.py`), with each keyed collection as an
array of its items in the order they were first added, plus `plan_id`, `version`,
`created_at` and `modified_at`. `fold.py` computes the same document from the lines
alone; a verifier compares the two byte for byte.
"""

from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from stafett.aggregates.logs import AppendOnlyLog
from stafett.aggregates.plan import Plan, PlanState
from stafett.applications.summaries import ERASED_PERSON
from stafett.archive.canonical import canonical

_COMMON = {f.name for f in fields(Aggregate.Created)} | {"actor_id", "actor_role"}
CREATED_FIELDS = tuple(f.name for f in fields(Plan.Created) if f.name not in _COMMON)
# Which notices participants chose is how the service reaches them, not part of the
# plan's record (decision 0020), and an offer of the baton passes nothing until it is
# accepted (decision 0052; its events are in the record), and whom the baton last passed
# from is known from those events (kept for a notice, decision 0053): neither record.json
# nor the fold holds any of them, so records sealed before keep their bytes.
NOT_RECORDED = frozenset(
    {"notifications", "baton_offered_to", "baton_offered_at", "baton_passed_from"}
)
STATE_FIELDS = tuple(f.name for f in fields(PlanState) if f.name not in NOT_RECORDED)
# Carried since decision 0051: a record holds each only while it is set (in the state,
# and in the `Created` line), so a plan that never had one gives the bytes it gave before.
ONLY_WHEN_SET = frozenset({"level", "review_on"})


def event_data(event: object) -> dict[str, Any]:
    """The event's own fields (those beyond version, instant and actor)."""
    if isinstance(event, Plan.Created):
        data = {name: getattr(event, name) for name in CREATED_FIELDS}
        return {k: v for k, v in data.items() if v is not None or k not in ONLY_WHEN_SET}
    if isinstance(event, Plan.Event):
        return event.own_fields()
    raise TypeError(f"not a plan event: {type(event).__name__}")


def event_line(event: Any, names: Mapping[UUID, str]) -> bytes:
    """One line of `events.jsonl` (without its newline): the event's canonical JSON."""
    return canonical(
        {
            "version": event.originator_version,
            "instant": event.timestamp,
            "actor": {
                "id": event.actor_id,
                "name": names.get(event.actor_id, ERASED_PERSON),
                "role": event.actor_role,
            },
            "type": type(event).__name__,
            "data": event_data(event),
        }
    )


def state_document(
    plan_id: UUID, version: int, created_at: datetime, modified_at: datetime, state: PlanState
) -> dict[str, Any]:
    """`record.json` of a plan at `version`, from its state (not from its events)."""
    document: dict[str, Any] = {
        "plan_id": plan_id,
        "version": version,
        "created_at": created_at,
        "modified_at": modified_at,
    }
    for name in STATE_FIELDS:
        value = getattr(state, name)
        if value is None and name in ONLY_WHEN_SET:
            continue
        if isinstance(value, dict):
            value = list(value.values())
        elif isinstance(value, AppendOnlyLog | list):
            value = list(value)
        document[name] = value
    return document
