"""Replying to a message on the plan tab: a link under the message, and the new-message
form filled in for it (`?reply=<message id>`), sent as any new message is.

On both stores. The plan is test_plan_api's `group`: kari coordinates, anne is a
relative, per is a provider; everyone may write messages.
"""

import re
from uuid import UUID

import httpx

from stafett.aggregates.values import Message
from tests.e2e.conftest import Web
from tests.e2e.test_pages_plan import followed, page_of, send
from tests.e2e.test_plan_api import Group, group, log_in, rights

__all__ = ["group"]

SUBJECT = "Møte neste uke"


def sent_by(web: Web, g: Group, username: str, **body: object) -> str:
    """`username` sends a message through the API; its id."""
    headers = log_in(web, username)
    message = {"to": "all", "subject": SUBJECT, "body": "Passer tirsdag?"} | body
    sent = web.client.post(f"/api/v1/plans/{g.plan_id}/messages", json=message, headers=headers)
    assert sent.status_code == 201, sent.text
    message_id: str = sent.json()["message_id"]
    return message_id


def reply_link(g: Group, message_id: str) -> str:
    return f'href="/plans/{g.plan_id}/plan?reply={message_id}#message-new"'


def new_message_form(page: str) -> str:
    """The new-message form's block, from its opening tag to the end of its form."""
    block = page.split('<div id="message-new">', 1)[1]
    return block.split("</form>", 1)[0]


def ticked(form: str) -> list[str]:
    """The recipients the form has ticked (participant ids)."""
    return re.findall(r'name="to" value="([0-9a-f-]+)" checked', form)


def subject_in(form: str) -> str:
    found = re.search(r'name="subject" type="text" value="([^"]*)"', form)
    assert found is not None, form
    return found.group(1)


def messages(web: Web, g: Group) -> list[Message]:
    return list(web.plans.get_plan(UUID(g.plan_id)).messages)


def test_a_reader_who_may_write_messages_gets_a_reply_link_under_each_message_from_others(
    web: Web, group: Group
) -> None:
    from_kari = sent_by(web, group, "kari")
    from_anne = sent_by(web, group, "anne", subject="Fra Anne")
    web.page_login("anne")
    page = web.client.get(page_of(group, "/plan")).text
    assert reply_link(group, from_kari) in page
    assert reply_link(group, from_anne) not in page  # not to herself
    assert "?reply=" + from_anne not in page
    every = web.client.get(page_of(group, "/plan?messages=all")).text
    assert f"?reply={from_kari}&amp;messages=all#message-new" in every  # back to them all
    home = web.client.get(page_of(group)).text  # her messages on the home tab, too
    assert reply_link(group, from_kari) in home
    assert "?reply=" + from_anne not in home  # her own is not to her
    web.page_login("kari")
    page = web.client.get(page_of(group, "/plan")).text
    assert reply_link(group, from_anne) in page
    assert "?reply=" + from_kari not in page


def test_a_reader_with_read_only_messages_gets_no_reply_link_and_no_filled_form(
    web: Web, group: Group
) -> None:
    from_kari = sent_by(web, group, "kari")
    web.page_login("anne")
    assert reply_link(group, from_kari) in web.client.get(page_of(group, "/plan")).text
    kari = log_in(web, "kari")
    cut = web.client.patch(
        f"/api/v1/plans/{group.plan_id}/participants/{group.relative}",
        json={"rights": rights(messages="read")},
        headers=kari,
    )
    assert cut.status_code == 200, cut.text
    web.page_login("anne")
    page = web.client.get(page_of(group, "/plan")).text
    assert SUBJECT in page  # she reads it
    assert "?reply=" not in page
    home = web.client.get(page_of(group)).text
    assert SUBJECT in home
    assert "?reply=" not in home
    replying = web.client.get(page_of(group, f"/plan?reply={from_kari}"))
    assert replying.status_code == 200
    assert 'id="message-new"' not in replying.text
    assert f"Sv: {SUBJECT}" not in replying.text


def test_the_reply_link_fills_in_the_form_to_the_sender_with_the_subject_as_a_reply(
    web: Web, group: Group
) -> None:
    from_kari = sent_by(web, group, "kari", subject=f"Sv: {SUBJECT}")
    web.page_login("anne")
    plain = new_message_form(web.client.get(page_of(group, "/plan")).text)
    assert ticked(plain) == []
    assert subject_in(plain) == ""
    assert "data-draft-shown" not in plain
    page = web.client.get(page_of(group, f"/plan?reply={from_kari}")).text
    form = new_message_form(page)
    assert '<details class="ds-details" data-variant="default" open>' in form
    assert ticked(form) == [group.coordinator]
    assert 'name="audience" value="chosen" checked' in form
    assert subject_in(form) == f"Sv: {SUBJECT}"  # one "Sv:", however long the thread
    assert "data-draft-shown" in form  # drafts.js puts no older draft over it
    assert "kan ikke få meldinger" not in form
    replying = f'Du svarer på «<a class="ds-link" href="#message-{from_kari}">Sv: {SUBJECT}</a>»'
    assert replying + " fra Kari Testesen." in form
    assert "Svar på meldingen" in page  # the form's own title says it is a reply
    assert "Svar på meldingen" not in web.client.get(page_of(group, "/plan")).text


def test_a_message_the_reader_may_not_read_or_sent_themselves_gives_the_plain_form(
    web: Web, group: Group
) -> None:
    to_per = sent_by(web, group, "kari", to=[group.provider], subject="Bare til Per")
    to_anne = sent_by(web, group, "kari")
    own = sent_by(web, group, "anne", subject="Fra Anne")
    web.page_login("anne")
    plain = web.client.get(page_of(group, "/plan"))
    assert "Bare til Per" not in plain.text
    readable = new_message_form(web.client.get(page_of(group, f"/plan?reply={to_anne}")).text)
    assert subject_in(readable) == f"Sv: {SUBJECT}"  # while one she reads is answered
    for asked in (to_per, own, "00000000-0000-4000-8000-000000000000", "ikke-en-id"):
        page = web.client.get(page_of(group, f"/plan?reply={asked}"))
        assert page.status_code == 200
        assert "Bare til Per" not in page.text
        form = new_message_form(page.text)
        assert ticked(form) == []
        assert subject_in(form) == ""
        assert "data-draft-shown" not in form
        assert '<details class="ds-details" data-variant="default" open>' not in form


def test_a_reply_to_a_sender_who_may_not_get_messages_now_ticks_no_one_and_goes_to_no_one_else(
    web: Web, group: Group
) -> None:
    from_per = sent_by(web, group, "per")
    kari = log_in(web, "kari")
    cut = web.client.patch(
        f"/api/v1/plans/{group.plan_id}/participants/{group.provider}",
        json={"rights": rights(messages="none")},
        headers=kari,
    )
    assert cut.status_code == 200, cut.text
    web.page_login("anne")
    form = new_message_form(web.client.get(page_of(group, f"/plan?reply={from_per}")).text)
    assert ticked(form) == []
    assert 'name="audience" value="chosen" checked' in form  # never everyone by default
    assert group.provider not in form
    assert subject_in(form) == f"Sv: {SUBJECT}"
    assert "Avsenderen av meldingen du svarer på, kan ikke få meldinger" in form
    before = len(messages(web, group))
    refused = send(web, group, "/plan/messages", {"audience": "chosen", "subject": "Sv: x"})
    assert refused.status_code == 422
    assert len(messages(web, group)) == before


def test_a_reply_sent_from_the_filled_form_reaches_the_sender(web: Web, group: Group) -> None:
    from_kari = sent_by(web, group, "kari")
    web.page_login("anne")
    form = new_message_form(web.client.get(page_of(group, f"/plan?reply={from_kari}")).text)
    reply = {
        "audience": "chosen",
        "to": ticked(form),
        "subject": subject_in(form),
        "body": "Tirsdag passer fint.",
    }
    sent: httpx.Response = send(web, group, "/plan/messages", reply)
    assert "Meldingen er sendt" in followed(web, sent)
    answer = messages(web, group)[-1]
    assert answer.subject == f"Sv: {SUBJECT}"
    assert [str(r) for r in answer.recipient_ids] == [group.coordinator]
    assert str(answer.sender_participant_id) == group.relative
    web.page_login("kari")
    page = web.client.get(page_of(group, "/plan")).text
    assert "Tirsdag passer fint." in page
    assert reply_link(group, str(answer.message_id)) in page  # and she may answer it
