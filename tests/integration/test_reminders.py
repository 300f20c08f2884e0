"""Reminders on both stores (decision 0022): consent expiring in 30 and 7 days to the
coordinator, an activity past its due date to its responsible participant, an offer of
the baton unanswered for a week to the one offered it (decision 0053); each once,
driven by the clock, neither lost nor repeated by a restart, moved by a new date and
cancelled by completion, removal or a closed plan; none to one who may not see it. The
owner's coming of age after the consent was given, to the coordinator (decision 0056)."""

from collections.abc import Collection
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from uuid import UUID

import pytest

from stafett.aggregates.values import MUNICIPAL_TIMEZONE, Access, Rights, local_date
from stafett.applications.commands import (
    AcceptBaton,
    AddActivity,
    ChangeActivity,
    ChangeParticipant,
    ChangePlanDetails,
    ClosePlan,
    CompleteActivity,
    EndBatonOffer,
    OfferBaton,
    RemoveParticipant,
    RenewConsent,
    ReopenPlan,
)
from stafett.applications.parts import RightsIn
from stafett.applications.plans import PlanApplication
from stafett.persistence.notice_outbox import NoticeOutbox, OutboxRow
from stafett.persistence.notice_reminders import FIRED, LAPSED, PENDING, VOID
from stafett.projections.notices import NoticeRunner
from stafett.projections.plan_list import PlanListProjection, PlanListView
from stafett.projections.reminders import BIRTH_DATES_OVERLAP, BirthDates, ReminderSweep
from tests.conftest import ManualClock, consent_for
from tests.integration.notice_support import Group, choose, group, outbox_of, process_for
from tests.integration.support import eventually, new_plan
from tests.integration.test_plan_list import project

CONSENT = ("consent_expires_30", "consent_expires_7")


@pytest.fixture
def outbox(plans: PlanApplication) -> NoticeOutbox:
    return outbox_of(plans)


def on(clock: ManualClock, day: date, hour: int = 8) -> None:
    """The clock at `hour` o'clock, Oslo time, on `day`."""
    clock.now = datetime.combine(day, time(hour), tzinfo=MUNICIPAL_TIMEZONE)


def restarted(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> tuple[NoticeOutbox, ReminderSweep]:
    """New process objects on the same store, as after a restart: caught up, then swept."""
    outbox = outbox_of(plans)
    process_for(plans, outbox).catch_up()
    return outbox, sweeper(plans, outbox, clock, view)


def sweeper(
    plans: PlanApplication, outbox: NoticeOutbox, clock: ManualClock, view: PlanListView
) -> ReminderSweep:
    """The sweep as the services make it: birth dates from the directory's change log,
    the plans of their owners from the plan list (brought up to date first)."""
    projection = PlanListProjection(view)

    def plans_owned_by(persons: Collection[UUID]) -> list[UUID]:
        project(plans, projection)
        return view.plans_owned_by(persons)

    births = BirthDates(plans.directory.birth_dates_changed, plans_owned_by)
    return ReminderSweep(
        plans, outbox, clock=clock, of_age=plans.owners_of_age_on, birth_dates=births
    )


def reminders(outbox: NoticeOutbox, *kinds: str) -> list[OutboxRow]:
    return [r for r in outbox.rows() if r.kind in kinds]


def sent_to(rows: list[OutboxRow]) -> list[tuple[UUID, str, str]]:
    return sorted((r.participant_id, r.kind, r.channel) for r in rows)


def expiry(plans: PlanApplication, g: Group) -> date:
    return plans.get_plan(g.plan.plan_id).consent.expires_on


def test_consent_reminders_go_to_the_coordinator_once_at_30_and_once_at_7_days(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    g = group(plans)  # everyone chose SMS and e-mail for everything
    expires = expiry(plans, g)
    for day, hour in ((expires - timedelta(days=31), 23), (expires - timedelta(days=30), 0)):
        on(clock, day, hour)
        outbox, sweep = restarted(plans, clock, view)
        sweep.sweep()
    # 23:00 the day before is not yet the day; 00:00 Oslo time on it is
    assert sent_to(reminders(outbox, *CONSENT)) == [
        (g.kari_pid, "consent_expires_30", "email"),
        (g.kari_pid, "consent_expires_30", "sms"),
    ]
    for days_before in (30, 29, 8):  # the same day again, and each restart after
        on(clock, expires - timedelta(days=days_before), 12)
        outbox, sweep = restarted(plans, clock, view)
        assert sweep.sweep() == 0
    on(clock, expires - timedelta(days=7))
    outbox, sweep = restarted(plans, clock, view)
    assert sweep.sweep() == 2
    for day in (expires - timedelta(days=6), expires, expires + timedelta(days=1)):
        on(clock, day)
        assert sweeper(plans, outbox, clock, view).sweep() == 0
    assert sent_to(reminders(outbox, *CONSENT)) == [
        (g.kari_pid, kind, channel)
        for kind in ("consent_expires_30", "consent_expires_7")
        for channel in ("email", "sms")
    ]
    assert {s.status for s in outbox.reminders.stored([g.plan.plan_id])} == {FIRED}


def test_a_30_day_reminder_found_late_lapses_and_the_7_day_one_is_given(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    g = group(plans, ["email"])
    expires = expiry(plans, g)
    outbox, _ = restarted(plans, clock, view)
    on(clock, expires - timedelta(days=5))  # the worker was down for weeks
    sweep = sweeper(plans, outbox, clock, view)
    assert sweep.sweep() == 1
    assert sent_to(reminders(outbox, *CONSENT)) == [(g.kari_pid, "consent_expires_7", "email")]
    statuses = {s.reminder.kind.value: s.status for s in outbox.reminders.stored()}
    assert statuses == {"consent_expires_30": LAPSED, "consent_expires_7": FIRED}


def test_a_coordinator_who_chose_no_notices_is_reminded_by_email(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    g = group(plans, ["sms"])
    choose(plans, g.plan.plan_id, g.kari, g.kari_pid)  # nothing at all
    outbox, _ = restarted(plans, clock, view)
    on(clock, expiry(plans, g) - timedelta(days=30))
    sweeper(plans, outbox, clock, view).sweep()
    assert sent_to(reminders(outbox, *CONSENT)) == [(g.kari_pid, "consent_expires_30", "email")]


def test_renewed_consent_moves_its_reminders_and_the_old_ones_are_void(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    g = group(plans, ["email"])
    old = expiry(plans, g)
    on(clock, old - timedelta(days=30))
    outbox, sweep = restarted(plans, clock, view)
    assert sweep.sweep() == 1
    today = local_date(clock())
    plans.handle(g.plan.plan_id, RenewConsent.of(consent_for(today, 100)), by=g.kari)
    process_for(plans, outbox).catch_up()
    on(clock, old - timedelta(days=7))  # the old 7-day reminder's day: nothing now
    assert sweep.sweep() == 0
    stored = {
        (s.reminder.about_on, s.reminder.kind.value): s.status for s in outbox.reminders.stored()
    }
    assert stored[(old, "consent_expires_7")] == VOID
    assert stored[(old, "consent_expires_30")] == FIRED
    new = today + timedelta(days=100)
    assert stored[(new, "consent_expires_30")] == PENDING
    on(clock, new - timedelta(days=30))
    assert sweep.sweep() == 1
    assert [r.created_at.date() for r in reminders(outbox, "consent_expires_30")] == [
        old - timedelta(days=30),
        new - timedelta(days=30),
    ]


def add_activity(plans: PlanApplication, g: Group, responsible: UUID, due_on: date) -> UUID:
    created = plans.handle(
        g.plan.plan_id,
        AddActivity(title="Leksehjelp", responsible_participant_id=responsible, due_on=due_on),
        by=g.kari,
    ).created_id
    assert created is not None
    return created


def add_activity_for_anne(plans: PlanApplication, g: Group, due_on: date) -> UUID:
    """An activity of Anne's, who may not see activities: given while she could (an
    activity goes only to one who may read it, decision 0049), her right taken back after."""

    def anne_sees(activities: Access) -> None:
        rights = RightsIn.of(Rights(activities=activities))
        plans.handle(
            g.plan.plan_id, ChangeParticipant(participant_id=g.anne_pid, rights=rights), by=g.kari
        )

    anne_sees(Access.READ)
    created = add_activity(plans, g, g.anne_pid, due_on)
    anne_sees(Access.NONE)  # as the group has her
    return created


def test_an_overdue_activity_reminds_its_responsible_once_and_completion_cancels(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    g = group(plans, ["sms"])
    due = local_date(clock()) + timedelta(days=3)
    late = add_activity(plans, g, g.per_pid, due)
    done = add_activity(plans, g, g.per_pid, due)
    plans.handle(g.plan.plan_id, CompleteActivity(activity_id=done), by=g.kari)
    outbox, sweep = restarted(plans, clock, view)
    on(clock, due, 23)
    assert sweep.sweep() == 0  # due today is not past due
    on(clock, due + timedelta(days=1))
    assert sweep.sweep() == 1
    [row] = reminders(outbox, "activity_overdue")
    assert (row.participant_id, row.channel) == (g.per_pid, "sms")
    on(clock, due + timedelta(days=2))
    outbox, sweep = restarted(plans, clock, view)
    assert sweep.sweep() == 0
    # a new due date is a new reminder, given once it too has passed
    later = due + timedelta(days=10)
    plans.handle(g.plan.plan_id, ChangeActivity(activity_id=late, due_on=later), by=g.kari)
    process_for(plans, outbox).catch_up()
    on(clock, later + timedelta(days=1))
    assert sweep.sweep() == 1
    assert sweep.sweep() == 0
    assert len(reminders(outbox, "activity_overdue")) == 2
    assert done not in {s.reminder.subject_id for s in outbox.reminders.stored()}


def test_completing_or_removing_before_the_day_cancels_the_reminder(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    g = group(plans, ["email"])
    due = local_date(clock()) + timedelta(days=3)
    completed = add_activity(plans, g, g.per_pid, due)
    add_activity_for_anne(plans, g, due)
    outbox, sweep = restarted(plans, clock, view)
    assert {s.status for s in outbox.reminders.stored() if s.reminder.subject_id == completed} == {
        PENDING
    }
    plans.handle(g.plan.plan_id, CompleteActivity(activity_id=completed), by=g.kari)
    plans.handle(g.plan.plan_id, RemoveParticipant(participant_id=g.anne_pid), by=g.kari)
    process_for(plans, outbox).catch_up()

    def overdue() -> list[str]:
        stored = outbox.reminders.stored()
        return [s.status for s in stored if s.reminder.kind.value == "activity_overdue"]

    assert overdue() == [VOID, VOID]  # by the process, before their day
    on(clock, due + timedelta(days=1))
    assert sweep.sweep() == 0
    assert overdue() == [VOID, VOID]


def test_no_reminder_to_one_who_may_not_see_activities_that_day(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    g = group(plans, ["email"])
    today = local_date(clock())
    add_activity_for_anne(plans, g, today + timedelta(days=3))  # Anne: activities none
    expires = expiry(plans, g)
    add_activity(plans, g, g.per_pid, expires + timedelta(days=3))  # after consent ends
    add_activity(plans, g, g.per_pid, today + timedelta(days=5))
    outbox, sweep = restarted(plans, clock, view)
    on(clock, today + timedelta(days=6))
    sweep.sweep()
    assert sent_to(reminders(outbox, "activity_overdue")) == [
        (g.per_pid, "activity_overdue", "email")
    ]
    # rights count on the day it is due, not when it was scheduled
    add_activity(plans, g, g.per_pid, today + timedelta(days=7))
    process_for(plans, outbox).catch_up()
    no_activities = RightsIn.of(Rights(activities=Access.NONE))
    plans.handle(
        g.plan.plan_id, ChangeParticipant(participant_id=g.per_pid, rights=no_activities), by=g.kari
    )
    on(clock, today + timedelta(days=8))
    sweep.sweep()
    assert len(reminders(outbox, "activity_overdue")) == 1
    plans.handle(
        g.plan.plan_id,
        ChangeParticipant(participant_id=g.per_pid, rights=RightsIn.of(Rights())),
        by=g.kari,
    )
    on(clock, expires + timedelta(days=4))  # the provider's consent has run out
    sweep.sweep()
    assert len(reminders(outbox, "activity_overdue")) == 1
    anne = [s for s in outbox.reminders.stored() if s.reminder.fire_on == today + timedelta(days=4)]
    assert [s.status for s in anne] == [FIRED]  # given, to nobody


def test_the_notice_runner_sweeps_due_reminders_between_batches(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    g = group(plans, ["email"])
    outbox = outbox_of(plans)
    sweep = sweeper(plans, outbox, clock, view)
    with NoticeRunner(process_for(plans, outbox), sweep=sweep, sweep_every=0.01, poll=0.01):
        eventually(lambda: outbox.position() == plans.recorder.max_notification_id())
        on(clock, expiry(plans, g) - timedelta(days=7))
        eventually(lambda: bool(reminders(outbox, *CONSENT)))
    assert sent_to(reminders(outbox, *CONSENT)) == [(g.kari_pid, "consent_expires_7", "email")]


def test_a_closed_plan_has_no_reminders_coming_and_a_reopened_one_has_them_again(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    g = group(plans, ["email"])
    today = local_date(clock())
    add_activity(plans, g, g.per_pid, today + timedelta(days=2))
    outbox, sweep = restarted(plans, clock, view)
    plans.handle(g.plan.plan_id, ClosePlan(ended_on=today, reason="Ferdig"), by=g.kari)
    process_for(plans, outbox).catch_up()
    assert {s.status for s in outbox.reminders.stored()} == {VOID}
    on(clock, expiry(plans, g) - timedelta(days=7))
    assert sweep.sweep() == 0
    plans.handle(g.plan.plan_id, ReopenPlan(), by=g.kari)
    process_for(plans, outbox).catch_up()
    assert sweep.sweep() == 2  # the consent's 7 days, and the activity long past due
    assert sorted(r.kind for r in outbox.rows() if r.kind in (*CONSENT, "activity_overdue")) == [
        "activity_overdue",
        "consent_expires_7",
    ]


def test_a_review_date_reminds_the_coordinator_once_in_its_last_week_and_moves_with_it(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    """Decision 0051's review date: from 7 days before it to the day, to the coordinator
    (as the consent's); a new date is a new reminder, a cleared one reminds of nothing."""
    g = group(plans, ["email"])
    restarted(plans, clock, view)  # the plan's creation processed before its review date is set
    today = local_date(clock())
    first = today + timedelta(days=40)
    details = ChangePlanDetails(review_on=first)
    plans.handle(g.plan.plan_id, details, by=g.kari)
    on(clock, first - timedelta(days=8))
    outbox, sweep = restarted(plans, clock, view)
    assert sweep.sweep() == 0  # not yet
    on(clock, first - timedelta(days=7))
    outbox, sweep = restarted(plans, clock, view)
    assert sweep.sweep() == 1
    on(clock, first)
    assert sweeper(plans, outbox, clock, view).sweep() == 0  # once
    assert sent_to(reminders(outbox, "review_due")) == [(g.kari_pid, "review_due", "email")]

    later = first + timedelta(days=90)  # evaluated: the next review is set
    plans.handle(g.plan.plan_id, ChangePlanDetails(review_on=later), by=g.kari)
    cleared = later + timedelta(days=30)
    plans.handle(g.plan.plan_id, ChangePlanDetails(review_on=cleared), by=g.kari)
    plans.handle(g.plan.plan_id, ChangePlanDetails(review_on=None), by=g.kari)
    on(clock, later - timedelta(days=3))
    outbox, sweep = restarted(plans, clock, view)
    assert sweep.sweep() == 0  # the reviews set meanwhile were cleared
    assert len(reminders(outbox, "review_due")) == 1
    statuses = {
        s.reminder.about_on: s.status
        for s in outbox.reminders.stored([g.plan.plan_id])
        if s.reminder.kind.value == "review_due"
    }
    assert statuses[first] == FIRED
    assert statuses.get(later) in (None, VOID)


def test_an_offer_of_the_baton_unanswered_for_a_week_reminds_the_one_offered_once(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    """Decision 0053: from 7 days after the offer while it is pending, once, by the
    channels the provider chose for some kind; an answer or a withdrawal voids it."""
    g = group(plans, ["sms"])
    offered_on = local_date(clock())
    plans.handle(g.plan.plan_id, OfferBaton(participant_id=g.per_pid), by=g.kari)
    on(clock, offered_on + timedelta(days=6), 23)
    outbox, sweep = restarted(plans, clock, view)
    assert sweep.sweep() == 0  # six days: not yet
    on(clock, offered_on + timedelta(days=7))
    assert sweep.sweep() == 1
    on(clock, offered_on + timedelta(days=12))
    outbox, sweep = restarted(plans, clock, view)
    assert sweep.sweep() == 0  # once
    waiting = "baton_offer_waiting"
    assert sent_to(reminders(outbox, waiting)) == [(g.per_pid, waiting, "sms")]

    # A new offer on a later day is a new reminder; withdrawn before its week, it is void.
    plans.handle(g.plan.plan_id, EndBatonOffer(), by=g.kari)
    plans.handle(g.plan.plan_id, OfferBaton(participant_id=g.per_pid), by=g.kari)
    process_for(plans, outbox).catch_up()  # the new offer's reminder is pending
    plans.handle(g.plan.plan_id, EndBatonOffer(), by=g.kari)
    on(clock, offered_on + timedelta(days=30))
    outbox, sweep = restarted(plans, clock, view)
    assert sweep.sweep() == 0
    statuses = sorted(
        (s.reminder.about_on, s.status)
        for s in outbox.reminders.stored([g.plan.plan_id])
        if s.reminder.kind.value == waiting
    )
    assert statuses == [(offered_on, FIRED), (offered_on + timedelta(days=12), VOID)]

    # Accepted in time: nothing more to remind of.
    plans.handle(g.plan.plan_id, OfferBaton(participant_id=g.per_pid), by=g.kari)
    plans.handle(g.plan.plan_id, AcceptBaton(), by=g.per)
    on(clock, offered_on + timedelta(days=40))
    outbox, sweep = restarted(plans, clock, view)
    assert sweep.sweep() == 0
    assert len(reminders(outbox, waiting)) == 1


def born(plans: PlanApplication, person_id: UUID, day: date | None) -> None:
    """The directory's birth date of `person_id` set to `day` (no plan event)."""
    before = plans.get_person(person_id).details
    after = replace(before, birth_date=day)
    plans.directory.update(person_id, before, after, actor_id=None, at=plans.clock())


def sixteen_on(day: date) -> date:
    return day.replace(year=day.year - 16)


CAME_OF_AGE = "owner_came_of_age"


def test_the_owner_coming_of_age_after_the_consent_reminds_the_coordinator_once(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    """Decision 0056: the parents' consent was given before Ola's sixteenth birthday; on
    it, the coordinator is told once, by the channels of the consent's reminders."""
    g = group(plans, ["email"])
    birthday = local_date(clock()) + timedelta(days=20)
    born(plans, g.plan.owner_id, sixteen_on(birthday))
    on(clock, birthday - timedelta(days=1), 23)
    outbox, sweep = restarted(plans, clock, view)
    sweep.sweep()
    assert reminders(outbox, CAME_OF_AGE) == []  # not yet
    on(clock, birthday, 0)
    outbox, sweep = restarted(plans, clock, view)
    sweep.sweep()
    assert sent_to(reminders(outbox, CAME_OF_AGE)) == [(g.kari_pid, CAME_OF_AGE, "email")]
    for day in (birthday, birthday + timedelta(days=1)):
        on(clock, day, 12)
        sweeper(plans, outbox, clock, view).sweep()
    assert len(reminders(outbox, CAME_OF_AGE)) == 1  # once


def test_a_consent_renewed_by_the_parents_before_the_birthday_keeps_the_reminder(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    """The renewal moves the consent's expiry, not the birthday the reminder is about:
    it is still given on the day (its stored dates are those of its first schedule)."""
    g = group(plans, ["email"])
    birthday = local_date(clock()) + timedelta(days=20)
    born(plans, g.plan.owner_id, sixteen_on(birthday))
    restarted(plans, clock, view)
    on(clock, birthday - timedelta(days=10))
    renewed = consent_for(birthday - timedelta(days=10), 400)  # given before the birthday
    plans.handle(g.plan.plan_id, RenewConsent.of(renewed), by=g.kari)
    on(clock, birthday)
    outbox, sweep = restarted(plans, clock, view)
    sweep.sweep()
    assert sent_to(reminders(outbox, CAME_OF_AGE)) == [(g.kari_pid, CAME_OF_AGE, "email")]


def test_a_consent_given_from_the_birthday_on_or_a_birth_date_not_known_reminds_of_nothing(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    g = group(plans, ["email"])
    today = local_date(clock())
    birthday = today + timedelta(days=20)
    born(plans, g.plan.owner_id, sixteen_on(today - timedelta(days=3)))  # 16 before the consent
    other = new_plan(plans, coordinator_id=g.kari)  # an owner with no birth date
    on(clock, birthday)
    outbox, sweep = restarted(plans, clock, view)
    sweep.sweep()
    assert reminders(outbox, CAME_OF_AGE) == []
    kinds = {
        s.reminder.kind.value for s in outbox.reminders.stored([g.plan.plan_id, other.plan_id])
    }
    assert CAME_OF_AGE not in kinds


def test_a_consent_renewed_or_a_birth_date_corrected_before_the_day_voids_the_reminder(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    """Renewed by Ola on the birthday (a plan event: the reminder is worked out again), or
    the birth date corrected in the directory (no plan event: the sweep works the plan's
    reminders out again from the change log): nothing is sent for the day that no longer
    holds."""
    g = group(plans, ["email"])
    other = new_plan(plans, coordinator_id=g.kari)
    today = local_date(clock())
    birthday = today + timedelta(days=20)
    for plan in (g.plan, other):
        born(plans, plan.owner_id, sixteen_on(birthday))
    restarted(plans, clock, view)  # both reminders worked out
    born(plans, other.owner_id, sixteen_on(birthday + timedelta(days=300)))  # a typo corrected
    on(clock, birthday)
    renewed = consent_for(birthday, 200)
    plans.handle(g.plan.plan_id, RenewConsent.of(renewed), by=g.kari)
    outbox, sweep = restarted(plans, clock, view)
    sweep.sweep()
    assert reminders(outbox, CAME_OF_AGE) == []
    statuses = {
        (s.reminder.plan_id, s.reminder.about_on): s.status
        for s in outbox.reminders.stored([g.plan.plan_id, other.plan_id])
        if s.reminder.kind.value == CAME_OF_AGE
    }
    assert statuses[(g.plan.plan_id, birthday)] == VOID
    assert statuses[(other.plan_id, birthday)] == VOID


def came_of_age_stored(outbox: NoticeOutbox, plan_id: UUID) -> dict[date, str]:
    """The coming-of-age reminders stored for `plan_id`: the birthday each is about, its status."""
    return {
        s.reminder.about_on: s.status
        for s in outbox.reminders.stored([plan_id])
        if s.reminder.kind.value == CAME_OF_AGE
    }


def test_a_birth_date_added_after_the_plans_last_event_reminds_on_the_birthday(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    """The owner's birth date is the directory's: written after the plan's last event, no
    plan event carries it, and the sweep works the plan's reminders out again from the
    directory's change log (decision 0056)."""
    g = group(plans, ["email"])
    restarted(plans, clock, view)[1].sweep()  # caught up and swept: no birth date known yet
    birthday = local_date(clock()) + timedelta(days=20)
    born(plans, g.plan.owner_id, sixteen_on(birthday))  # no plan event
    on(clock, birthday - timedelta(days=1), 12)
    outbox, sweep = restarted(plans, clock, view)
    sweep.sweep()
    assert came_of_age_stored(outbox, g.plan.plan_id) == {birthday: PENDING}
    assert reminders(outbox, CAME_OF_AGE) == []  # not yet
    on(clock, birthday)
    sweep.sweep()
    assert sent_to(reminders(outbox, CAME_OF_AGE)) == [(g.kari_pid, CAME_OF_AGE, "email")]


def test_a_birth_date_corrected_to_an_earlier_day_moves_the_reminder_to_it(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    """A typo corrected: the reminder for the day that no longer holds is void, the one
    for the corrected day is given on it, once; nothing more on the old day."""
    g = group(plans, ["email"])
    today = local_date(clock())
    wrong, right = today + timedelta(days=20), today + timedelta(days=3)
    born(plans, g.plan.owner_id, sixteen_on(wrong))
    outbox, sweep = restarted(plans, clock, view)
    sweep.sweep()
    assert came_of_age_stored(outbox, g.plan.plan_id) == {wrong: PENDING}
    born(plans, g.plan.owner_id, sixteen_on(right))
    on(clock, today, 13)
    sweep.sweep()
    assert came_of_age_stored(outbox, g.plan.plan_id) == {wrong: VOID, right: PENDING}
    for day in (right, wrong):
        on(clock, day)
        sweep.sweep()
    assert sent_to(reminders(outbox, CAME_OF_AGE)) == [(g.kari_pid, CAME_OF_AGE, "email")]
    assert came_of_age_stored(outbox, g.plan.plan_id) == {wrong: VOID, right: FIRED}


def test_the_sweep_reads_the_change_log_from_its_stored_position(
    plans: PlanApplication, clock: ManualClock, view: PlanListView
) -> None:
    """Each look starts where the last one (less its overlap) ended, after a restart too;
    a change to another field of the owner, or to another person, reworks no plan."""
    g = group(plans, ["email"])
    other = new_plan(plans, coordinator_id=g.kari)
    born(plans, g.plan.owner_id, sixteen_on(local_date(clock()) + timedelta(days=20)))
    clock.now += BIRTH_DATES_OVERLAP + timedelta(minutes=1)
    _, sweep = restarted(plans, clock, view)
    assert sweep.reschedule_for_birth_dates() == 1  # g's plan, not the other one
    assert sweep.reschedule_for_birth_dates() == 0  # written before the last look's overlap
    _, sweep = restarted(plans, clock, view)
    assert sweep.reschedule_for_birth_dates() == 0  # the position was stored
    before = plans.get_person(g.plan.owner_id).details
    plans.directory.update(
        g.plan.owner_id, before, replace(before, place="Bodø"), actor_id=None, at=clock()
    )
    born(plans, g.kari, date(1980, 5, 17))  # the coordinator owns no plan
    assert sweep.reschedule_for_birth_dates() == 0
    born(plans, other.owner_id, sixteen_on(local_date(clock()) + timedelta(days=30)))
    assert sweep.reschedule_for_birth_dates() == 1
