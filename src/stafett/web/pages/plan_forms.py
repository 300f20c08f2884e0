"""The plan's forms: each one becomes the API's command struct, and a refused one comes back.

Every form posts the fields of its command (`applications/commands.py`) plus the
plan version the page showed (`expected_version`). The browser's shapes become the
command's here, and nothing else: a checkbox list is a list, a local date and time
is an instant in Norway's time zone, a nested `on` is two fields. The command
itself, its limits and its rules are the API's (`forms.decode`, then `Commands`).

When a write is refused for what was typed, or because the plan changed meanwhile,
the page is shown again with `Failed`: the form's key, what was typed, the messages
by field, and whether it was a version conflict. `form_state` gives each form on the
page what it shows: typed values and messages for the failed one, the current
values (its defaults) for the others.
"""

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from stafett.aggregates.values import MAX_NAME_LENGTH, MUNICIPAL_TIMEZONE, Message
from stafett.applications.commands import (
    ActivityChange,
    AddActivity,
    AddCalendarEntry,
    ChangeActivity,
    EvaluateGoal,
    GoalEvaluation,
    GoalRevision,
    PlanCommand,
    PostComment,
    RecordMinutes,
    ReviseGoal,
    SendMessage,
    SetGoal,
)
from stafett.web.i18n import _
from stafett.web.idempotency import ONCE_FIELD, new_form_token
from stafett.web.pages.forms import FormError, decode

FORM_KEY = re.compile(r"[a-z0-9-]{1,100}")  # the key of one form on the page (`?open=`)
LIST_FIELDS = ("attendee_ids", "to")
# The fields people write in, of every plan form (the rest are choices, dates and ids).
FREE_TEXT = ("title", "subject", "description", "text", "body", "notes", "decisions", "location")
LOCAL_INSTANTS = ("starts_at", "ends_at")


@dataclass(frozen=True, slots=True)
class Failed:
    """A form that was refused: shown again with what was typed."""

    key: str
    values: Mapping[str, Any]
    errors: Mapping[str, str]
    conflict: bool = False
    changes_since: int = 0  # after a conflict: how many changes the person had not seen
    kept: bool = False  # sent after the session ended, and given back after the login
    # after a conflict: the fields someone else changed that show what they are now
    # (the person had left them as they were; `plan_clashes.py`)
    updated: frozenset[str] = frozenset()

    @property
    def item(self) -> str | None:
        return item_of(self.key)

    @property
    def written(self) -> list[str]:
        """What was typed in the form's free-text fields, in the form's order."""
        typed = (self.values.get(name) for name in FREE_TEXT)
        return [text for text in typed if isinstance(text, str) and text.strip()]


@dataclass(frozen=True, slots=True)
class FormState:
    """What one form on the page shows."""

    key: str
    values: Mapping[str, Any]
    errors: Mapping[str, str] = field(default_factory=dict)
    version: Any = None
    failed: bool = False
    conflict: bool = False
    opened: bool = False  # asked for by `?open=<key>` (an item's form is drawn on demand)
    kept: bool = False  # given back after the login (`Failed.kept`)
    once: str = field(default_factory=new_form_token)  # the form's token on this page
    updated: frozenset[str] = frozenset()  # `Failed.updated`
    filled: bool = False  # filled in by the page (a reply): no older draft is put over it

    @property
    def item(self) -> str | None:
        return item_of(self.key)


def item_of(key: str) -> str | None:
    """`goal` or `activity` where the form with `key` changes one goal or activity (its
    key is `goal-<id>` or `activity-<id>`, with its action after the id): the one thing
    whose change meanwhile refuses it (decision 0038). None for any other form."""
    kind, _, rest = key.partition("-")
    return kind if kind in ("goal", "activity") and rest and rest != "new" else None


def form_state(
    version: int,
    failed: Failed | None,
    opened: str | None = None,
    also_kept: Sequence[Failed] = (),
    filled: Mapping[str, Mapping[str, Any]] | None = None,
) -> Callable[..., FormState]:
    """`state(key, **current)` for the templates: the failed form as typed (after a
    conflict with the version now shown, so it can be sent again), and each of the
    other forms given back after a login (`also_kept`); a form the page fills in
    (`filled`: its key → values, such as a reply) open with them; others as they are."""
    given = {f.key: f for f in also_kept}
    filled = filled or {}
    if failed is not None:
        given[failed.key] = failed

    def state(key: str, **current: Any) -> FormState:
        shown_again = given.get(key)
        if shown_again is not None:
            typed = shown_again.values.get("expected_version", version)
            shown = version if shown_again.conflict else typed
            return FormState(
                key,
                shown_again.values,
                shown_again.errors,
                shown,
                True,
                shown_again.conflict,
                kept=shown_again.kept,
                updated=shown_again.updated,
            )
        values = {k: form_text(v) for k, v in {**current, **filled.get(key, {})}.items()}
        if key in filled:
            return FormState(key, values, {}, version, opened=True, filled=True)
        return FormState(key, values, {}, version, opened=key == opened)

    return state


def form_text(value: Any) -> Any:
    """A value as a form's field holds it: "" for none, text for a date, an id or a choice."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return [form_text(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):  # an enum
        return value.value
    return value


def typed(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The posted fields as the page shows them again (lists where a form has lists)."""
    shown = {k: v for k, v in fields.items() if k not in ("csrf_token", ONCE_FIELD)}
    for name in LIST_FIELDS:
        if name in shown and not isinstance(shown[name], list):
            shown[name] = [shown[name]]
    return shown


# ------------------------------------------------------------- commands


def set_goal(fields: Mapping[str, Any]) -> SetGoal:
    return decode(SetGoal, fields)


def revise_goal(fields: Mapping[str, Any], goal_id: UUID) -> ReviseGoal:
    """The goal as the form shows it: an emptied description or due date is cleared."""
    body = decode(GoalRevision, fields)
    body = msgspec.structs.replace(body, **_cleared(fields, "description", "due_on"))
    return ReviseGoal.addressed(body, goal_id=goal_id)


def evaluate_goal(fields: Mapping[str, Any], goal_id: UUID) -> EvaluateGoal:
    return EvaluateGoal.addressed(decode(GoalEvaluation, fields), goal_id=goal_id)


def add_activity(fields: Mapping[str, Any]) -> AddActivity:
    return decode(AddActivity, fields)


def change_activity(fields: Mapping[str, Any], activity_id: UUID) -> ChangeActivity:
    """The activity as the form shows it: emptied fields are cleared."""
    body = decode(ActivityChange, fields)
    body = msgspec.structs.replace(body, **_cleared(fields, "description", "due_on", "goal_id"))
    return ChangeActivity.addressed(body, activity_id=activity_id)


def complete_activity(fields: Mapping[str, Any], activity_id: UUID) -> ChangeActivity:
    body = decode(ActivityChange, {**fields, "status": "completed"})
    return ChangeActivity.addressed(body, activity_id=activity_id)


def record_minutes(fields: Mapping[str, Any]) -> RecordMinutes:
    return decode(RecordMinutes, {"attendee_ids": [], **typed(fields)})


def post_comment(fields: Mapping[str, Any]) -> PostComment:
    on = {"kind": fields.get("on_kind", ""), "id": fields.get("on_id", "")}
    given = {k: v for k, v in fields.items() if k not in ("on_kind", "on_id")}
    return decode(PostComment, {**given, "on": on})


def send_message(fields: Mapping[str, Any]) -> SendMessage:
    """To everyone, or to the participants ticked (at least one)."""
    given = typed(fields)
    audience = given.pop("audience", "all")
    if audience == "all" and given.get("to"):
        raise FormError(
            {"audience": _("You chose everyone and also ticked recipients. Choose one of them.")}
        )
    if audience == "all":
        given["to"] = "all"
    elif not given.get("to"):
        raise FormError({"to": _("Choose at least one recipient.")})
    return decode(SendMessage, given)


# "Sv: Sv: Re: " and the like at a subject's start: a reply's subject has one prefix.
REPLY_PREFIXES = re.compile(r"(?:(?:sv|re)\s*:\s*)+", re.IGNORECASE)


def reply_subject(subject: str) -> str:
    """ "Sv: <subject>" ("Re: " in English) however long the thread, within a subject's
    length: the end of a subject too long for the prefix is cut to "…"."""
    found = REPLY_PREFIXES.match(subject)
    topic = subject[found.end() :] if found else subject
    prefixed = _("Re: %(subject)s")
    replied = (prefixed % {"subject": topic}).rstrip()
    over = len(replied) - MAX_NAME_LENGTH
    if over > 0:
        replied = prefixed % {"subject": topic[: -over - 1].rstrip() + "…"}
    return replied


def reply(message: Message, recipients: Collection[str]) -> dict[str, Any]:
    """The new-message form as a reply to `message`: to its sender where the form may
    offer them (`recipients`, decision 0049), else with no one ticked: never to everyone,
    which a reply does not mean."""
    sender = str(message.sender_participant_id)
    return {
        "audience": "chosen",
        "to": [sender] if sender in recipients else [],
        "subject": reply_subject(message.subject),
    }


def add_calendar_entry(fields: Mapping[str, Any]) -> AddCalendarEntry:
    """Times as the browser's date-and-time field sends them are Norway's local time."""
    given = dict(fields)
    for name in LOCAL_INSTANTS:
        given[name] = local_instant(str(given.get(name, "")))
    return decode(AddCalendarEntry, given)


def local_instant(value: str) -> str:
    """ "2026-03-10T10:00" (no offset) as an instant in Europe/Oslo; other text as it is."""
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=MUNICIPAL_TIMEZONE)
    return instant.isoformat()


def _cleared(fields: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """The optional fields the form sent empty: "" for a text, None for the rest."""
    empty = [n for n in names if n in fields and str(fields[n]).strip() == ""]
    return {n: "" if n == "description" else None for n in empty}


def field_of(error_field: str, fields: Mapping[str, Any]) -> str:
    """A refusal's field as the form names it; "" (the form as a whole) if it has none
    the person sees."""
    if error_field == "expected_version":
        return ""
    if error_field in fields or error_field in LIST_FIELDS:
        return error_field
    return ""


Builder = Callable[[Mapping[str, Any]], PlanCommand]
