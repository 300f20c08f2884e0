"""A plan's history and its access log, as pages.

History (the coordinator and auditors, as the policy table says): every event of the
plan, newest first, told as a sentence in the page's language (who, in which role,
did what), and the plan as it stood at a chosen instant (a day, and a time of day or
the day's end), shown read-only with the same part templates as the plan page, with
the messages the policy table lets this reader read in a history. With a participant
chosen as well, the plan as that participant could see it then (their rights and the
consent at that instant: `PlanReads.as_participant`, the live plan's permitted view),
clearly labelled, or why they could not open it then. Access log (the owner,
relatives and the coordinator): who has read the plan, when, in which role, and
which parts.

Both read through `PlanReads`, which refuses whoever the policy refuses (a parent
gets the 403 page for the history, someone outside the plan the 404 page) and
records each read. The heading above the tabs is read as the plan's overview
(`PlanReads.overview`); an auditor outside the plan group has none.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

import msgspec
from litestar import get
from litestar.params import FromQuery

from stafett.aggregates.errors import (
    ConsentNotValidError,
    NotAParticipantError,
    ValidationError,
)
from stafett.aggregates.values import MUNICIPAL_TIMEZONE, Role, Section
from stafett.applications.accounts import Principal
from stafett.applications.history import NotInGroupThenError, SeenAsParticipant
from stafett.applications.permitted import PlanOut
from stafett.applications.results import PlanNotFoundError, PlanView, TimelineEntry
from stafett.web.i18n import _
from stafett.web.pages.forms import day_in
from stafett.web.pages.plan_parts import (
    PARTS,
    InOnePlan,
    Names,
    comments_of,
    heading_context,
    member_names,
    part_labels,
    parts_context,
    present,
    role_labels,
)
from stafett.web.pages.render import Page, page
from stafett.web.params import AnyRequest, LoggedIn, PlanId, Reads
from stafett.web.reads import NamedAccessEntry, PlanReads

MAX_ECHO = 40  # of a value typed into the form, shown again
TIMELINE_PAGE = 100  # events shown at a time on the history page, newest first
ACCESS_LOG_SHOWN = 50  # the newest openings listed one by one, until all are asked for
TIME_OF_DAY = re.compile(r"(\d{1,2})[:.](\d{2})(?::\d{2}(?:\.\d+)?)?")

# Each event type as a sentence about whoever did it ("%(who)s": name and role).
EVENTS: dict[str, Callable[[], str]] = {
    "Created": lambda: _("%(who)s created the plan"),
    "ParticipantAdded": lambda: _("%(who)s added a participant"),
    "ParticipantChanged": lambda: _("%(who)s changed a participant's responsibility"),
    "RightsChanged": lambda: _("%(who)s changed a participant's rights"),
    "RoleChanged": lambda: _("%(who)s changed a participant's role to %(role)s"),
    "ParticipantRemoved": lambda: _("%(who)s removed a participant from the plan group"),
    "CoordinatorHandedOver": lambda: _("%(who)s handed over the baton"),
    "BatonOffered": lambda: _("%(who)s offered the baton"),
    "BatonOfferEnded": lambda: _("%(who)s withdrew the offer of the baton"),
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
    "NotificationsChosen": lambda: _("%(who)s changed a participant's notifications"),
    "PlanDetailsChanged": lambda: _("%(who)s changed the plan's details"),
}
# An event that gave its reason, told with it ("%(reason)s": as the person wrote it).
WITH_REASON: dict[str, Callable[[], str]] = {
    "Closed": lambda: _("%(who)s closed the plan: %(reason)s"),
    "Reopened": lambda: _("%(who)s reopened the plan: %(reason)s"),
}
# A correction of the plan's details, told with what it corrected ("%(what)s").
DETAIL_NAMES: dict[str, Callable[[], str]] = {
    "short_name": lambda: _("short name"),
    "start_date": lambda: _("start date"),
    "end_date": lambda: _("end date"),
    "level": lambda: _("level"),
    "review_on": lambda: _("next evaluation"),
}
# An event about a participant, told with their name ("%(whom)s").
ABOUT_SOMEONE: dict[str, Callable[[], str]] = {
    "ParticipantAdded": lambda: _("%(who)s added %(whom)s to the plan group"),
    "ParticipantChanged": lambda: _("%(who)s changed the responsibility of %(whom)s"),
    "RightsChanged": lambda: _("%(who)s changed the rights of %(whom)s"),
    "RoleChanged": lambda: _("%(who)s changed the role of %(whom)s to %(role)s"),
    "ParticipantRemoved": lambda: _("%(who)s removed %(whom)s from the plan group"),
    "CoordinatorHandedOver": lambda: _("%(who)s handed over the baton to %(whom)s"),
    "BatonOffered": lambda: _("%(who)s offered the baton to %(whom)s"),
    "BatonOfferEnded": lambda: _("%(who)s withdrew the offer of the baton to %(whom)s"),
    "NotificationsChosen": lambda: _("%(who)s changed the notifications of %(whom)s"),
}
# Baton events told by whoever was not the coordinator when they acted (decision 0052):
# the participant offered the baton accepted it or declined it.
BY_THE_ONE_OFFERED: dict[str, Callable[[], str]] = {
    "CoordinatorHandedOver": lambda: _("%(who)s accepted the baton"),
    "BatonOfferEnded": lambda: _("%(who)s declined the offer of the baton"),
}


@dataclass(frozen=True, slots=True)
class Told:
    """One timeline entry as the history page tells it."""

    at: datetime
    version: int
    sentence: str


def told(entry: TimelineEntry, roles: dict[Any, str]) -> Told:
    who = f"{entry.actor_name} ({roles.get(entry.actor_role, entry.actor_role.value)})"
    what = ", ".join(DETAIL_NAMES[name]() for name in entry.details if name in DETAIL_NAMES)
    role = "" if entry.role is None else roles[entry.role]
    values = {
        "who": who,
        "reason": entry.reason,
        "whom": entry.subject_name,
        "what": what,
        "role": role,
    }
    return Told(entry.at, entry.version, _sentence(entry)() % values)


def _sentence(entry: TimelineEntry) -> Callable[[], str]:
    """The sentence that tells the entry most fully with what it carries."""
    if entry.reason and entry.type in WITH_REASON:
        return WITH_REASON[entry.type]
    if entry.type in BY_THE_ONE_OFFERED and entry.actor_role is not Role.COORDINATOR:
        return BY_THE_ONE_OFFERED[entry.type]  # about themself: no name again
    if entry.details:
        return lambda: _("%(who)s changed the plan's details: %(what)s")
    if entry.subject_id not in (None, entry.actor_id) and entry.type in ABOUT_SOMEONE:
        return ABOUT_SOMEONE[entry.type]
    return EVENTS.get(entry.type, lambda: _("%(who)s changed the plan"))


def end_of_day(day: date) -> datetime:
    """The last instant of a municipal calendar day (Europe/Oslo)."""
    return datetime.combine(day, time.max, tzinfo=MUNICIPAL_TIMEZONE)


def chosen_day(text: str) -> date:
    """The day the history form asks for (as a date field sends it, or as Norwegians
    write it: dd.mm.yyyy), or `ValidationError` naming the field."""
    return day_in("on", text)


def chosen_instant(on: str, at: str | None, *, now: datetime) -> datetime:
    """The instant the form asks for: the end of the minute given (hh:mm, Oslo time: the
    timeline shows 10:52 for what happened at 10:52:30, so "as at 10:52" includes it),
    else the day's end; never later than `now` (what has not happened yet nobody has
    seen)."""
    day = chosen_day(on)
    if not at or not at.strip():
        return min(end_of_day(day), now)
    found = TIME_OF_DAY.fullmatch(at.strip())
    if found is None or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise ValidationError("at", "not a time of day")
    clock = time(int(found.group(1)), int(found.group(2)), 59, 999_999)
    return min(datetime.combine(day, clock, tzinfo=MUNICIPAL_TIMEZONE), now)


def chosen_participant(text: str | None) -> UUID | None:
    if not text or not text.strip():
        return None
    try:
        return UUID(text.strip())
    except ValueError:
        raise ValidationError("participant", "not a participant") from None


def as_of_context(view: PlanView, names: dict[UUID, str]) -> dict[str, Any]:
    """The plan as it stood, for the plan's part templates, read-only (its messages are
    those `PlanReads.as_of` lets this reader read in a history)."""
    by_participant = Names((p.participant_id, names[p.person_id]) for p in view.participants)
    parts = {part: getattr(view, part) for part in PARTS}
    return {
        "as_of": view,
        "names": by_participant,
        "readonly": True,
        "no_messages": _("No messages that you may read here."),
        **parts_context(parts, view.comments),
    }


def choices_of(view: PlanView, names: dict[UUID, str]) -> list[tuple[str, str]]:
    """The plan group as it stood: whom the plan can be shown as (participant id, label)."""
    roles = role_labels()
    chosen = []
    for p in view.participants:
        if p.active:
            role = roles[p.role]
            if p.participant_id == view.coordinator_participant_id:
                role = f"{role}, {roles['coordinator']}"
            chosen.append((str(p.participant_id), f"{names[p.person_id]} ({role})"))
    return chosen


def seen_context(seen: SeenAsParticipant) -> dict[str, Any]:
    """The plan as one participant could see it, for the same part templates, read-only;
    what they could read and the consent then, in words."""
    context: dict[str, Any] = {"seen": seen, "seen_sections": [], "no_messages": ""}
    view = seen.plan
    if isinstance(view, msgspec.UnsetType):
        return context | {"parts": dict.fromkeys(PARTS)}
    sections = {
        Section.GOALS: _("goals"),
        Section.ACTIVITIES: _("activities and calendar"),
        Section.MINUTES: _("minutes"),
        Section.MESSAGES: _("messages to or from them"),
    }
    return context | {
        "seen_sections": [sections[s] for s in view.me.readable],
        "names": member_names(view),
        "no_messages": _("No messages to or from them."),
        **parts_context({part: present(view, part) for part in PARTS}, comments_of(view)),
    }


class PlanHistoryPages(InOnePlan):
    @get("/history", sync_to_thread=True)
    def history(
        self,
        *,
        request: AnyRequest,
        reads: Reads,
        principal: LoggedIn,
        plan_id: PlanId,
        on: FromQuery[str | None] = None,
        at: FromQuery[str | None] = None,
        participant: FromQuery[str | None] = None,
        before: FromQuery[str | None] = None,
    ) -> Page:
        """The timeline, newest first, `TIMELINE_PAGE` events a page (`before`: older than
        that version); with `on` (a day) and perhaps `at` (a time of day), the plan at
        that instant; with `participant` too, as they could see it."""
        older_than = int(before) if before and before.isdigit() and len(before) < 16 else None
        entries = reads.timeline(plan_id, principal, limit=TIMELINE_PAGE, before=older_than)
        heading = _heading(reads, plan_id, principal)
        roles = role_labels()
        more = len(entries) == TIMELINE_PAGE and entries[-1].version > 1
        context: dict[str, Any] = {
            **heading_context(plan_id, heading, principal, "history"),
            "timeline": [told(e, roles) for e in entries],
            "older": entries[-1].version if more else None,
            "paged": older_than is not None,
            "on": (on or "")[:MAX_ECHO],
            "at": (at or "")[:MAX_ECHO],
            "participant": (participant or "")[:MAX_ECHO],
            "errors": {},
            "as_of": None,
            "seen": None,
            "choices": [],
            "not_yet": False,
        }
        status = 200
        if on:
            try:
                context |= _then(reads, plan_id, principal, on=on, at=at, participant=participant)
            except NotInGroupThenError:
                context["errors"] = {"participant": _("Was not in the plan group then.")}
                status = 422
            except ValidationError as wrong:
                context["errors"] = {wrong.field: _problem(wrong.field)}
                status = 422
            except PlanNotFoundError:
                context["not_yet"] = True
        return page(request, "plan/history.html", status=status, **context)

    @get("/access-log", sync_to_thread=True)
    def access_log(
        self, request: AnyRequest, reads: Reads, principal: LoggedIn, plan_id: PlanId
    ) -> Page:
        """Who has read the plan: each reader once (how often, when last), then the
        openings one by one, newest first (this read included): the newest
        `ACCESS_LOG_SHOWN`, or all of them."""
        entries = reads.access_entries(plan_id, principal)
        heading = reads.overview(plan_id, principal)
        every = request.query_params.get("entries") == "all"
        return page(
            request,
            "plan/access_log.html",
            **heading_context(plan_id, heading, principal, "access_log"),
            readers=readers_of(entries),
            entries=entries if every else entries[:ACCESS_LOG_SHOWN],
            total=len(entries),
            roles=role_labels(),
            part_names=part_labels(),
        )


@dataclass(frozen=True, slots=True)
class AccessReader:
    """One reader of the plan in its access log: their latest opening, and how many."""

    latest: NamedAccessEntry
    times: int


def readers_of(entries: list[NamedAccessEntry]) -> list[AccessReader]:
    """Each reader once, by their latest opening, the most recent reader first
    (`entries` newest first, as `access_entries` gives them)."""
    latest: dict[UUID, NamedAccessEntry] = {}
    times: dict[UUID, int] = {}
    for named in entries:
        reader = named.entry.reader_person_id
        latest.setdefault(reader, named)
        times[reader] = times.get(reader, 0) + 1
    return [AccessReader(named, times[reader]) for reader, named in latest.items()]


def _then(
    reads: PlanReads,
    plan_id: UUID,
    principal: Principal,
    *,
    on: str,
    at: str | None,
    participant: str | None,
) -> dict[str, Any]:
    """The plan at the chosen instant, whole or as the chosen participant could see it."""
    instant = chosen_instant(on, at, now=reads.plans.clock())
    chosen = chosen_participant(participant)
    view = reads.as_of(plan_id, principal, at=instant)
    names = reads.names_in(view)
    then = as_of_context(view, names) | {"instant": instant, "choices": choices_of(view, names)}
    if chosen is not None:
        seen = reads.as_participant(plan_id, principal, participant_id=chosen, at=instant)
        then |= seen_context(seen)
    return then


def _problem(field: str) -> str:
    if field == "at":
        return _("Write a time of day as hh:mm, or leave it empty for the end of the day.")
    if field == "participant":
        return _("Choose a participant from the list.")
    return _("Write a date as dd.mm.yyyy, or pick one.")


def _heading(reads: PlanReads, plan_id: UUID, principal: Principal) -> PlanOut | None:
    """The plan's heading, or None for an auditor the plan itself does not open to (outside
    its group, or a provider without valid consent), whom the timeline has just let in."""
    try:
        return reads.overview(plan_id, principal)
    except (NotAParticipantError, ConsentNotValidError):
        if principal.is_auditor:
            return None
        raise
