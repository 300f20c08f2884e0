"""A demo plan with demo participants, for `make run` on an empty store."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from stafett.aggregates.person import PersonDetails
from stafett.aggregates.values import (
    Access,
    CommentTarget,
    Consent,
    GoalStatus,
    PlanType,
    Rights,
    local_date,
)
from stafett.applications.accounts import AccountService, OtpChannel
from stafett.applications.commands import (
    AddActivity,
    AddParticipant,
    EvaluateGoal,
    PostComment,
    RecordMinutes,
    SetGoal,
)
from stafett.applications.parts import CommentOn, ConsentIn, CreatePlan, PersonIn, RightsIn
from stafett.applications.plans import PlanApplication


@dataclass(frozen=True)
class Demo:
    plan_id: UUID
    coordinator_id: UUID
    created: bool
    credentials: tuple[tuple[str, str], ...] = ()


def ensure_demo(plans: PlanApplication, accounts: AccountService) -> Demo:
    """Create the demo plan and its users unless the store has a plan; idempotent.

    The demo users' passwords are random and returned once, for the console.
    """
    existing = plans.plan_ids()
    if existing:
        plan = plans.get_plan(existing[0])
        coordinator = next(
            p for p in plan.participants if p.participant_id == plan.coordinator_participant_id
        )
        return Demo(plan.plan_id, coordinator.person_id, created=False)

    today = local_date(plans.clock())
    credentials: list[tuple[str, str]] = []

    def register(first: str, last: str, **more: object) -> UUID:
        details = PersonDetails(first_name=first, last_name=last, **more)  # type: ignore[arg-type]
        username = first.casefold()
        password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        credentials.append((username, password))
        return accounts.create_account(
            username=username,
            password=password,
            details=details,
            otp_channel=OtpChannel.SMS,  # each has a mobile number (decision 0045)
            is_coordinator=first == "Kari",
            mobile_confirmed=True,  # the demo's made-up numbers, "checked" by whoever runs it
        )

    kari = register(
        "Kari",
        "Stafettholder",
        workplace="Solbakken skole",
        position="Sosiallærer",
        email="kari.stafettholder@example.no",
        mobile="+4791234567",
    )
    anne = register("Anne", "Nordmann", email="anne.nordmann@example.no", mobile="+4792345678")
    per = register(
        "Per",
        "Lærer",
        workplace="Solbakken skole",
        position="Kontaktlærer",
        email="per.laerer@example.no",
        mobile="+4793456789",
    )
    helga = register(
        "Helga",
        "Helsesykepleier",
        workplace="Helsestasjonen",
        position="Helsesykepleier",
        email="helga@example.no",
        mobile="+4794567890",
        hide_mobile=True,
    )
    created = plans.create_plan(
        CreatePlan(
            type=PlanType.RELAY_LOG,
            short_name="Ola – trivsel og lesing",
            start_date=today,
            level=2,  # BTI: simple interdisciplinary collaboration (school and health station)
            review_on=today + timedelta(days=90),
            owner=PersonIn.of(
                PersonDetails(
                    first_name="Ola",
                    last_name="Nordmann",
                    birth_date=today.replace(year=today.year - 10),
                )
            ),
            consent=ConsentIn.of(
                Consent(
                    given_by="Anne Nordmann (mor)",
                    given_on=today,
                    expires_on=today + timedelta(days=210),
                    scope="Full deling i plangruppen",
                )
            ),
        ),
        by=kari,
    )
    plan_id = created.plan_id
    mother = plans.handle(
        plan_id,
        AddParticipant(person=PersonIn.of(anne), role="relative", responsibility="Mor"),
        by=kari,
    ).created_id
    teacher = plans.handle(
        plan_id,
        AddParticipant(person=PersonIn.of(per), role="provider", responsibility="Leseopplæring"),
        by=kari,
    ).created_id
    plans.handle(
        plan_id,
        AddParticipant(
            person=PersonIn.of(helga),
            role="provider",
            responsibility="Helsesamtaler",
            rights=RightsIn.of(Rights(minutes=Access.READ, goals=Access.READ)),
        ),
        by=kari,
    )
    assert mother is not None
    assert teacher is not None
    goal = plans.handle(
        plan_id,
        SetGoal(
            title="Ola leser med glede",
            description="Ola leser 15 minutter hver dag, hjemme og på skolen.",
            due_on=today + timedelta(days=120),
        ),
        by=kari,
    ).created_id
    assert goal is not None
    plans.handle(
        plan_id,
        AddActivity(
            title="Lesekvarter hver morgen",
            responsible_participant_id=teacher,
            goal_id=goal,
            due_on=today + timedelta(days=60),
        ),
        by=per,
    )
    plans.handle(
        plan_id,
        RecordMinutes(
            met_on=today,
            attendee_ids=[mother, teacher],
            notes="Oppstartsmøte. Vi ble enige om felles mål og hvem som gjør hva.",
            decisions="Per følger opp lesekvarter. Neste møte om seks uker.",
        ),
        by=kari,
    )
    plans.handle(
        plan_id,
        PostComment(
            on=CommentOn(kind=CommentTarget.GOAL, id=goal), text="Vi leser sammen hver kveld også."
        ),
        by=anne,
    )
    plans.handle(
        plan_id, EvaluateGoal(goal_id=goal, status=GoalStatus.ACTIVE, text="God start."), by=kari
    )
    return Demo(plan_id, kari, created=True, credentials=tuple(credentials))
