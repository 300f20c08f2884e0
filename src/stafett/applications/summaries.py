"""One line of Norwegian (bokmål) per event, for the timeline people read."""

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from uuid import UUID

from stafett.aggregates.plan import Plan
from stafett.aggregates.values import Role
from stafett.applications.results import TimelineEntry

ERASED_PERSON = "(slettet person)"

_ROLE = {"owner": "planeier", "relative": "pårørende", "provider": "tjenesteyter"}
_SUMMARIES: dict[type[Any], Callable[[Any], str]] = {
    Plan.Created: lambda e: f"Plan opprettet ({e.plan_type.value}): {e.short_name}",
    Plan.ParticipantAdded: lambda e: f"Deltaker lagt til som {_ROLE[e.role.value]}",
    Plan.ParticipantChanged: lambda e: "Deltakerens ansvar endret",
    Plan.RightsChanged: lambda e: "Deltakerens rettigheter endret",
    Plan.RoleChanged: lambda e: f"Deltakerens rolle endret til {_ROLE[e.role.value]}",
    Plan.ParticipantRemoved: lambda e: "Deltaker fjernet fra plangruppen",
    Plan.ConsentRenewed: lambda e: f"Samtykke fornyet, utløper {e.consent.expires_on:%d.%m.%Y}",
    Plan.ConsentChanged: lambda e: "Samtykkets omfang endret",
    Plan.ConsentReset: lambda e: "Samtykke nullstilt",
    Plan.ConsentWithdrawn: lambda e: "Samtykke trukket tilbake",
    # Accepted by the one it was offered to, or handed over by the coordinator (0052).
    Plan.CoordinatorHandedOver: lambda e: (
        "Stafettpinnen overlevert"
        if e.actor_role is Role.COORDINATOR
        else "Stafettpinnen tatt imot"
    ),
    Plan.BatonOffered: lambda e: "Stafettpinnen tilbudt",
    Plan.BatonOfferEnded: lambda e: (
        "Tilbudet om stafettpinnen " + ("avslått" if e.declined else "trukket tilbake")
    ),
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
    Plan.Reopened: lambda e: f"Plan gjenåpnet: {e.reason}" if e.reason else "Plan gjenåpnet",
    Plan.Archived: lambda e: "Plan arkivert",
    Plan.NotificationsChosen: lambda e: "Varselvalg endret",
    Plan.PlanDetailsChanged: lambda e: "Plandetaljer endret",
}


def summarise(event: object) -> str:
    return _SUMMARIES[type(event)](event)


def timeline_of(
    events: Iterable[Plan.Event],
    names: Mapping[UUID, str],
    members: Mapping[UUID, UUID] | None = None,
) -> list[TimelineEntry]:
    """The timeline of a plan's events: who (by `names`, from the directory) did what when;
    with `members` (participant id → person id), whom an event about a participant is about."""

    def subject(event: Plan.Event) -> UUID | None:
        participant_id: UUID | None = getattr(event, "participant_id", None)
        return None if members is None or participant_id is None else members.get(participant_id)

    return [
        TimelineEntry(
            version=event.originator_version,
            at=event.timestamp,
            actor_id=event.actor_id,
            actor_name=names.get(event.actor_id, ERASED_PERSON),
            actor_role=event.actor_role,
            type=type(event).__name__,
            summary=summarise(event),
            reason=event.reason if isinstance(event, Plan.Closed | Plan.Reopened) else "",
            subject_id=(whom := subject(event)),
            subject_name="" if whom is None else names.get(whom, ERASED_PERSON),
            details=(tuple(event.changes()) if isinstance(event, Plan.PlanDetailsChanged) else ()),
            role=event.role if isinstance(event, Plan.RoleChanged) else None,
        )
        for event in events
    ]
