"""Notices on both stores: who is told (rights and consent at the event's instant),
exactly once, sent over a real SMTP server and a real HTTP gateway, never lost."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from structlog.testing import capture_logs

from stafett.aggregates.values import Access, CommentTarget, Rights
from stafett.applications.commands import (
    AcceptBaton,
    AddActivity,
    AddCalendarEntry,
    AddParticipant,
    ChangeParticipant,
    ChooseNotifications,
    EndBatonOffer,
    HandOverCoordinator,
    OfferBaton,
    PostComment,
    RemoveParticipant,
    SendMessage,
    SetGoal,
)
from stafett.applications.notice_sender import NoticeSender, SenderSettings
from stafett.applications.parts import CommentOn, PersonIn, RightsIn
from stafett.applications.plans import PlanApplication
from stafett.delivery import OutgoingMessage, RoutingSender, SmsGatewaySender, SmtpSender
from stafett.persistence.background import Backoff
from stafett.persistence.notice_outbox import DEAD, PENDING, SENT, NoticeOutbox
from tests.conftest import ManualClock
from tests.integration.notice_support import (
    Gateway,
    Group,
    choose,
    confirm_mobile,
    everything,
    group,
    outbox_of,
    process_for,
    running_gateway,
    sender_for,
)
from tests.integration.support import register
from tests.integration.test_delivery import CollectingHandler, SmtpServer, running_smtp


@pytest.fixture
def outbox(plans: PlanApplication) -> NoticeOutbox:
    return outbox_of(plans)


@pytest.fixture
def gateway() -> Iterator[tuple[Gateway, str]]:
    yield from running_gateway()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from running_smtp(CollectingHandler())


def told(outbox: NoticeOutbox, kind: str) -> set[tuple[UUID, str]]:
    return {(r.participant_id, r.channel) for r in outbox.rows() if r.kind == kind}


def add_activity(
    plans: PlanApplication, g: Group, by: UUID | None = None, *, responsible: UUID | None = None
) -> None:
    plans.handle(
        g.plan.plan_id,
        AddActivity(title="Leksehjelp", responsible_participant_id=responsible or g.per_pid),
        by=by or g.kari,
    )


def test_rights_at_the_instant_decide_and_nobody_hears_of_their_own_change(
    plans: PlanApplication, outbox: NoticeOutbox
) -> None:
    g = group(plans)
    add_activity(plans, g)  # v7, by Kari
    goal = plans.handle(g.plan.plan_id, SetGoal(title="Lese"), by=g.anne).created_id  # v8
    assert goal is not None
    plans.handle(
        g.plan.plan_id,
        PostComment(on=CommentOn(kind=CommentTarget.GOAL, id=goal), text="Fint"),
        by=g.per,
    )  # v9
    plans.handle(
        g.plan.plan_id,
        AddCalendarEntry(
            title="Møte",
            starts_at=plans.clock() + timedelta(days=2),
            ends_at=plans.clock() + timedelta(days=2, hours=1),
        ),
        by=g.kari,
    )  # v10
    process_for(plans, outbox).catch_up()

    def at_version(version: int) -> set[tuple[UUID, str]]:
        return {(r.participant_id, r.channel) for r in outbox.rows() if r.version == version}

    def by_both(*participants: UUID) -> set[tuple[UUID, str]]:
        return {(p, c) for p in participants for c in ("sms", "email")}

    # the provider who reads activities is told; the relative with activities `none` is
    # not; the coordinator who added it is not told of her own change
    assert at_version(7) == by_both(g.per_pid)
    assert at_version(8) == by_both(g.kari_pid, g.per_pid)
    assert at_version(9) == by_both(g.kari_pid, g.anne_pid)
    assert at_version(10) == by_both(g.per_pid)
    assert {r.kind for r in outbox.rows()} == {
        "new_goal_or_activity",
        "new_comment",
        "new_calendar_entry",
    }
    assert {r.status for r in outbox.rows()} == {PENDING}


def test_a_message_is_told_only_to_its_recipients(
    plans: PlanApplication, outbox: NoticeOutbox
) -> None:
    g = group(plans)
    plans.handle(
        g.plan.plan_id, SendMessage(to=[g.anne_pid], subject="Hei", body="Tekst"), by=g.kari
    )
    plans.handle(g.plan.plan_id, SendMessage(to="all", subject="Alle", body="Tekst"), by=g.anne)
    process_for(plans, outbox).catch_up()
    messages = [(r.version, r.participant_id) for r in outbox.rows() if r.kind == "new_message"]
    assert {p for v, p in messages if v == 7} == {g.anne_pid}
    assert {p for v, p in messages if v == 8} == {g.kari_pid, g.per_pid}


def test_a_removed_participant_and_a_provider_without_consent_get_nothing(
    plans: PlanApplication, outbox: NoticeOutbox, clock: ManualClock
) -> None:
    g = group(plans)
    plans.handle(g.plan.plan_id, RemoveParticipant(participant_id=g.anne_pid), by=g.kari)
    choose(plans, g.plan.plan_id, g.kari, g.kari_pid)  # Kari wants nothing now
    add_activity(plans, g)
    # consent runs out (210 days): the provider may not open the plan, the family still can
    clock.advance(timedelta(days=400))
    plans.handle(
        g.plan.plan_id,
        AddParticipant(person=PersonIn.of(register(plans, "Nils", "Ny")), role="relative"),
        by=g.kari,
    )
    process_for(plans, outbox).catch_up()
    assert all(r.participant_id != g.anne_pid for r in outbox.rows())
    assert told(outbox, "new_goal_or_activity") == {(g.per_pid, "sms"), (g.per_pid, "email")}
    assert told(outbox, "new_participant") == set()


def test_a_rights_change_counts_from_its_instant(
    plans: PlanApplication, outbox: NoticeOutbox
) -> None:
    g = group(plans, ["email"])
    add_activity(plans, g)  # v7: Per reads activities
    plans.handle(
        g.plan.plan_id,
        ChangeParticipant(
            participant_id=g.per_pid, rights=RightsIn.of(Rights(activities=Access.NONE))
        ),
        by=g.kari,
    )
    add_activity(plans, g, responsible=g.kari_pid)  # v9: Per no longer does (nor may have it)
    process_for(plans, outbox).catch_up()
    assert [(r.version, r.participant_id) for r in outbox.rows()] == [(7, g.per_pid)]


def test_the_baton_s_offer_and_its_answer_reach_whom_they_ask_something_of(
    plans: PlanApplication, outbox: NoticeOutbox
) -> None:
    """Decision 0053: nobody chooses these kinds; each goes by every channel its
    recipient chose for some kind, or by e-mail when they chose none."""
    g = group(plans)
    plan_id = g.plan.plan_id
    process = process_for(plans, outbox)

    def notices_since(before: int) -> list[tuple[UUID, str, str]]:
        process.catch_up()
        return sorted((r.participant_id, r.kind, r.channel) for r in outbox.rows()[before:])

    plans.handle(plan_id, OfferBaton(participant_id=g.per_pid), by=g.kari)
    assert notices_since(0) == sorted(  # Per, by both channels he chose; not Anne, not Kari
        [(g.per_pid, "baton_offered", "email"), (g.per_pid, "baton_offered", "sms")]
    )
    seen = len(outbox.rows())
    plans.handle(plan_id, EndBatonOffer(), by=g.per)  # declined: the coordinator hears it
    assert notices_since(seen) == sorted(
        [(g.kari_pid, "baton_offer_declined", "email"), (g.kari_pid, "baton_offer_declined", "sms")]
    )
    plans.handle(plan_id, ChooseNotifications(participant_id=g.per_pid), by=g.kari)  # none
    seen = len(outbox.rows())
    plans.handle(plan_id, OfferBaton(participant_id=g.per_pid), by=g.kari)
    plans.handle(plan_id, EndBatonOffer(), by=g.kari)  # withdrawn: Per hears it
    assert notices_since(seen) == [  # by e-mail, having chosen no channel
        (g.per_pid, "baton_offer_withdrawn", "email"),
        (g.per_pid, "baton_offered", "email"),
    ]
    seen = len(outbox.rows())
    plans.handle(plan_id, HandOverCoordinator(participant_id=g.per_pid), by=g.kari)
    assert notices_since(seen) == [(g.per_pid, "baton_handed_over", "email")]
    seen = len(outbox.rows())
    plans.handle(plan_id, OfferBaton(participant_id=g.kari_pid), by=g.per)
    plans.handle(plan_id, AcceptBaton(), by=g.kari)  # Per, who offered it, hears she took it
    assert notices_since(seen) == sorted(
        [
            (g.kari_pid, "baton_offered", "email"),
            (g.kari_pid, "baton_offered", "sms"),
            (g.per_pid, "baton_accepted", "email"),
        ]
    )


def test_each_event_becomes_notices_once_and_a_rebuild_sends_nothing_again(
    plans: PlanApplication, outbox: NoticeOutbox, gateway: tuple[Gateway, str]
) -> None:
    server, url = gateway
    g = group(plans, ["sms"])
    for _ in range(3):
        add_activity(plans, g)
    process = process_for(plans, outbox, batch_size=4)
    process.catch_up()
    assert outbox.position() == plans.recorder.max_notification_id()
    first = outbox.rows()
    assert len(first) == 3  # Per, by SMS, three times
    sender = sender_for(plans, outbox, SmsGatewaySender(url, None))
    assert sender.send_due() == 3
    assert len(server.delivered) == 3

    outbox.reset()  # a rebuild from scratch: every event read again
    assert outbox.position() == 0
    fresh = process_for(plans, outbox, batch_size=2)
    assert fresh.catch_up() == plans.recorder.max_notification_id()
    assert [(r.notice_id, r.status) for r in outbox.rows()] == [(r.notice_id, SENT) for r in first]
    assert sender.send_due() == 0
    assert len(server.requests) == 3


def test_an_email_and_an_sms_arrive_and_name_neither_the_child_nor_the_content(
    plans: PlanApplication,
    outbox: NoticeOutbox,
    gateway: tuple[Gateway, str],
    smtp: SmtpServer,
) -> None:
    server, url = gateway
    g = group(plans)
    secret = "Ola sin hemmelige melding"
    plans.handle(
        g.plan.plan_id, SendMessage(to=[g.anne_pid], subject=secret, body=secret), by=g.kari
    )
    process_for(plans, outbox).catch_up()
    sender = sender_for(
        plans,
        outbox,
        RoutingSender(
            email=SmtpSender(smtp.url, "stafett@kommune.no"), sms=SmsGatewaySender(url, None)
        ),
    )
    assert sender.send_due() == 2
    mails = smtp.handler.received()
    assert [m["To"] for m in mails] == ["anne@example.no"]
    assert [d.to for d in server.delivered] == ["+4790000001"]
    row = next(r for r in outbox.rows() if r.channel == "email")
    assert mails[0]["Message-ID"] == f"<{row.notice_id}@kommune.no>"
    texts = [str(mails[0]["Subject"]), mails[0].get_content(), server.delivered[0].message]
    for text in texts:
        # the plan's short name "Ola – trivsel" names the child: it is left out too
        for word in ("Ola", "Nordmann", "hemmelige", "melding til deg i planen «"):
            assert word not in text, (word, text)
        assert "https://stafett.test/login" in text or text == texts[0]
    assert "Ny melding til deg i en plan du deltar i" in texts[0]
    assert {r.status for r in outbox.rows()} == {SENT}


def test_a_crash_between_sending_and_recording_sends_the_same_key_again(
    plans: PlanApplication,
    outbox: NoticeOutbox,
    gateway: tuple[Gateway, str],
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, url = gateway
    g = group(plans, ["sms"])
    add_activity(plans, g)
    process_for(plans, outbox).catch_up()
    settings = SenderSettings(lease_seconds=60)
    crashing = sender_for(plans, outbox, SmsGatewaySender(url, None), settings=settings)

    def killed(*args: Any, **kwargs: Any) -> bool:
        raise SystemExit("worker killed after the gateway accepted")

    monkeypatch.setattr(outbox, "mark_sent", killed)
    with pytest.raises(SystemExit):
        crashing.send_due()
    monkeypatch.undo()
    assert len(server.requests) == 1
    assert [r.status for r in outbox.rows()] == [PENDING]

    restarted = sender_for(plans, outbox, SmsGatewaySender(url, None), settings=settings)
    assert restarted.send_due() == 0  # still leased to the dead worker
    clock.advance(timedelta(seconds=61))
    assert restarted.send_due() == 1
    keys = [r.key for r in server.requests]
    assert len(keys) == 2
    assert keys[0] == keys[1] == str(outbox.rows()[0].notice_id)
    assert len(server.delivered) == 1  # the recipient gets one message
    assert [r.status for r in outbox.rows()] == [SENT]


def test_an_smtp_server_that_refuses_for_a_while_loses_nothing(
    plans: PlanApplication, outbox: NoticeOutbox, smtp: SmtpServer, clock: ManualClock
) -> None:
    g = group(plans, ["email"])
    for _ in range(3):
        add_activity(plans, g)
    process_for(plans, outbox).catch_up()
    settings = SenderSettings(backoff=Backoff(first=10, factor=2, cap=60), max_attempts=20)
    sender = sender_for(
        plans, outbox, SmtpSender(smtp.url, "stafett@kommune.no"), settings=settings
    )
    smtp.handler.answer = "451 Try again later"
    for _ in range(4):
        sender.send_due()
        clock.advance(timedelta(seconds=61))
    rows = outbox.rows()
    assert {r.status for r in rows} == {PENDING}
    assert all(r.attempts >= 3 for r in rows)
    refused = len(smtp.handler.envelopes)
    smtp.handler.answer = "250 OK"
    sender.send_due()
    assert {r.status for r in outbox.rows()} == {SENT}
    arrived = smtp.handler.received()[refused:]
    assert sorted(m["Message-ID"] for m in arrived) == sorted(
        f"<{r.notice_id}@kommune.no>" for r in rows
    )


def sms_notice_to_a_refusing_gateway(
    plans: PlanApplication, outbox: NoticeOutbox, gateway: tuple[Gateway, str], *, max_attempts: int
) -> NoticeSender:
    """A notice due by SMS, and a sender whose gateway refuses every message for now."""
    server, url = gateway
    g = group(plans, ["sms"])
    add_activity(plans, g)
    process_for(plans, outbox).catch_up()
    settings = SenderSettings(backoff=Backoff(first=1, factor=2, cap=4), max_attempts=max_attempts)
    sender = sender_for(plans, outbox, SmsGatewaySender(url, None), settings=settings)
    server.refuse = True
    return sender


def test_after_the_last_attempt_a_notice_is_dead_until_retried(
    plans: PlanApplication, outbox: NoticeOutbox, gateway: tuple[Gateway, str], clock: ManualClock
) -> None:
    server = gateway[0]
    sender = sms_notice_to_a_refusing_gateway(plans, outbox, gateway, max_attempts=3)
    for _ in range(5):
        sender.send_due()
        clock.advance(timedelta(seconds=5))
    assert len(server.requests) == 3
    [dead] = outbox.dead_letters()
    assert dead.status == DEAD
    assert dead.attempts == 3
    assert dead.last_error == "SMS gateway answered HTTP 503"
    assert outbox.backlog().dead == 1
    server.refuse = False
    assert sender.retry(dead.notice_id)
    assert not sender.retry(dead.notice_id)  # no longer dead
    assert sender.send_due() == 1
    assert [r.status for r in outbox.rows()] == [SENT]
    assert len(server.delivered) == 1


def test_a_failed_attempt_is_logged_by_its_error_class_and_its_text_kept_on_the_notice(
    plans: PlanApplication, outbox: NoticeOutbox, gateway: tuple[Gateway, str], clock: ManualClock
) -> None:
    """The text of a delivery error can quote the recipient or the server's answer: it
    stays on the notice for the administrators' list, and the log names its class."""
    sender = sms_notice_to_a_refusing_gateway(plans, outbox, gateway, max_attempts=2)
    with capture_logs() as logs:
        for _ in range(2):
            sender.send_due()
            clock.advance(timedelta(seconds=5))
    lines = [line for line in logs if line["event"] in ("notice_failed", "notice_dead")]
    assert [line["event"] for line in lines] == ["notice_failed", "notice_dead"]
    assert {line["error"] for line in lines} == {"DeliveryError"}
    assert [dead.last_error for dead in outbox.dead_letters()] == ["SMS gateway answered HTTP 503"]


def provider_choosing(plans: PlanApplication, g: Group, person: UUID, channels: list[str]) -> UUID:
    """`person` added to the group's plan as a provider, choosing `channels` for everything."""
    added = plans.handle(
        g.plan.plan_id, AddParticipant(person=PersonIn.of(person), role="provider"), by=g.kari
    ).created_id
    assert added is not None
    choose(plans, g.plan.plan_id, person, added, **everything(channels))
    return added


def test_a_recipient_without_an_address_is_dead_at_once(
    plans: PlanApplication, outbox: NoticeOutbox
) -> None:
    g = group(plans, ["email"])
    added = provider_choosing(plans, g, register(plans, "Uten", "Adresse"), ["email"])
    add_activity(plans, g)
    process_for(plans, outbox).catch_up()
    sent: list[OutgoingMessage] = []

    class Collecting:
        def send(self, message: OutgoingMessage) -> None:
            sent.append(message)

    sender_for(plans, outbox, Collecting()).send_due()
    activity = {r.participant_id: r.status for r in outbox.rows() if r.version == 9}
    assert activity == {added: DEAD, g.per_pid: SENT}
    assert [m.to for m in sent].count("per@example.no") == 2  # the new participant, the activity
    assert [r.last_error for r in outbox.dead_letters()] == ["the recipient has no email address"]


def test_an_sms_waits_dead_until_its_number_is_confirmed_and_then_goes_once_retried(
    plans: PlanApplication, outbox: NoticeOutbox, gateway: tuple[Gateway, str]
) -> None:
    """A number a coordinator typed in may be someone else's: as with login codes
    (SEC-OTP-06), an SMS notice goes only to a number its person has confirmed."""
    server, url = gateway
    g = group(plans, ["sms"])
    typed = register(plans, "Skrevet", "Feil", mobile="+4790000009")  # no account, no proof
    added = provider_choosing(plans, g, typed, ["sms"])
    add_activity(plans, g)
    process_for(plans, outbox).catch_up()
    sender = sender_for(plans, outbox, SmsGatewaySender(url, None))
    sender.send_due()

    assert "+4790000009" not in [d.to for d in server.delivered]
    assert "+4790000002" in [d.to for d in server.delivered]  # Per confirmed his
    [dead] = outbox.dead_letters()
    assert (dead.participant_id, dead.attempts) == (added, 1)
    assert dead.last_error == "the recipient has not confirmed the mobile number"

    confirm_mobile(plans, typed)
    assert sender.retry(dead.notice_id)
    assert sender.send_due() == 1
    assert [d.to for d in server.delivered].count("+4790000009") == 1
