"""The words of `record.pdf`, in bokmål and English, and how it writes dates.

The record is a document, not a page, and the archive layer sees none of the web's
catalogs: its few dozen labels live here, one row each, bokmål first. The terms are
the pages' (see `web/locale/nb/LC_MESSAGES/plan.po`) and the glossary's.
"""

from datetime import date, datetime
from enum import Enum

from stafett.aggregates.values import (
    MUNICIPAL_TIMEZONE,
    Access,
    ActivityStatus,
    CommentTarget,
    ConsentStatus,
    GoalStatus,
    PlanStatus,
    PlanType,
    Role,
)

LANGUAGES = ("nb", "en")

# key: (bokmål, English)
_WORDS: dict[str, tuple[str, str]] = {
    "record": ("Dokumentasjon av samarbeidet", "Record of the collaboration"),
    "owner": ("Planeier", "Plan owner"),
    "birth_date": ("Fødselsdato", "Date of birth"),
    "period": ("Periode", "Period"),
    "from_day": ("fra {day}, uten sluttdato", "from {day}, no end date"),
    "planned_end": ("Planlagt slutt", "Planned end"),
    "level": ("Nivå", "Level"),
    "review_on": ("Neste evaluering", "Next review"),
    "status": ("Status", "Status"),
    "closed_reason": ("Begrunnelse", "Reason"),
    "coordinator": ("Koordinator", "Coordinator"),
    "sealed_at": ("Forseglet", "Sealed"),
    "events": ("Hendelser", "Events"),
    "archived_before": ("Arkivert tidligere", "Archived before"),
    "about": (
        "Dette dokumentet er den lesbare delen av en forseglet arkivpakke. Pakken holder "
        "også alle hendelser (events.jsonl), planens sluttilstand (record.json) og "
        "innsynsloggen; signaturen i manifest.sig viser om noe er endret.",
        "This document is the human-readable part of a sealed archive package. The package "
        "also holds every event (events.jsonl), the plan's final state (record.json) and "
        "the access log; the signature in manifest.sig shows whether anything was altered.",
    ),
    "export": (
        "Utskrift av planen slik {name} kan se den {at}. Ikke et forseglet arkivdokument.",
        "The plan as {name} may see it at {at}. Not a sealed record.",
    ),
    "export_about": (
        "Denne utskriften viser bare de delene av planen som personen den er laget for, har "
        "rett til å lese på dette tidspunktet. Den er en kopi til eget bruk, ikke planens "
        "offisielle dokumentasjon: det er den forseglede arkivpakken som koordinatoren lager. "
        "Nedlastingen er ført i planens innsynslogg.",
        "This printout shows only the parts of the plan that the person it was made for may "
        "read at this instant. It is a copy for one's own use, not the plan's official "
        "record: that is the sealed archive package the coordinator makes. The download is "
        "entered in the plan's access log.",
    ),
    "export_footer": ("Utskrift for {name}, {at}", "Printout for {name}, {at}"),
    "exported_for": ("Utskrift for", "Printout for"),
    "exported_at": ("Laget", "Made"),
    "participants": ("Deltakere", "Participants"),
    "name": ("Navn", "Name"),
    "role": ("Rolle", "Role"),
    "responsibility": ("Ansvar", "Responsibility"),
    "rights": ("Rettigheter", "Rights"),
    "in_group": ("I plangruppen", "In the group"),
    "yes": ("Ja", "Yes"),
    "removed": ("Fjernet", "Removed"),
    "rights_goals": ("mål", "goals"),
    "rights_activities": ("aktiviteter", "activities"),
    "rights_minutes": ("referater", "minutes"),
    "rights_messages": ("meldinger", "messages"),
    "rights_print": ("utskrift", "print"),
    "rights_edit_person": ("endre personopplysninger", "edit personal details"),
    "consent": ("Samtykke", "Consent"),
    "given_by": ("Gitt av", "Given by"),
    "given_on": ("Gitt", "Given on"),
    "expires_on": ("Utløper", "Expires on"),
    "scope": ("Omfang", "Scope"),
    "goals": ("Mål", "Goals"),
    "due_on": ("Frist", "Due"),
    "description": ("Beskrivelse", "Description"),
    "evaluations": ("Evalueringer", "Evaluations"),
    "no_evaluations": ("Ikke evaluert.", "Not evaluated."),
    "activities": ("Aktiviteter", "Activities"),
    "title": ("Tittel", "Title"),
    "responsible": ("Ansvarlig", "Responsible"),
    "goal": ("Mål", "Goal"),
    "minutes": ("Møtereferater", "Minutes"),
    "met_on": ("Møtedato", "Meeting date"),
    "attendees": ("Til stede", "Attendees"),
    "notes": ("Referat", "Notes"),
    "decisions": ("Beslutninger", "Decisions"),
    "comments": ("Kommentarer", "Comments"),
    "on": ("Gjelder", "On"),
    "messages": ("Meldinger", "Messages"),
    "from": ("Fra", "From"),
    "to": ("Til", "To"),
    "subject": ("Emne", "Subject"),
    "calendar": ("Kalender", "Calendar"),
    "when": ("Tid", "When"),
    "location": ("Sted", "Location"),
    "timeline": ("Tidslinje", "Timeline"),
    "version": ("Nr.", "No."),
    "actor": ("Utført av", "By"),
    "event": ("Hendelse", "Event"),
    "none": ("Ingen.", "None."),
    "page": ("Side", "Page"),
    "of": ("av", "of"),
    "unknown_person": ("(slettet person)", "(erased person)"),
    "unknown_item": ("(ukjent)", "(unknown)"),
    "timezone": ("norsk tid", "Norwegian time"),
}

_ENUMS: dict[Enum, tuple[str, str]] = {
    PlanType.RELAY_LOG: ("Stafettlogg", "Relay log"),
    PlanType.INDIVIDUAL_PLAN: ("Individuell plan", "Individual plan"),
    PlanStatus.OPEN: ("Åpen", "Open"),
    PlanStatus.CLOSED: ("Avsluttet", "Closed"),
    Role.OWNER: ("Planeier", "Plan owner"),
    Role.RELATIVE: ("Pårørende", "Relative"),
    Role.PROVIDER: ("Tjenesteyter", "Service provider"),
    Role.COORDINATOR: ("Koordinator", "Coordinator"),
    Access.NONE: ("ingen", "none"),
    Access.READ: ("lese", "read"),
    Access.WRITE: ("skrive", "write"),
    ConsentStatus.ACTIVE: ("Gyldig", "Active"),
    ConsentStatus.RESET: ("Nullstilt", "Reset"),
    ConsentStatus.WITHDRAWN: ("Trukket tilbake", "Withdrawn"),
    GoalStatus.ACTIVE: ("Aktivt", "Active"),
    GoalStatus.ACHIEVED: ("Nådd", "Achieved"),
    GoalStatus.PARTLY_ACHIEVED: ("Delvis nådd", "Partly achieved"),
    GoalStatus.NOT_ACHIEVED: ("Ikke nådd", "Not achieved"),
    GoalStatus.DISCONTINUED: ("Avbrutt", "Discontinued"),
    ActivityStatus.PLANNED: ("Planlagt", "Planned"),
    ActivityStatus.IN_PROGRESS: ("Pågår", "In progress"),
    ActivityStatus.COMPLETED: ("Fullført", "Completed"),
    ActivityStatus.CANCELLED: ("Avlyst", "Cancelled"),
    CommentTarget.GOAL: ("Mål", "Goal"),
    CommentTarget.ACTIVITY: ("Aktivitet", "Activity"),
    CommentTarget.MINUTES: ("Møtereferat", "Minutes"),
}


# The BTI model's levels (decision 0051), by number.
_LEVELS: tuple[tuple[str, str], ...] = (
    ("Avklare om det er grunn til bekymring", "Clarifying whether there is cause for concern"),
    ("Innsats i én tjeneste", "Effort within one service"),
    (
        "Enkelt tverrfaglig samarbeid",
        "Simple interdisciplinary collaboration (mostly two services)",
    ),
    ("Omfattende tverrfaglig samarbeid", "Extensive interdisciplinary collaboration"),
)


class Words:
    """The labels, enum names and date formats of one language."""

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            msg = f"record.pdf is written in {' or '.join(LANGUAGES)}, not {language!r}"
            raise ValueError(msg)
        self.language = language
        self._index = LANGUAGES.index(language)

    def __getitem__(self, key: str) -> str:
        return _WORDS[key][self._index]

    def labels(self) -> dict[str, str]:
        return {key: pair[self._index] for key, pair in _WORDS.items()}

    def of(self, value: Enum) -> str:
        return _ENUMS[value][self._index]

    def day(self, value: date | None) -> str:
        if value is None:
            return "–"
        return f"{value:%d.%m.%Y}" if self._index == 0 else value.isoformat()

    def level(self, level: int) -> str:
        """A BTI level: its number and what it means."""
        return f"{level} – {_LEVELS[level][self._index]}"

    def period(self, start: date, end: date | None) -> str:
        """A plan's period: both days, or from its start when it has no end yet."""
        if end is None:
            return self["from_day"].format(day=self.day(start))
        return f"{self.day(start)} – {self.day(end)}"

    def instant(self, value: datetime, *, seconds: bool = False) -> str:
        """An instant in Norwegian local time (the municipality's calendar)."""
        local = value.astimezone(MUNICIPAL_TIMEZONE)
        clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
        if self._index == 0:
            return f"{local:%d.%m.%Y} kl. {clock}"
        return f"{local:%Y-%m-%d} {clock}"

    def zoned(self, value: datetime, name: str) -> str:
        """An instant said with its time zone; `value` (the argument `name`) must carry one."""
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must include a time zone offset")
        return f"{self.instant(value)} ({self['timezone']})"

    def role(self, role: Enum, *, coordinator: bool) -> str:
        """A participant's role, with the coordinator's task after it."""
        said = self.of(role)
        return f"{said}, {self['coordinator'].lower()}" if coordinator else said

    def span(self, start: datetime, end: datetime) -> str:
        """From `start` to `end`; the date once when both fall on the same local day."""
        first, last = (t.astimezone(MUNICIPAL_TIMEZONE) for t in (start, end))
        if first.date() == last.date():
            return f"{self.instant(first)}–{last:%H:%M}"
        return f"{self.instant(first)} – {self.instant(last)}"
