"""A plan group with notice choices, its outbox, and real servers to send to."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from uuid import UUID

from stafett.aggregates.values import Access, Rights, local_date
from stafett.applications.commands import AddParticipant, ChooseNotifications
from stafett.applications.notice_sender import NoticeSender, SenderSettings
from stafett.applications.parts import PersonIn, RightsIn
from stafett.applications.plans import PlanApplication
from stafett.delivery.messages import Sender
from stafett.persistence.accounts import AccountRecord, AccountStore
from stafett.persistence.notice_outbox import NoticeOutbox
from stafett.projections.notices import NoticeProcess
from tests.integration.support import NewPlan, new_plan, register

ALL_KINDS = (
    "new_message",
    "new_goal_or_activity",
    "new_comment",
    "new_calendar_entry",
    "new_participant",
)
LOGIN_URL = "https://stafett.test/login"


def outbox_of(plans: PlanApplication) -> NoticeOutbox:
    outbox = NoticeOutbox(plans.directory.datastore)
    outbox.create_tables()
    return outbox


def choose(
    plans: PlanApplication, plan_id: UUID, by: UUID, participant: UUID, **kinds: Any
) -> None:  # kinds: ChooseNotifications' fields, of several types (channel lists, a flag)
    plans.handle(plan_id, ChooseNotifications(participant_id=participant, **kinds), by=by)


def everything(channels: list[str]) -> dict[str, list[str]]:
    return dict.fromkeys(ALL_KINDS, channels)


@dataclass(frozen=True)
class Group:
    """Kari coordinates Ola's plan; Anne (relative) may not see activities, Per
    (provider) reads them; each chose e-mail and SMS for everything."""

    plan: NewPlan
    kari: UUID  # person ids
    anne: UUID
    per: UUID
    kari_pid: UUID  # participant ids
    anne_pid: UUID
    per_pid: UUID


def group(plans: PlanApplication, channels: list[str] | None = None) -> Group:
    plan = new_plan(plans)
    anne = register(plans, "Anne", "Pårørende", email="anne@example.no", mobile="+4790000001")
    per = register(plans, "Per", "Tjenesteyter", email="per@example.no", mobile="+4790000002")
    relative = Rights(activities=Access.NONE)
    provider = Rights(
        goals=Access.READ, activities=Access.READ, minutes=Access.READ, messages=Access.READ
    )
    joining: tuple[tuple[UUID, Literal["relative", "provider"], Rights], ...] = (
        (anne, "relative", relative),
        (per, "provider", provider),
    )
    added = [
        plans.handle(
            plan.plan_id,
            AddParticipant(person=PersonIn.of(who), role=role, rights=RightsIn.of(rights)),
            by=plan.coordinator_id,
        ).created_id
        for who, role, rights in joining
    ]
    anne_pid, per_pid = added
    assert anne_pid is not None
    assert per_pid is not None
    for who in (anne, per):  # SMS notices go only to numbers their people confirmed
        confirm_mobile(plans, who)
    kari_pid = plans.get_plan(plan.plan_id).coordinator_participant_id
    chosen = everything(channels if channels is not None else ["sms", "email"])
    for pid in (kari_pid, anne_pid, per_pid):
        choose(plans, plan.plan_id, plan.coordinator_id, pid, **chosen)
    return Group(plan, plan.coordinator_id, anne, per, kari_pid, anne_pid, per_pid)


def confirm_mobile(plans: PlanApplication, person_id: UUID) -> None:
    """Give the person an account whose confirmed number is the directory's (as a code
    sent to it would): SMS notices go to it from then on."""
    accounts = AccountStore(plans.directory.datastore)
    accounts.create_tables()
    mobile = plans.directory.get(person_id).details.mobile
    username = f"user-{person_id.hex[:12]}"
    record = AccountRecord(person_id, username, "unused", "sms", confirmed_mobile=mobile)
    accounts.insert(record, at=plans.clock())


def today(plans: PlanApplication) -> Any:
    return local_date(plans.clock())


def sender_for(
    plans: PlanApplication,
    outbox: NoticeOutbox,
    sender: Sender,
    *,
    settings: SenderSettings | None = None,
) -> NoticeSender:
    accounts = AccountStore(plans.directory.datastore)
    accounts.create_tables()
    return NoticeSender(
        outbox,
        directory=plans.directory,
        accounts=accounts,
        sender=sender,
        clock=plans.clock,
        login_url=LOGIN_URL,
        settings=settings,
    )


def process_for(plans: PlanApplication, outbox: NoticeOutbox, **options: Any) -> NoticeProcess:
    return NoticeProcess(plans, outbox, of_age=plans.owners_of_age_on, **options)


# ---------------------------------------------------------------- a real gateway


@dataclass
class Delivered:
    key: str | None
    to: str
    message: str


@dataclass
class Gateway:
    """A local HTTP SMS gateway that delivers each idempotency key once."""

    requests: list[Delivered] = field(default_factory=list)
    delivered: list[Delivered] = field(default_factory=list)
    refuse: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def receive(self, key: str | None, body: dict[str, Any]) -> int:
        with self.lock:
            got = Delivered(key, body["to"], body["message"])
            self.requests.append(got)
            if self.refuse:
                return 503
            if key is None or all(d.key != key for d in self.delivered):
                self.delivered.append(got)
            return 202


class _Server(ThreadingHTTPServer):
    gateway: Gateway


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        status = self.server.gateway.receive(self.headers.get("Idempotency-Key"), json.loads(raw))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def running_gateway() -> Iterator[tuple[Gateway, str]]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.gateway = Gateway()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.gateway, f"http://127.0.0.1:{server.server_address[1]}/sms"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def at(plans: PlanApplication) -> datetime:
    return plans.clock()
