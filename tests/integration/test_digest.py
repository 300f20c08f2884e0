"""The hourly e-mail digest on both stores (decision 0022): a participant who chose it
gets at most one e-mail an hour per plan, listing per kind how many notices it holds,
over a real SMTP server; SMS are sent at once as before; restarts and a crash lose
and repeat nothing."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from stafett.aggregates.values import CommentTarget
from stafett.applications.commands import AddActivity, ChooseNotifications, PostComment, SetGoal
from stafett.applications.notice_sender import NoticeSender
from stafett.applications.parts import CommentOn
from stafett.applications.plans import PlanApplication
from stafett.delivery import RoutingSender, SmsGatewaySender, SmtpSender
from stafett.persistence.notice_outbox import DIGEST_KIND, HELD, MERGED, SENT, NoticeOutbox
from tests.conftest import ManualClock
from tests.integration.notice_support import (
    Gateway,
    Group,
    everything,
    group,
    outbox_of,
    process_for,
    running_gateway,
    sender_for,
)
from tests.integration.test_delivery import CollectingHandler, SmtpServer, running_smtp, text_of


@pytest.fixture
def gateway() -> Iterator[tuple[Gateway, str]]:
    yield from running_gateway()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from running_smtp(CollectingHandler())


class Worker:
    """The notice process and sender as a worker builds them: new objects on the same
    store each time (`restart`), with the servers they send to."""

    def __init__(
        self, plans: PlanApplication, smtp: SmtpServer, gateway: tuple[Gateway, str]
    ) -> None:
        self.plans, self.smtp, self.gateway = plans, smtp, gateway
        self.restart()

    def restart(self) -> None:
        self.outbox: NoticeOutbox = outbox_of(self.plans)
        routing = RoutingSender(
            email=SmtpSender(self.smtp.url, "stafett@kommune.no"),
            sms=SmsGatewaySender(self.gateway[1], None),
        )
        self.sender: NoticeSender = sender_for(self.plans, self.outbox, routing)

    def run(self) -> int:
        process_for(self.plans, self.outbox).catch_up()
        return self.sender.send_due()

    def mails_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.smtp.handler.received() if m["To"] == address]


@pytest.fixture
def worker(plans: PlanApplication, smtp: SmtpServer, gateway: tuple[Gateway, str]) -> Worker:
    return Worker(plans, smtp, gateway)


def at(clock: ManualClock, hour: int, minute: int = 0, second: int = 0) -> None:
    clock.now = datetime(2026, 3, 2, hour, minute, second, tzinfo=UTC)


def per_chooses_the_digest(plans: PlanApplication, g: Group) -> None:
    chosen: dict[str, Any] = everything(["sms", "email"])
    plans.handle(
        g.plan.plan_id,
        ChooseNotifications(participant_id=g.per_pid, email_digest=True, **chosen),
        by=g.per,
    )


def burst(plans: PlanApplication, g: Group, clock: ManualClock) -> None:
    """Ten changes Per may see: seven activities and three goals, a minute apart."""
    for n in range(10):
        clock.advance(timedelta(minutes=1))
        command: Any = (
            AddActivity(title=f"Tiltak {n}", responsible_participant_id=g.kari_pid)
            if n < 7
            else SetGoal(title=f"Mål {n}")
        )
        plans.handle(g.plan.plan_id, command, by=g.kari)


def test_a_burst_is_one_email_the_next_hour_a_second_and_sms_go_at_once(
    plans: PlanApplication, clock: ManualClock, worker: Worker
) -> None:
    at(clock, 9, 0)
    g = group(plans)
    per_chooses_the_digest(plans, g)
    burst(plans, g, clock)  # 09:01 … 09:10
    worker.run()
    server = worker.gateway[0]
    assert len([d for d in server.delivered if d.to == "+4790000002"]) == 10  # SMS at once
    assert worker.mails_to("per@example.no") == []
    assert len(worker.mails_to("anne@example.no")) == 3  # no digest chosen: the goals
    held = [r for r in worker.outbox.rows() if r.status == HELD]
    assert len(held) == 10
    assert {r.participant_id for r in held} == {g.per_pid}
    assert worker.outbox.backlog().held == 10

    worker.restart()  # nothing is kept in memory
    at(clock, 9, 59, 59)
    worker.run()
    assert worker.mails_to("per@example.no") == []
    at(clock, 10, 0, 5)
    worker.run()
    [digest] = worker.mails_to("per@example.no")
    body = text_of(digest)
    assert worker.outbox.backlog().held == 0
    assert "Nye mål eller aktiviteter: 10" in body
    assert "https://stafett.test/login" in body
    for text in (body, str(digest["Subject"])):
        assert "Ola" not in text
        assert "Tiltak" not in text  # no content
    assert str(digest["Subject"]) == "Stafett: Dette har skjedd i en plan du deltar i"

    # the next hour's changes are the next hour's e-mail; a restart between loses none
    clock.advance(timedelta(minutes=10))
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        plans.handle(
            g.plan.plan_id,
            PostComment(on=CommentOn(kind=CommentTarget.GOAL, id=goal_of(plans, g)), text="Hei"),
            by=g.kari,
        )
    worker.run()
    assert len(worker.mails_to("per@example.no")) == 1
    worker.restart()
    at(clock, 11, 0, 1)
    worker.run()
    worker.restart()
    worker.run()
    first, second = worker.mails_to("per@example.no")
    assert "Nye kommentarer: 3" in text_of(second)
    assert "mål eller aktiviteter" not in text_of(second)
    assert first["Message-ID"] != second["Message-ID"]
    rows = worker.outbox.rows()
    assert {r.status for r in rows if r.participant_id == g.per_pid and r.channel == "email"} == {
        MERGED,
        SENT,
    }
    assert [r.status for r in rows if r.kind == DIGEST_KIND] == [SENT, SENT]


def goal_of(plans: PlanApplication, g: Group) -> Any:
    return next(iter(plans.get_plan(g.plan.plan_id).goals)).goal_id


def test_notices_written_late_wait_for_the_next_hour_so_one_an_hour_holds(
    plans: PlanApplication, clock: ManualClock, worker: Worker
) -> None:
    at(clock, 9, 0)
    g = group(plans, ["email"])
    per_chooses_the_digest(plans, g)
    burst(plans, g, clock)
    worker.run()
    at(clock, 9, 50)
    plans.handle(g.plan.plan_id, SetGoal(title="Sent"), by=g.kari)  # not yet processed
    at(clock, 10, 0, 1)
    worker.sender.send_due()
    process_for(plans, worker.outbox).catch_up()  # the 09:50 notice arrives after
    at(clock, 10, 30)
    worker.sender.send_due()
    assert len(worker.mails_to("per@example.no")) == 1
    at(clock, 11, 0)
    worker.sender.send_due()
    first, second = worker.mails_to("per@example.no")
    assert "Nye mål eller aktiviteter: 10" in text_of(first)
    assert "- Nye mål eller aktiviteter: 1\r\n" in text_of(second)


def test_a_crash_after_merging_sends_the_digest_once_after_the_restart(
    plans: PlanApplication, clock: ManualClock, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(clock, 9, 0)
    g = group(plans, ["email"])
    per_chooses_the_digest(plans, g)
    burst(plans, g, clock)
    worker.run()
    at(clock, 10, 0, 1)

    def killed(*args: Any, **kwargs: Any) -> Any:
        raise SystemExit("worker killed after merging")

    monkeypatch.setattr(worker.outbox, "lease", killed)
    with pytest.raises(SystemExit):
        worker.run()
    monkeypatch.undo()
    assert worker.mails_to("per@example.no") == []
    worker.restart()
    worker.run()
    worker.run()
    [digest] = worker.mails_to("per@example.no")
    assert "Nye mål eller aktiviteter: 10" in text_of(digest)
