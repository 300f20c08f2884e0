"""Notices end to end over HTTP: a parent who chose e-mail gets one (a real SMTP
server) when the coordinator posts a message; dead letters for administrators;
the outbox backlog in /health."""

from collections.abc import Iterator
from datetime import timedelta
from uuid import UUID

import pytest

from stafett.applications.notice_sender import NoticeSender, SenderSettings
from stafett.delivery import SmtpSender
from stafett.persistence.accounts import AccountStore
from stafett.persistence.background import Backoff
from stafett.persistence.notice_outbox import NoticeOutbox
from stafett.projections.notices import NoticeProcess
from stafett.web.state import NOTICES
from tests.e2e.conftest import Web
from tests.e2e.test_notification_choices import NONE, notices_url
from tests.e2e.test_plan_api import Group, group, log_in
from tests.integration.test_delivery import CollectingHandler, SmtpServer, running_smtp

__all__ = ["group"]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from running_smtp(CollectingHandler())


@pytest.fixture
def notices(web: Web, smtp: SmtpServer) -> Iterator[NoticeSender]:
    datastore = web.plans.directory.datastore
    outbox = NoticeOutbox(datastore)
    outbox.create_tables()
    sender = NoticeSender(
        outbox,
        directory=web.plans.directory,
        accounts=AccountStore(datastore),
        sender=SmtpSender(smtp.url, "stafett@kommune.no"),
        clock=web.plans.clock,
        login_url="https://stafett.test/login",
        settings=SenderSettings(backoff=Backoff(first=1, cap=1), max_attempts=2),
    )
    app = web.client.app
    app.state[NOTICES] = sender
    try:
        yield sender
    finally:
        app.state[NOTICES] = None


def post_message(web: Web, g: Group, to: list[str]) -> None:
    headers = log_in(web, "kari")
    body = {"to": to, "subject": "Møte om Ola", "body": "Ola trenger hjelp"}
    answer = web.client.post(g.url("/messages"), json=body, headers=headers)
    assert answer.status_code == 201, answer.text


def test_a_parent_who_chose_email_for_messages_gets_one_and_nothing_else(
    web: Web, group: Group, notices: NoticeSender, smtp: SmtpServer
) -> None:
    headers = log_in(web, "anne")
    chosen = NONE | {"new_message": ["email"]}
    answer = web.client.put(notices_url(group, group.relative), json=chosen, headers=headers)
    assert answer.status_code == 200, answer.text
    post_message(web, group, [group.relative])
    headers = log_in(web, "kari")
    activity = {"title": "Leksehjelp", "responsible_participant_id": group.provider}
    assert web.client.post(group.url("/activities"), json=activity, headers=headers).is_success
    NoticeProcess(web.plans, notices.outbox, of_age=web.plans.owners_of_age_on).catch_up()
    health = web.client.get("/health").json()["notification_backlog"]
    assert (health["pending"], health["dead"], health["lag"]) == (1, 0, 0)

    assert notices.send_due() == 1
    [mail] = smtp.handler.received()
    assert mail["To"] == "anne@example.no"
    text = str(mail["Subject"]) + mail.get_content()
    assert "Ny melding til deg" in text
    for leaked in ("Ola", "Planeier", "Møte", "hjelp"):
        assert leaked not in text
    assert web.client.get("/health").json()["notification_backlog"]["pending"] == 0


def test_administrators_see_dead_letters_and_retry_them(
    web: Web, group: Group, notices: NoticeSender, smtp: SmtpServer
) -> None:
    web.create_user("olga", org_admin=True)
    headers = log_in(web, "anne")
    chosen = NONE | {"new_message": ["email"]}
    assert web.client.put(notices_url(group, group.relative), json=chosen, headers=headers)
    post_message(web, group, [group.relative])
    NoticeProcess(web.plans, notices.outbox, of_age=web.plans.owners_of_age_on).catch_up()
    smtp.handler.answer = "554 No"
    clock = web.clock
    for _ in range(3):
        notices.send_due()
        clock.advance(timedelta(seconds=2))
    assert web.client.get("/health").json()["notification_backlog"]["dead"] == 1

    headers = log_in(web, "kari")  # a coordinator is no administrator
    refused = web.client.get("/api/v1/admin/notifications/dead-letters")
    assert refused.status_code == 403, refused.text
    headers = log_in(web, "olga")
    [dead] = web.client.get("/api/v1/admin/notifications/dead-letters").json()
    assert dead["participant_id"] == group.relative
    assert dead["attempts"] == 2
    assert dead["last_error"].startswith("SMTP server")
    assert "anne@" not in str(dead)  # ids only, no address
    retry = f"/api/v1/admin/notifications/{dead['id']}/retry"
    assert web.client.post(retry, headers=headers).status_code == 204
    assert web.client.post(retry, headers=headers).status_code == 404
    smtp.handler.answer = "250 OK"
    assert notices.send_due() == 1
    assert web.client.get("/api/v1/admin/notifications/dead-letters").json() == []
    assert UUID(dead["id"]) in {r.notice_id for r in notices.outbox.rows() if r.status == "sent"}


def test_the_admin_page_lists_dead_letters_and_sends_one_again(
    web: Web, group: Group, notices: NoticeSender, smtp: SmtpServer
) -> None:
    web.create_user("olga", org_admin=True)
    headers = log_in(web, "anne")
    chosen = NONE | {"new_message": ["email"]}
    assert web.client.put(notices_url(group, group.relative), json=chosen, headers=headers)
    post_message(web, group, [group.relative])
    NoticeProcess(web.plans, notices.outbox, of_age=web.plans.owners_of_age_on).catch_up()
    smtp.handler.answer = "554 No"
    for _ in range(3):
        notices.send_due()
        web.clock.advance(timedelta(seconds=2))
    web.logout()
    web.page_login("olga")
    page = web.client.get("/admin").text
    [dead] = notices.outbox.dead_letters()
    assert f"/admin/notifications/{dead.notice_id}/retry" in page
    assert "554 No" in page
    sent = web.submit(f"/admin/notifications/{dead.notice_id}/retry")
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == "/admin?saved=notice_retried"
    assert notices.outbox.dead_letters() == []
    again = web.submit(f"/admin/notifications/{dead.notice_id}/retry")
    assert again.status_code == 404


def test_without_a_notice_sender_its_routes_answer_503_after_the_policy(web: Web) -> None:
    """A deployment may run without notices: the administrator is told it is unavailable
    and nothing else; a coordinator is refused as ever, before the missing part is asked."""
    web.create_user("olga", org_admin=True)
    web.create_user("kari", coordinator=True)
    log_in(web, "kari")
    assert web.client.get("/api/v1/admin/notifications/dead-letters").status_code == 403
    headers = log_in(web, "olga")
    for answer in (
        web.client.get("/api/v1/admin/notifications/dead-letters"),
        web.client.post(f"/api/v1/admin/notifications/{UUID(int=1)}/retry", headers=headers),
    ):
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "Varslene er ikke tilgjengelige" in answer.text
