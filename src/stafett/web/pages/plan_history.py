"""A plan's history and its access log, as pages.

History (the coordinator and auditors, as the policy table says): every event of the
plan, newest first, told as a sentence in the page's language (who, in which role,
did what), and the plan as it stood at the end of a chosen day, shown read-only
with the same part templates as the plan page. Access log (the owner, relatives
and the coordinator): who has read the plan, when, in which role, and which parts.

Both read through `PlanReads`, which refuses whoever the policy refuses (a parent
gets the 403 page for the history, someone outside the plan the 404 page) and
records each read. The heading above the tabs is read as the plan's overview
(`PlanReads.overview`); an auditor outside the plan group has none.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from litestar import get
from litestar.params import FromQuery

from stafett.aggregates.errors import (
    ConsentNotValidError,
    NotAParticipantError,
    ValidationError,
)
from stafett.aggregates.values import MUNICIPAL_TIMEZONE, plausible_date
from stafett.applications.accounts import Principal
from stafett.applications.permitted import PlanOut
from stafett.applications.results import PlanNotFoundError, PlanView, TimelineEntry
from stafett.web.i18n import _
from stafett.web.pages.plan_parts import (
    PARTS,
    InOnePlan,
    heading_context,
    part_labels,
    parts_context,
    role_labels,
)
from stafett.web.pages.render import Page, page
from stafett.web.params import AnyRequest, LoggedIn, PlanId, Reads
from stafett.web.reads import PlanReads

MAX_DATE_LENGTH = 10
MAX_ECHO = 40  # of a day typed into the form, shown again

# Each event type as a sentence about whoever did it ("%(who)s": name and role).
EVENTS: dict[str, Callable[[], str]] = {
    "Created": lambda: _("%(who)s created the plan"),
    "ParticipantAdded": lambda: _("%(who)s added a participant"),
    "ParticipantChanged": lambda: _("%(who)s changed a participant's responsibility"),
    "RightsChanged": lambda: _("%(who)s changed a participant's rights"),
    "ParticipantRemoved": lambda: _("%(who)s removed a participant from the plan group"),
    "CoordinatorHandedOver": lambda: _("%(who)s handed over the baton"),
    "ConsentRenewed": lambda: _("%(who)s registered consent"),
    "ConsentChanged": lambda: _("%(who)s changed what the consent covers"),
    "ConsentReset": lambda: _("%(who)s reset the consent"),
    "ConsentWithdrawn": lambda: _("%(who)s withdrew the consent"),
    "GoalSet": lambda: _("%(who)s added a goal"),
    "GoalRevised": lambda: _("%(who)s changed a goal"),
    "GoalEvaluated": lambda: _("%(who)s evaluated a goal"),
    "ActivityAdded": lambda: _("%(who)s added an activity"),
    "ActivityChanged": lambda: _("%(who)s changed an activity"),
    "ActivityCompleted": lambda: _("%(who)s marked an activity as completed"),
    "MinutesRecorded": lambda: _("%(who)s wrote minutes from a meeting"),
    "CommentPosted": lambda: _("%(who)s wrote a comment"),
    "MessageSent": lambda: _("%(who)s sent a message"),
    "CalendarEntryAdded": lambda: _("%(who)s added a calendar entry"),
    "Closed": lambda: _("%(who)s closed the plan"),
    "Reopened": lambda: _("%(who)s reopened the plan"),
    "Archived": lambda: _("%(who)s archived the plan"),
}


@dataclass(frozen=True, slots=True)
class Told:
    """One timeline entry as the history page tells it."""

    at: datetime
    version: int
    sentence: str


def told(entry: TimelineEntry, roles: dict[Any, str]) -> Told:
    who = f"{entry.actor_name} ({roles.get(entry.actor_role, entry.actor_role.value)})"
    sentence = EVENTS.get(entry.type, lambda: _("%(who)s changed the plan"))()
    return Told(entry.at, entry.version, sentence % {"who": who})


def end_of_day(day: date) -> datetime:
    """The last instant of a municipal calendar day (Europe/Oslo)."""
    return datetime.combine(day, time.max, tzinfo=MUNICIPAL_TIMEZONE)


def chosen_day(text: str) -> date:
    """The day the history form asks for (as a date field sends it, or as Norwegians
    write it: dd.mm.yyyy), or `ValidationError` naming the field."""
    given = text.strip()[:MAX_DATE_LENGTH]
    for parse in (date.fromisoformat, _written):
        try:
            return plausible_date("on", parse(given))
        except ValueError:
            continue
    raise ValidationError("on", "not a date")


def _written(text: str) -> date:
    """dd.mm.yyyy as a date (ValueError if it is not one)."""
    day, month, year = text.split(".")
    return date(int(year), int(month), int(day))


def as_of_context(view: PlanView, names: dict[UUID, str]) -> dict[str, Any]:
    """The plan as it stood, for the plan's part templates, read-only. Messages are left
    out: each is only for its sender and recipients, whoever reads the history."""
    by_participant = {p.participant_id: names[p.person_id] for p in view.participants}
    parts = {part: getattr(view, part) for part in PARTS if part != "messages"}
    return {
        "as_of": view,
        "names": by_participant,
        "readonly": True,
        **parts_context(parts | {"messages": None}, view.comments),
    }


class PlanHistoryPages(InOnePlan):
    @get("/history", sync_to_thread=True)
    def history(
        self,
        request: AnyRequest,
        reads: Reads,
        principal: LoggedIn,
        plan_id: PlanId,
        on: FromQuery[str | None] = None,
    ) -> Page:
        """The timeline, newest first; with `on` (a date), the plan at that day's end."""
        entries = reads.timeline(plan_id, principal)
        heading = _heading(reads, plan_id, principal)
        roles = role_labels()
        context: dict[str, Any] = {
            **heading_context(plan_id, heading, principal, "history"),
            "timeline": [told(e, roles) for e in reversed(entries)],
            "on": (on or "")[:MAX_ECHO],
            "errors": {},
            "as_of": None,
            "not_yet": False,
        }
        status = 200
        if on:
            try:
                day = chosen_day(on)
                view = reads.as_of(plan_id, principal, at=end_of_day(day))
                context |= as_of_context(view, reads.names_in(view)) | {"day": day}
            except ValidationError:
                context["errors"] = {"on": _("Write a date as dd.mm.yyyy, or pick one.")}
                status = 422
            except PlanNotFoundError:
                context["not_yet"] = True
        return page(request, "plan/history.html", status=status, **context)

    @get("/access-log", sync_to_thread=True)
    def access_log(
        self, request: AnyRequest, reads: Reads, principal: LoggedIn, plan_id: PlanId
    ) -> Page:
        """Who has read the plan, newest first (this read included)."""
        entries = reads.access_entries(plan_id, principal)
        heading = reads.overview(plan_id, principal)
        return page(
            request,
            "plan/access_log.html",
            **heading_context(plan_id, heading, principal, "access_log"),
            entries=entries,
            roles=role_labels(),
            part_names=part_labels(),
        )


def _heading(reads: PlanReads, plan_id: UUID, principal: Principal) -> PlanOut | None:
    """The plan's heading, or None for an auditor the plan itself does not open to (outside
    its group, or a provider without valid consent), whom the timeline has just let in."""
    try:
        return reads.overview(plan_id, principal)
    except (NotAParticipantError, ConsentNotValidError):
        if principal.is_auditor:
            return None
        raise
