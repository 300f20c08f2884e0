"""The final state folded from `events.jsonl` alone: what a verifier recomputes.

Each event type changes the state (a JSON object) by one rule below, on plain
JSON values; the rules mirror the events' `apply_to` (`aggregates/plan_events.py`)
and docs/archive-format.md states them for a verifier written elsewhere. Keyed
collections (participants, goals, activities, minutes, calendar) keep each item at
the position it was first added; comments, messages and archives are appended.
The tests fold every sealed record and compare it with the live plan's state.
"""

from collections.abc import Callable, Iterable
from typing import Any

from stafett.aggregates.values import FULL_RIGHTS, Rights
from stafett.archive.canonical import plain

Json = dict[str, Any]
DEFAULT_RIGHTS: Json = plain(Rights())
COORDINATOR_RIGHTS: Json = plain(FULL_RIGHTS)
KEYED = ("participants", "goals", "activities", "minutes", "calendar")
# Keys a record holds only while they are set (decision 0051): records sealed before
# they existed fold to what they did.
ONLY_WHEN_SET = ("level", "review_on")
DETAILS = ("short_name", "start_date", "end_date", *ONLY_WHEN_SET)


class FoldError(ValueError):
    """The events do not fold: an unknown type, a missing field, an unknown item."""


def _created(plan_id: str, entry: Json) -> Json:
    d = entry["data"]
    owner, coordinator = d["owner_participant_id"], d["coordinator_participant_id"]
    optional = {k: d[k] for k in ONLY_WHEN_SET if d.get(k) is not None}
    return optional | {
        "plan_id": plan_id,
        "version": entry["version"],
        "created_at": entry["instant"],
        "modified_at": entry["instant"],
        "plan_type": d["plan_type"],
        "short_name": d["short_name"],
        "owner_person_id": d["owner_person_id"],
        "start_date": d["start_date"],
        "end_date": d["end_date"],
        "consent": d["consent"],
        "coordinator_id": coordinator,
        "participants": {
            owner: _participant(owner, d["owner_person_id"], "owner", DEFAULT_RIGHTS),
            coordinator: _participant(
                coordinator, d["coordinator_person_id"], "provider", COORDINATOR_RIGHTS
            ),
        },
        "status": "open",
        "closed_reason": "",
        "planned_end_date": None,
        "goals": {},
        "activities": {},
        "minutes": {},
        "comments": [],
        "messages": [],
        "calendar": {},
        "archives": [],
    }


def _participant(participant_id: str, person_id: str, role: str, rights: Json) -> Json:
    return {
        "participant_id": participant_id,
        "person_id": person_id,
        "role": role,
        "responsibility": "",
        "rights": rights,
        "active": True,
    }


def _revise(items: dict[str, Json], item_id: str, **changes: Any) -> None:
    if item_id not in items:
        raise FoldError(f"no item {item_id} to change")
    items[item_id] = {**items[item_id], **changes}


def _closed(s: Json, d: Json) -> None:
    s["status"] = "closed"
    s["planned_end_date"] = s["end_date"]
    s["end_date"] = d["ended_on"]
    s["closed_reason"] = d["reason"]


def _reopened(s: Json, d: Json) -> None:
    s["status"] = "open"
    s["end_date"] = d["end_date"]
    s["planned_end_date"] = None
    s["closed_reason"] = ""


def _details_changed(s: Json, d: Json) -> None:
    """Only the details named change; a level or review date of null is no longer set."""
    for name, value in d.items():
        if name not in DETAILS:
            raise FoldError(f"{name!r} is not a detail of the plan")
        if value is None and name in ONLY_WHEN_SET:
            s.pop(name, None)
        else:
            s[name] = value


def _evaluated(s: Json, d: Json) -> None:
    goal = s["goals"].get(d["goal_id"])
    if goal is None:
        raise FoldError(f"no goal {d['goal_id']} to evaluate")
    evaluation = d["evaluation"]
    s["goals"][d["goal_id"]] = {
        **goal,
        "status": evaluation["status"],
        "evaluations": [*goal["evaluations"], evaluation],
    }


def _consent(s: Json, **changes: Any) -> None:
    s["consent"] = {**s["consent"], **changes}


RULES: dict[str, Callable[[Json, Json], None]] = {
    "ParticipantAdded": lambda s, d: s["participants"].__setitem__(
        d["participant_id"], {**d, "active": True}
    ),
    "ParticipantChanged": lambda s, d: _revise(
        s["participants"], d["participant_id"], responsibility=d["responsibility"]
    ),
    "RightsChanged": lambda s, d: _revise(
        s["participants"], d["participant_id"], rights=d["rights"]
    ),
    "RoleChanged": lambda s, d: _revise(s["participants"], d["participant_id"], role=d["role"]),
    "ParticipantRemoved": lambda s, d: _revise(
        s["participants"], d["participant_id"], active=False
    ),
    "CoordinatorHandedOver": lambda s, d: s.__setitem__("coordinator_id", d["participant_id"]),
    "ConsentRenewed": lambda s, d: s.__setitem__("consent", d["consent"]),
    "ConsentChanged": lambda s, d: _consent(s, scope=d["scope"]),
    "ConsentReset": lambda s, d: _consent(s, status="reset"),
    "ConsentWithdrawn": lambda s, d: _consent(s, status="withdrawn"),
    "GoalSet": lambda s, d: s["goals"].__setitem__(
        d["goal_id"], {**d, "status": "active", "evaluations": []}
    ),
    "GoalRevised": lambda s, d: _revise(
        s["goals"],
        d["goal_id"],
        title=d["title"],
        description=d["description"],
        due_on=d["due_on"],
    ),
    "GoalEvaluated": _evaluated,
    "ActivityAdded": lambda s, d: s["activities"].__setitem__(
        d["activity"]["activity_id"], d["activity"]
    ),
    "ActivityChanged": lambda s, d: s["activities"].__setitem__(
        d["activity"]["activity_id"], d["activity"]
    ),
    "ActivityCompleted": lambda s, d: _revise(
        s["activities"], d["activity_id"], status="completed", completed_on=d["completed_on"]
    ),
    "MinutesRecorded": lambda s, d: s["minutes"].__setitem__(
        d["minutes"]["minutes_id"], d["minutes"]
    ),
    "CommentPosted": lambda s, d: s["comments"].append(d["comment"]),
    "MessageSent": lambda s, d: s["messages"].append(d["message"]),
    "CalendarEntryAdded": lambda s, d: s["calendar"].__setitem__(
        d["entry"]["entry_id"], d["entry"]
    ),
    "Closed": _closed,
    "Reopened": _reopened,
    "Archived": lambda s, d: s["archives"].append(d["archive"]),
    # Which notices a participant wants is how the service reaches them, not the
    # plan's record: it changes nothing in the folded state (decision 0020).
    "NotificationsChosen": lambda s, d: None,
    # An offer of the baton passes nothing until it is accepted (the accepting
    # `CoordinatorHandedOver` folds as any handover): who was offered it while it
    # lasted stays in the events, not in the record's state (decision 0052).
    "BatonOffered": lambda s, d: None,
    "BatonOfferEnded": lambda s, d: None,
    "PlanDetailsChanged": _details_changed,
}


def fold(plan_id: str, entries: Iterable[Json]) -> Json:
    """`record.json`'s document from the parsed lines of `events.jsonl`; FoldError if they
    do not fold (the first must be `Created`, every later one a known type)."""
    state: Json | None = None
    for entry in entries:
        try:
            kind, data = entry["type"], entry["data"]
            if state is None:
                if kind != "Created":
                    raise FoldError(f"the first event is {kind}, not Created")
                state = _created(plan_id, entry)
                continue
            rule = RULES.get(kind)
            if rule is None:
                raise FoldError(f"unknown event type {kind!r}")
            rule(state, data)
            state["version"] = entry["version"]
            state["modified_at"] = entry["instant"]
        except (KeyError, TypeError, AttributeError) as error:
            version = entry.get("version") if isinstance(entry, dict) else None
            raise FoldError(f"version {version}: malformed event ({error!r})") from None
        except FoldError as error:
            version = entry.get("version") if isinstance(entry, dict) else None
            raise FoldError(f"version {version}: {error}") from None
    if state is None:
        raise FoldError("no events")
    for name in KEYED:
        state[name] = list(state[name].values())
    return state
