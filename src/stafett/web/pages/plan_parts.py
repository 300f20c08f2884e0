"""What every page inside one plan shares: the heading, the tabs, and words for the plan's values.

The tabs a person sees are the policy table's answer for them (`decide`), read from
their permitted view (`PlanOut.me`): a tab they may not open is not shown, and the
page behind it is refused by the application anyway. Labels for statuses, roles and
parts are functions, so they are translated in the language of the page being built.
"""

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import msgspec

from stafett.aggregates.plan_checks import BTI_LEVELS
from stafett.aggregates.policy import Action, Standing, access_for, decide, rule_for
from stafett.aggregates.values import (
    Activity,
    ActivityStatus,
    CalendarEntry,
    Comment,
    CommentTarget,
    Goal,
    GoalStatus,
    Message,
    Minutes,
    PlanStatus,
    PlanType,
    Role,
    Section,
)
from stafett.applications.accounts import Principal
from stafett.applications.permitted import PlanOut
from stafett.web.controllers import PlanReading
from stafett.web.i18n import _
from stafett.web.reads import PlanReads
from stafett.web.state import provide_plans, provide_read_your_writes, provided
from stafett.web.writes import provide_commands

PARTS = ("goals", "activities", "minutes", "messages", "calendar")  # in the guide's order


class InOnePlan(PlanReading):
    """The pages inside one plan: besides `reads` and `principal`, a route may take
    `plans` and `commands` (`Commands`: writes as the logged-in person, which wait
    until the plan list has them)."""

    path = "/plans/{plan_id:uuid}"
    dependencies = PlanReading.dependencies | provided(
        provide_plans, provide_commands, caught_up=provide_read_your_writes
    )


@dataclass(frozen=True, slots=True)
class Tab:
    key: str
    label: str
    href: str


def may(
    view: PlanOut,
    action: Action,
    section: Section | None = None,
    *,
    owner_of_age: bool | None = None,
) -> bool:
    """The policy table's answer for the reader of `view`, now (with their right in
    `section`, or the yes/no right the action needs, such as `edit_person`; and whether
    the owner has reached the consent age, for the rules that weigh it)."""
    return decide(
        action,
        view.me.standing,
        consent_valid=view.consent.valid_now,
        plan_open=view.status is PlanStatus.OPEN,
        access=access_for(action, view.me.rights, section),
        owner_of_age=owner_of_age,
    ).allowed


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """May the reader withdraw the plan's consent now; `owner_of_age`: whether the owner
    has reached the consent age, where the policy table weighed it (else None)."""

    allowed: bool
    owner_of_age: bool | None


def withdrawal(reads: PlanReads, view: PlanOut) -> Withdrawal:
    """The policy table's answer on withdrawing consent, asking the directory for the
    owner's age only where a rule for the reader weighs it (decision 0055)."""
    rule = rule_for(Action.WITHDRAW_CONSENT, view.me.standing)
    owner_of_age = None
    if rule is not None and rule.owner_of_age is not None:
        owner_of_age = reads.owner_of_age(view)
    return Withdrawal(may(view, Action.WITHDRAW_CONSENT, owner_of_age=owner_of_age), owner_of_age)


@dataclass(frozen=True, slots=True)
class CameOfAge:
    """The plan's owner reached the consent age `age` on `on`, after the consent in
    force was given (decision 0056); `to_owner`: told to the owner, not the coordinator."""

    on: date
    age: int
    to_owner: bool


def came_of_age(reads: PlanReads, view: PlanOut) -> CameOfAge | None:
    """For whoever manages the plan, and for the owner: the owner came of age after the
    consent in force was given, and now decides over it themself; None otherwise, or for
    anyone else."""
    manages = may(view, Action.MANAGE)
    if not manages and view.me.standing is not Standing.OWNER:
        return None
    day = reads.consent_predates_of_age(view)
    return None if day is None else CameOfAge(day, reads.plans.consent_age, not manages)


def tabs_for(plan_id: UUID, view: PlanOut | None, principal: Principal) -> list[Tab]:
    """The plan's tabs this person may open (`view` None: an auditor outside the plan)."""
    base = f"/plans/{plan_id}"
    tabs: list[Tab] = []
    if view is not None:
        tabs += [
            Tab("home", _("Home"), base),
            Tab("plan", _("The plan"), f"{base}/plan"),
            Tab("participants", _("Participants"), f"{base}/participants"),
        ]
    if (view is not None and may(view, Action.READ_HISTORY)) or principal.is_auditor:
        tabs.append(Tab("history", _("History"), f"{base}/history"))
    if view is not None and may(view, Action.READ_ACCESS_LOG):
        tabs.append(Tab("access_log", _("Access log"), f"{base}/access-log"))
    if view is not None and (may(view, Action.MANAGE) or may(view, Action.REOPEN)):
        tabs.append(Tab("manage", _("Manage plan"), f"{base}/manage"))
    return tabs


def comments_of(view: PlanOut) -> tuple[Comment, ...]:
    """The comments the view carries (on items of the parts the reader may read)."""
    return present(view, "comments") or ()


ITEMS: dict[str, Any] = {  # each part's type, to decode a part embedded as JSON
    "goals": tuple[Goal, ...],
    "activities": tuple[Activity, ...],
    "calendar": tuple[CalendarEntry, ...],
    "minutes": tuple[Minutes, ...],
    "messages": tuple[Message, ...],
    "comments": tuple[Comment, ...],
}


DECODED_ENTRIES = 64
"""Parts kept decoded: a page read again of an unchanged plan gets the same encoded part
(`EncodedParts`: one object per plan, version, part and variant), decoded once."""
_decoded: OrderedDict[int, tuple[msgspec.Raw, tuple[Any, ...]]] = OrderedDict()
_decoded_lock = threading.Lock()


def present(view: PlanOut, part: str) -> tuple[Any, ...] | None:
    """A part of the permitted view as its items, or None when the reader may not read it
    (absent). A part the view embeds as encoded JSON (`EncodedParts`) is decoded — once
    per encoded object, which is keyed by its identity and held while it is kept (so the
    identity cannot pass to another object); the items are frozen values, safe to share."""
    items = getattr(view, part)
    if items is msgspec.UNSET:
        return None
    if not isinstance(items, msgspec.Raw):
        return tuple(items)
    with _decoded_lock:
        kept = _decoded.get(id(items))
        if kept is not None and kept[0] is items:
            _decoded.move_to_end(id(items))
            return kept[1]
    decoded: tuple[Any, ...] = msgspec.json.decode(items, type=ITEMS[part])
    with _decoded_lock:
        _decoded[id(items)] = (items, decoded)
        _decoded.move_to_end(id(items))
        while len(_decoded) > DECODED_ENTRIES:
            _decoded.popitem(last=False)
    return decoded


# Messages the plan tab shows, newest first, until the reader asks for all (`?messages=all`):
# a plan's messages only grow, and on a phone a page of every message is one to scroll.
MESSAGES_SHOWN = 20
# Comments the plan tab shows on each goal, activity and minutes, the newest, until the
# reader asks for all of one item's (`?comments=goal-<id>`): an item's comments only grow,
# and a long conversation under every item makes the tab one to scroll past.
COMMENTS_SHOWN = 3
COMMENTED_ITEM = re.compile(r"(goal|activity|minutes)-[0-9a-f-]{36}")  # `?comments=`


class Names(dict[UUID, str]):
    """Participant id → name; one no longer in the plan group is "former participant".

    Templates write `names[id]`: the fallback is translated once a page, where
    `names.get(id, _("former participant"))` called the translation for every name shown
    (a tenth of a long plan's page, with its messages' recipients).
    """

    def __init__(self, pairs: Iterable[tuple[UUID, str]]) -> None:
        super().__init__(pairs)
        self.former = _("former participant")

    def __missing__(self, participant_id: UUID) -> str:
        return self.former


def member_names(view: PlanOut) -> Names:
    """Participant id → name, for the plan group as the view gives it."""
    return Names((m.participant_id, m.name) for m in view.participants)


def comments_by_item(comments: Iterable[Any]) -> dict[str, list[Any]]:
    """Comments grouped by what they are on ("goal-<id>"), oldest first."""
    grouped: dict[str, list[Any]] = {}
    for comment in sorted(comments, key=lambda c: c.posted_at):
        grouped.setdefault(f"{comment.on_kind.value}-{comment.on_id}", []).append(comment)
    return grouped


def parts_context(parts: Mapping[str, Any], comments: Iterable[Any]) -> dict[str, Any]:
    """What the part templates (`plan/parts.html`) show: the parts (None: not readable),
    the comments by item, and the goals by id (for the activities that belong to one)."""
    goals = parts.get("goals") or ()
    return {
        "parts": dict(parts),
        "comments_on": comments_by_item(comments),
        "goal_titles": {g.goal_id: g.title for g in goals},
        "goal_choices": [(str(g.goal_id), g.title) for g in goals],
    }


def labels() -> dict[str, Mapping[Any, str]]:
    """Words for the plan's values, in the page's language."""
    return {
        "type": {
            PlanType.RELAY_LOG: _("Relay log"),
            PlanType.INDIVIDUAL_PLAN: _("Individual plan"),
        },
        "status": {PlanStatus.OPEN: _("Open"), PlanStatus.CLOSED: _("Closed")},
        "goal": {
            GoalStatus.ACTIVE: _("Active"),
            GoalStatus.ACHIEVED: _("Achieved"),
            GoalStatus.PARTLY_ACHIEVED: _("Partly achieved"),
            GoalStatus.NOT_ACHIEVED: _("Not achieved"),
            GoalStatus.DISCONTINUED: _("Discontinued"),
        },
        "activity": {
            ActivityStatus.PLANNED: _("Planned"),
            ActivityStatus.IN_PROGRESS: _("In progress"),
            ActivityStatus.COMPLETED: _("Completed"),
            ActivityStatus.CANCELLED: _("Cancelled"),
        },
        "role": role_labels(),
        "level": level_labels(),
        "target": {
            CommentTarget.GOAL: _("goal"),
            CommentTarget.ACTIVITY: _("activity"),
            CommentTarget.MINUTES: _("meeting minutes"),
        },
    }


def level_labels() -> dict[int, str]:
    """The BTI levels (decision 0051): each its number and what it means, as the plan's
    heading, the manage page's select and the create-plan form say it."""
    meanings = (
        _("Clarifying whether there is cause for concern"),
        _("Effort within one service"),
        _("Simple interdisciplinary collaboration"),
        _("Extensive interdisciplinary collaboration"),
    )
    return {
        level: f"{level} – {meaning}" for level, meaning in zip(BTI_LEVELS, meanings, strict=True)
    }


def level_choices() -> list[tuple[str, str]]:
    """The BTI levels as a form's select offers them (value, words)."""
    return [(str(level), words) for level, words in level_labels().items()]


def role_labels() -> dict[Any, str]:
    """A role by its enum or its value (the access log stores values)."""
    words = {
        "owner": _("plan owner"),
        "relative": _("relative"),
        "provider": _("service provider"),
        "coordinator": _("coordinator"),
        "auditor": _("auditor"),
        "operator": _("operator"),
    }
    return words | {
        Role(value): word for value, word in words.items() if value not in ("auditor", "operator")
    }


def part_labels() -> dict[str, str]:
    """The access log's part names."""
    return {
        "overview": _("overview"),
        "consent": _("consent"),
        "participants": _("participants"),
        "person_details": _("a participant's person details"),
        "photo": _("a participant's photo"),
        "goals": _("goals"),
        "activities": _("activities"),
        "calendar": _("calendar"),
        "minutes": _("minutes"),
        "messages": _("messages"),
        "comments": _("comments"),
        "history": _("the plan as it stood"),
        "timeline": _("history"),
        "access_log": _("access log"),
        "search": _("found in an auditor's search"),
        "archive": _("the sealed record"),
        "export": _("downloaded (PDF or JSON)"),
    }


def heading_context(
    plan_id: UUID, view: PlanOut | None, principal: Principal, tab: str
) -> dict[str, Any]:
    """What `plan/tabs.html` needs: the heading (None for an outside auditor) and tabs."""
    return {
        "plan_id": plan_id,
        "heading": view,
        "tabs": tabs_for(plan_id, view, principal),
        "tab": tab,
        "labels": labels(),
    }


BATON_KEPT = "baton:{plan_id}"  # an answer to a baton offer waiting for a step-up (kept.py)


def baton_offer(view: PlanOut) -> dict[str, Any] | None:
    """The baton offered to the reader (decision 0052): by whom (the coordinator) and
    since when; None when it is not offered to them."""
    if view.baton_offered_to is None or view.baton_offered_to != view.me.participant_id:
        return None
    holder = next((m.name for m in view.participants if m.is_coordinator), "")
    return {"by": holder, "at": view.baton_offered_at}
