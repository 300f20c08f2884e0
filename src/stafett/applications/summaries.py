"""One line of Norwegian (bokmål) per event, for the timeline people read."""

from collections.abc import Callable
from typing import Any

from stafett.aggregates.plan import Plan

_ROLE = {"owner": "planeier", "relative": "pårørende", "provider": "tjenesteyter"}
_SUMMARIES: dict[type[Any], Callable[[Any], str]] = {
    Plan.Created: lambda e: f"Plan opprettet ({e.plan_type.value}): {e.short_name}",
    Plan.ParticipantAdded: lambda e: f"Deltaker lagt til som {_ROLE[e.role.value]}",
    Plan.ParticipantChanged: lambda e: "Deltakerens ansvar endret",
    Plan.RightsChanged: lambda e: "Deltakerens rettigheter endret",
    Plan.ParticipantRemoved: lambda e: "Deltaker fjernet fra plangruppen",
    Plan.ConsentRenewed: lambda e: f"Samtykke fornyet, utløper {e.consent.expires_on:%d.%m.%Y}",
    Plan.ConsentChanged: lambda e: "Samtykkets omfang endret",
    Plan.ConsentReset: lambda e: "Samtykke nullstilt",
    Plan.ConsentWithdrawn: lambda e: "Samtykke trukket tilbake",
    Plan.CoordinatorHandedOver: lambda e: "Stafettpinnen overlevert",
    Plan.GoalSet: lambda e: f"Mål satt: {e.title}",
    Plan.GoalRevised: lambda e: f"Mål revidert: {e.title}",
    Plan.GoalEvaluated: lambda e: "Mål evaluert",
    Plan.ActivityAdded: lambda e: f"Aktivitet lagt til: {e.activity.title}",
    Plan.ActivityChanged: lambda e: f"Aktivitet endret: {e.activity.title}",
    Plan.ActivityCompleted: lambda e: "Aktivitet fullført",
    Plan.MinutesRecorded: lambda e: f"Møtereferat fra {e.minutes.met_on:%d.%m.%Y}",
    Plan.CommentPosted: lambda e: "Kommentar skrevet",
    Plan.MessageSent: lambda e: f"Melding sendt: {e.message.subject}",
    Plan.CalendarEntryAdded: lambda e: f"Kalenderoppføring: {e.entry.title}",
    Plan.Closed: lambda e: f"Plan avsluttet {e.ended_on:%d.%m.%Y}",
    Plan.Reopened: lambda e: "Plan gjenåpnet",
    Plan.Archived: lambda e: "Plan arkivert",
}


def summarise(event: object) -> str:
    return _SUMMARIES[type(event)](event)
