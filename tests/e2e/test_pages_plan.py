"""The pages inside one plan: home, the plan and its forms, history and access log.

On both stores. The plan is test_plan_api's `group`: kari coordinates, anne is a
relative with goals `none`, per is a provider with full rights.
"""

import re
from datetime import timedelta
from io import BytesIO
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx
import pytest
from pypdf import PdfReader

from stafett.web.auth import SESSION_COOKIE
from stafett.web.pages import plan_history
from tests.e2e.conftest import Web
from tests.e2e.test_plan_api import Group, group, log_in, rights

__all__ = ["group"]

GOAL = "Lese tjue minutter hver dag"
GOAL_COMMENT = "Dette målet går fint"


def page_of(g: Group, suffix: str = "") -> str:
    return f"/plans/{g.plan_id}{suffix}"


def version_on(html: str) -> str:
    """The plan version the page's forms carry."""
    found = re.search(r'name="expected_version" value="(\d+)"', html)
    assert found is not None, html[:2000]
    return found.group(1)


def send(web: Web, g: Group, suffix: str, fields: dict[str, Any]) -> httpx.Response:
    """Post one of the plan page's forms as the browser does: the page's CSRF token and,
    unless the test gives one, the version the page shows."""
    shown = web.client.get(page_of(g, "/plan"))
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', shown.text)
    assert token is not None, shown.text[:500]
    given = {"csrf_token": token.group(1), "expected_version": version_on(shown.text), **fields}
    response: httpx.Response = web.submit(page_of(g, suffix), given)
    return response


def followed(web: Web, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    page = web.client.get(response.headers["location"])
    assert page.status_code == 200, page.text
    return page.text


def version_of(web: Web, g: Group) -> int:
    return web.plans.get_plan(UUID(g.plan_id)).version


def goal_with_comment(web: Web, g: Group) -> str:
    """kari sets a goal and comments on it (through the API); the goal's id."""
    headers = log_in(web, "kari")
    goal = web.client.post(
        f"/api/v1/plans/{g.plan_id}/goals", json={"title": GOAL}, headers=headers
    )
    assert goal.status_code == 201, goal.text
    goal_id: str = goal.json()["goal_id"]
    note = {"on": {"kind": "goal", "id": goal_id}, "text": GOAL_COMMENT}
    posted = web.client.post(f"/api/v1/plans/{g.plan_id}/comments", json=note, headers=headers)
    assert posted.status_code == 201, posted.text
    return goal_id


# ------------------------------------------------------------- the plan


def test_a_coordinator_adds_a_goal_and_an_activity_through_the_forms_and_sees_them(
    web: Web, group: Group
) -> None:
    web.page_login("kari")
    added = send(web, group, "/plan/goals", {"title": GOAL, "due_on": "2026-06-30"})
    assert re.search(r"#goal-[0-9a-f-]{36}$", added.headers["location"])
    page = followed(web, added)
    assert GOAL in page
    assert "Målet er lagt til." in page
    assert "30.06.2026" in page
    goal_id = str(web.plans.get_plan(UUID(group.plan_id)).goals[0].goal_id)

    activity = {
        "title": "Leselekser med mor",
        "responsible_participant_id": group.coordinator,
        "due_on": "2026-04-15",
        "goal_id": goal_id,
    }
    page = followed(web, send(web, group, "/plan/activities", activity))
    assert "Aktiviteten er lagt til." in page
    assert "Leselekser med mor" in page
    assert "15.04.2026" in page
    assert f'href="#goal-{goal_id}"' in page  # the activity names its goal

    home = web.client.get(page_of(group))
    assert home.status_code == 200
    mine = home.text.split('id="mine-heading"')[1].split("</section>")[0]
    assert "Leselekser med mor" in mine  # kari is responsible: "my activities"


def test_every_write_the_plan_page_offers_is_saved_and_shown(web: Web, group: Group) -> None:
    web.page_login("kari")
    followed(web, send(web, group, "/plan/goals", {"title": GOAL}))
    plan = web.plans.get_plan(UUID(group.plan_id))
    goal_id = plan.goals[0].goal_id

    page = followed(
        web,
        send(web, group, f"/plan/goals/{goal_id}", {"title": "Lese mer", "description": ""}),
    )
    assert "Målet er endret." in page
    assert "Lese mer" in page
    evaluated = {"status": "partly_achieved", "text": "Halvveis der"}
    page = followed(web, send(web, group, f"/plan/goals/{goal_id}/evaluations", evaluated))
    assert "Evalueringen er lagret." in page
    assert "Halvveis der" in page
    assert "Delvis nådd" in page

    followed(
        web,
        send(
            web,
            group,
            "/plan/activities",
            {"title": "Bibliotek", "responsible_participant_id": group.provider},
        ),
    )
    activity_id = web.plans.get_plan(UUID(group.plan_id)).activities[0].activity_id
    changed = {
        "title": "Bibliotek hver fredag",
        "responsible_participant_id": group.provider,
        "status": "in_progress",
    }
    page = followed(web, send(web, group, f"/plan/activities/{activity_id}", changed))
    assert "Bibliotek hver fredag" in page
    assert "Pågår" in page
    page = followed(web, send(web, group, f"/plan/activities/{activity_id}/completed", {}))
    assert "Aktiviteten er markert som fullført." in page
    assert web.plans.get_plan(UUID(group.plan_id)).activities[0].status.value == "completed"

    minutes = {
        "met_on": "2026-03-01",
        "attendee_ids": [group.coordinator, group.relative],
        "notes": "Vi snakket om lesing",
    }
    page = followed(web, send(web, group, "/plan/minutes", minutes))
    assert "Møtereferatet er lagret." in page
    assert "Vi snakket om lesing" in page
    assert "Anne Testesen" in page.split("Vi snakket om lesing")[0].split("Møte 01.03.2026")[1]

    message = {"audience": "chosen", "to": group.provider, "subject": "Til Per", "body": "Hei"}
    page = followed(web, send(web, group, "/plan/messages", message))
    assert "Meldingen er sendt." in page
    assert "Til Per" in page
    sent = web.plans.get_plan(UUID(group.plan_id)).messages[0]
    assert [str(r) for r in sent.recipient_ids] == [group.provider]

    entry = {
        "title": "Ansvarsgruppemøte",
        "starts_at": "2026-03-10T10:00",
        "ends_at": "2026-03-10T11:30",
    }
    page = followed(web, send(web, group, "/plan/calendar", entry))
    assert "Kalenderoppføringen er lagt til." in page
    assert "10.03.2026 10:00" in page  # Norway's time, as typed
    stored = web.plans.get_plan(UUID(group.plan_id)).calendar[0]
    assert stored.starts_at.utcoffset() == timedelta(hours=1)  # CET in March


def test_a_participant_posts_a_comment_and_everyone_who_reads_the_activity_sees_it(
    web: Web, group: Group
) -> None:
    web.page_login("kari")
    followed(
        web,
        send(
            web,
            group,
            "/plan/activities",
            {"title": "Bibliotek", "responsible_participant_id": group.provider},
        ),
    )
    activity_id = web.plans.get_plan(UUID(group.plan_id)).activities[0].activity_id
    web.page_login("per")
    comment = {"on_kind": "activity", "on_id": str(activity_id), "text": "Jeg tar første tur"}
    posted = send(web, group, "/plan/comments", comment)
    assert posted.headers["location"].endswith(f"#comment-activity-{activity_id}-list")
    page = followed(web, posted)
    assert "Kommentaren din er sendt." in page
    assert "Jeg tar første tur" in page
    web.page_login("anne")
    assert "Jeg tar første tur" in web.client.get(page_of(group, "/plan")).text


def test_a_comment_posted_with_htmx_answers_the_plan_to_swap_in(web: Web, group: Group) -> None:
    goal_id = goal_with_comment(web, group)
    web.page_login("per")
    fields = {"on_kind": "goal", "on_id": goal_id, "text": "Via htmx " + "x" * 10_000}
    listed = web.client.get(page_of(group, "/plan")).text
    assert f'href="?open=comment-goal-{goal_id}#comment-goal-{goal_id}"' in listed
    assert 'hx-post="' not in listed  # an item's form is drawn when asked for
    shown = web.client.get(page_of(group, f"/plan?open=comment-goal-{goal_id}"))
    assert 'hx-post="' in shown.text
    assert 'hx-select="#main"' in shown.text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', shown.text)
    assert token is not None
    before = version_of(web, group)
    posted = web.client.post(
        page_of(group, "/plan/comments"),
        data={"csrf_token": token.group(1), "expected_version": str(before), **fields},
        headers={"origin": web.ORIGIN, "hx-request": "true"},
        follow_redirects=False,
    )
    assert posted.status_code == 200  # htmx swaps only successful answers in
    assert "Via htmx xxx" in posted.text  # the refused text is kept in the form
    assert version_of(web, group) == before
    fields["text"] = "Via htmx"
    posted = web.client.post(
        page_of(group, "/plan/comments"),
        data={"csrf_token": token.group(1), "expected_version": "1", **fields},
        headers={"origin": web.ORIGIN, "hx-request": "true"},
        follow_redirects=False,
    )
    # Sent from a page older than the plan: a comment overwrites nothing, so it is saved.
    assert "Via htmx" in followed(web, posted)
    assert version_of(web, group) == before + 1


def test_a_form_sent_with_htmx_after_the_session_ended_sends_the_browser_to_log_in(
    web: Web, group: Group
) -> None:
    """htmx would follow a 303 inside the page and swap the login form in where the plan
    was; it is told to send the browser there itself (drafts.js keeps the text)."""
    goal_id = goal_with_comment(web, group)
    web.page_login("per")
    shown = web.client.get(page_of(group, f"/plan?open=comment-goal-{goal_id}"))
    assert f'data-draft="comment-goal-{goal_id}"' in shown.text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', shown.text)
    assert token is not None
    web.accounts.logout(web.client.cookies.get(SESSION_COOKIE))
    before = version_of(web, group)
    fields = {"csrf_token": token.group(1), "expected_version": str(before)}
    fields |= {"on_kind": "goal", "on_id": goal_id, "text": "Skrevet mens økten gikk ut"}
    login = "/login?next=" + quote(page_of(group, "/plan/comments"), safe="") + "&expired=1"
    posted = web.client.post(
        page_of(group, "/plan/comments"),
        data=fields,
        headers={"origin": web.ORIGIN, "hx-request": "true"},
        follow_redirects=False,
    )
    assert posted.headers["hx-redirect"] == login
    assert "location" not in posted.headers
    plain = web.client.post(
        page_of(group, "/plan/comments"),
        data=fields,
        headers={"origin": web.ORIGIN},
        follow_redirects=False,
    )
    assert (plain.status_code, plain.headers["location"]) == (303, login)
    assert version_of(web, group) == before


def test_a_relative_without_goal_rights_sees_no_goal_anywhere(web: Web, group: Group) -> None:
    goal_with_comment(web, group)
    web.page_login("anne")
    for suffix in ("", "/plan"):
        page = web.client.get(page_of(group, suffix))
        assert page.status_code == 200, page.text
        assert GOAL not in page.text
        assert GOAL_COMMENT not in page.text
        assert 'id="goals"' not in page.text  # not even an empty heading
        assert "/plan/goals" not in page.text  # and no form for goals
    told = 'id="unseen-parts">Deler av planen du ikke ser: Mål. Hva hver deltaker ser'
    assert told in web.client.get(page_of(group, "/plan")).text  # what is hidden, not what it holds
    history = web.client.get(page_of(group, "/history"))
    assert history.status_code == 403
    assert GOAL not in history.text
    assert "Ikke tillatt" in history.text
    assert f'href="{page_of(group, "/history")}"' not in web.client.get(page_of(group)).text


def test_forms_are_shown_only_for_the_writes_the_rights_allow(web: Web, group: Group) -> None:
    headers = log_in(web, "kari")
    changed = web.client.patch(
        f"/api/v1/plans/{group.plan_id}/participants/{group.provider}",
        json={"rights": rights(goals="read", minutes="read")},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    goal_with_comment(web, group)
    web.page_login("per")
    page = web.client.get(page_of(group, "/plan")).text
    assert GOAL in page
    assert f'action="/plans/{group.plan_id}/plan/goals"' not in page
    assert "/evaluations" not in page
    assert "/plan/minutes" not in page
    assert f'action="{page_of(group, "/plan/activities")}"' in page
    assert "?open=comment-goal-" in page  # reading goals is enough to comment
    refused = send(web, group, "/plan/goals", {"title": "Per sitt mål"})
    assert refused.status_code == 403  # the application refuses it anyway
    assert "Per sitt mål" not in str(web.plans.get_plan(UUID(group.plan_id)).goals)


def test_the_download_button_is_shown_to_those_the_policy_lets_export_and_gives_their_view(
    web: Web, group: Group
) -> None:
    goal_with_comment(web, group)
    headers = log_in(web, "kari")
    changed = web.client.patch(
        f"/api/v1/plans/{group.plan_id}/participants/{group.provider}",
        json={"rights": rights(print=False)},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    link = f"/api/v1/plans/{group.plan_id}/export?language=nb"
    button = f"/plans/{group.plan_id}/export?language=nb"  # a step-up first when due
    for name in ("kari", "anne"):
        if name != "kari":  # kari's session from `log_in` serves the pages too
            web.page_login(name)
        page = web.client.get(page_of(group, "/plan")).text
        assert "Skriv ut / last ned PDF" in page, name
        assert f'href="{button}"' in page, name
        sent_on = web.client.get(button, follow_redirects=False)
        assert sent_on.status_code == 303, name
        assert sent_on.headers["location"] == link, name
    downloaded = web.client.get(link)  # anne's, with the page's session
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(downloaded.content)).pages)
    assert "Anne Testesen" in text
    assert GOAL not in text  # anne has goals `none`: not on her page, not in her PDF
    assert GOAL_COMMENT not in text
    logged = web.client.get(page_of(group, "/access-log")).text
    assert "lastet ned (PDF eller JSON)" in logged  # her download, in the family's log

    web.page_login("per")  # no print right
    page = web.client.get(page_of(group, "/plan")).text
    assert GOAL in page  # per reads the plan
    assert 'id="unseen-parts"' not in page  # per sees every part
    assert "Skriv ut / last ned PDF" not in page
    assert "/export" not in page
    assert web.client.get(link).status_code == 403


# ------------------------------------------------------- nothing typed is lost


def test_a_blank_goal_title_comes_back_with_the_typed_text_and_the_message(
    web: Web, group: Group
) -> None:
    web.page_login("kari")
    before = version_of(web, group)
    refused = send(web, group, "/plan/goals", {"title": "   ", "description": "Beskrivelsen min"})
    assert refused.status_code == 422
    assert "Fyll ut dette feltet." in refused.text
    assert "Beskrivelsen min" in refused.text
    assert 'id="goal-new-title" name="title"' in refused.text
    assert 'aria-invalid="true" aria-describedby="goal-new-title-error"' in refused.text
    assert '<details class="ds-details" data-variant="default" open>' in refused.text
    assert version_of(web, group) == before


def test_a_goal_title_of_201_characters_comes_back_typed_with_the_limit(
    web: Web, group: Group
) -> None:
    web.page_login("kari")
    before = version_of(web, group)
    title = "Å" * 201
    refused = send(web, group, "/plan/goals", {"title": title})
    assert refused.status_code == 422
    assert f'value="{title}"' in refused.text
    assert "For langt: høyst 200 tegn." in refused.text
    assert version_of(web, group) == before
    accepted = send(web, group, "/plan/goals", {"title": title[:200]})
    assert accepted.status_code == 303


def test_a_form_whose_item_changed_meanwhile_shows_the_plan_as_it_is_and_keeps_the_text(
    web: Web, group: Group
) -> None:
    goal_id = goal_with_comment(web, group)
    web.page_login("kari")
    seen = version_on(web.client.get(page_of(group, "/plan")).text)
    renamed = {"title": "Noen andres tittel"}  # meanwhile, the same goal
    followed(web, send(web, group, f"/plan/goals/{goal_id}", renamed))
    mine = {"title": "Min tittel", "description": "Lang tekst", "expected_version": seen}
    stale = send(web, group, f"/plan/goals/{goal_id}", mine)
    assert stale.status_code == 409
    assert "Noen endret dette målet mens du skrev" in stale.text
    assert "Noen andre endret dette målet etter at du åpnet det" in stale.text  # the page's top
    assert "skjemaet for målet. Endringer du ikke hadde sett: 1." in stale.text
    assert "Noen andre endret planen" not in stale.text
    assert 'value="Min tittel"' in stale.text
    assert "Lang tekst" in stale.text
    assert "Noen andres tittel" in stale.text  # the current state is shown
    now = version_of(web, group)
    assert now == int(seen) + 1
    form = stale.text.split('action="{}"'.format(page_of(group, f"/plan/goals/{goal_id}")))[1]
    assert version_on(form) == str(now)  # sent again, the form carries the new version
    again = send(web, group, f"/plan/goals/{goal_id}", {**mine, "expected_version": str(now)})
    assert "Min tittel" in followed(web, again)


def test_an_activity_completed_meanwhile_refuses_a_change_from_the_older_page_and_says_so(
    web: Web, group: Group
) -> None:
    web.page_login("kari")
    added = {"title": "Bibliotek", "responsible_participant_id": group.provider}
    followed(web, send(web, group, "/plan/activities", added))
    activity_id = web.plans.get_plan(UUID(group.plan_id)).activities[0].activity_id
    seen = version_on(web.client.get(page_of(group, "/plan")).text)
    followed(web, send(web, group, f"/plan/activities/{activity_id}/completed", {}))
    mine = {
        "title": "Bibliotek hver fredag",
        "responsible_participant_id": group.provider,
        "status": "in_progress",
        "expected_version": seen,
    }
    stale = send(web, group, f"/plan/activities/{activity_id}", mine)
    assert stale.status_code == 409
    assert "Noen endret denne aktiviteten mens du skrev" in stale.text
    assert "Noen andre endret denne aktiviteten etter at du åpnet den" in stale.text
    assert "Noen andre endret planen" not in stale.text
    assert 'value="Bibliotek hver fredag"' in stale.text
    assert web.plans.get_plan(UUID(group.plan_id)).activities[0].title == "Bibliotek"


def test_a_form_from_an_older_page_is_saved_when_nothing_it_changes_changed_meanwhile(
    web: Web, group: Group
) -> None:
    """Others' writes since the page was opened refuse a form only where they changed its
    own goal or activity: additions always go in, another item's change does not block."""
    goal_id = goal_with_comment(web, group)
    web.page_login("kari")
    seen = version_on(web.client.get(page_of(group, "/plan")).text)
    headers = log_in(web, "per")  # meanwhile: another goal, a comment on this one
    other = web.client.post(
        f"/api/v1/plans/{group.plan_id}/goals", json={"title": "Et annet mål"}, headers=headers
    )
    assert other.status_code == 201, other.text
    note = {"on": {"kind": "goal", "id": goal_id}, "text": "Pers kommentar"}
    posted = web.client.post(f"/api/v1/plans/{group.plan_id}/comments", json=note, headers=headers)
    assert posted.status_code == 201, posted.text
    web.page_login("kari")
    before = version_of(web, group)
    revised = {"title": "Lese tretti minutter", "expected_version": seen}
    page = followed(web, send(web, group, f"/plan/goals/{goal_id}", revised))
    assert "Målet er endret." in page
    added = {"title": "Et tredje mål", "expected_version": seen}
    page = followed(web, send(web, group, "/plan/goals", added))
    for title in ("Lese tretti minutter", "Et annet mål", "Et tredje mål", "Pers kommentar"):
        assert title in page
    assert version_of(web, group) == before + 2
    # The other goal's change is not this one's: still, the goal per added is newer than
    # the page, and a revision of it from that page is refused.
    other_id = other.json()["goal_id"]
    stale = send(web, group, f"/plan/goals/{other_id}", {"title": "Nei", "expected_version": seen})
    assert stale.status_code == 409
    assert version_of(web, group) == before + 2


def test_the_same_form_sent_twice_is_saved_once_and_both_go_to_the_saved_item(
    web: Web, group: Group
) -> None:
    """A double click without htmx, or a reload of the answer, sends the form's token
    again: the second sending saves nothing and goes where the first went."""
    web.page_login("kari")
    shown = web.client.get(page_of(group, "/plan")).text
    form = shown.split('action="{}"'.format(page_of(group, "/plan/goals")))[1].split("</form>")[0]
    once = re.search(r'name="once" value="([A-Za-z0-9_-]+)"', form)
    assert once is not None
    before = version_of(web, group)
    fields = {"title": "Bare én gang", "expected_version": str(before), "once": once.group(1)}
    first = send(web, group, "/plan/goals", fields)
    second = send(web, group, "/plan/goals", fields)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert version_of(web, group) == before + 1
    page = followed(web, second)
    assert "Bare én gang" in page
    titles = [g.title for g in web.plans.get_plan(UUID(group.plan_id)).goals]
    assert titles.count("Bare én gang") == 1
    other = re.findall(r'name="once" value="([A-Za-z0-9_-]+)"', shown)
    assert len(set(other)) == len(other) > 1  # each form of the page has its own token


def test_the_plans_own_refusals_come_back_next_to_their_field(web: Web, group: Group) -> None:
    web.page_login("kari")
    before = version_of(web, group)
    backwards = {"title": "Møte", "starts_at": "2026-03-10T11:00", "ends_at": "2026-03-10T10:00"}
    refused = send(web, group, "/plan/calendar", backwards)
    assert refused.status_code == 422
    assert 'id="calendar-new-ends_at-error">Slutten må være etter starten.' in refused.text
    assert 'value="2026-03-10T11:00"' in refused.text
    both = {"audience": "all", "to": group.provider, "subject": "Hei", "body": "Til hvem?"}
    refused = send(web, group, "/plan/messages", both)
    assert refused.status_code == 422
    assert 'id="message-new-audience-error"' in refused.text
    assert "Til hvem?" in refused.text
    nobody = {"audience": "chosen", "subject": "Hei", "body": "Til ingen"}
    refused = send(web, group, "/plan/messages", nobody)
    assert "Velg minst én mottaker." in refused.text
    assert version_of(web, group) == before


def test_a_closed_plan_is_read_without_forms(web: Web, group: Group) -> None:
    headers = log_in(web, "kari")
    closed = web.client.post(
        f"/api/v1/plans/{group.plan_id}/close",
        json={"ended_on": "2026-03-02", "reason": "Målene er nådd"},
        headers=headers,
    )
    assert closed.status_code == 200, closed.text
    web.page_login("kari")
    page = web.client.get(page_of(group, "/plan")).text
    assert "Planen er avsluttet." in page
    assert 'method="post" action="/plans' not in page
    assert '<span class="closed-reason">Begrunnelse: Målene er nådd</span>' in page  # apart


def test_a_form_without_the_csrf_token_is_refused_and_nothing_written(
    web: Web, group: Group
) -> None:
    web.page_login("kari")
    before = version_of(web, group)
    refused = web.submit(
        page_of(group, "/plan/goals"),
        {"title": "Uten token", "expected_version": str(before)},
        token=False,
    )
    assert refused.status_code == 403
    assert version_of(web, group) == before


# ------------------------------------------------------------ who gets in


def test_an_outsider_gets_the_not_found_page_and_a_lapsed_provider_the_refusal(
    web: Web, group: Group
) -> None:
    web.create_user("stranger")
    web.page_login("stranger")
    for suffix in ("", "/plan", "/history", "/access-log"):
        answer = web.client.get(page_of(group, suffix))
        assert answer.status_code == 404, suffix
        assert "Ola" not in answer.text
    web.clock.now += timedelta(days=240)  # the consent ran out on 30.09.2026
    web.page_login("per")
    refused = web.client.get(page_of(group, "/plan"))
    assert refused.status_code == 403
    assert "Ola 2026" not in refused.text


def test_the_tabs_are_those_the_policy_lets_each_person_open(web: Web, group: Group) -> None:
    def tabs(username: str) -> list[str]:
        web.page_login(username)
        page = web.client.get(page_of(group)).text
        nav = page.split('aria-label="Deler av planen"')[1].split("</nav>")[0]
        return re.findall(r">([^<]+)</a>", nav)

    assert tabs("kari") == [
        "Hjem", "Planen", "Deltakere", "Historikk", "Innsynslogg", "Administrer plan"
    ]  # fmt: skip
    assert tabs("anne") == ["Hjem", "Planen", "Deltakere", "Innsynslogg"]
    assert tabs("per") == ["Hjem", "Planen", "Deltakere"]


def test_the_heading_names_the_plan_its_owner_status_and_consent(web: Web, group: Group) -> None:
    web.page_login("anne")
    page = web.client.get(page_of(group)).text
    heading = page.split('<header class="plan-heading">')[1].split("</header>")[0]
    assert "Ola 2026" in heading
    assert "Stafettlogg" in heading
    assert "Ola Planeier" in heading
    assert "Åpen" in heading
    assert "30.09.2026" in heading
    assert 'aria-current="page">Hjem<' in page


# ------------------------------------------------------------------ home


def test_home_tells_what_is_new_since_the_last_visit(web: Web, group: Group) -> None:
    web.page_login("anne")
    first = web.client.get(page_of(group)).text
    assert "Dette er første gang du er inne i denne planen." in first
    web.clock.advance(timedelta(minutes=5))
    again = web.client.get(page_of(group)).text
    assert "Ingenting er endret siden sist du var her" in again

    web.clock.advance(timedelta(hours=1))
    web.page_login("kari")
    followed(
        web,
        send(
            web,
            group,
            "/plan/activities",
            {"title": "Svømming", "responsible_participant_id": group.relative},
        ),
    )
    activity_id = web.plans.get_plan(UUID(group.plan_id)).activities[0].activity_id
    comment = {"on_kind": "activity", "on_id": str(activity_id), "text": "Husk badetøy"}
    followed(web, send(web, group, "/plan/comments", comment))
    message = {"audience": "all", "subject": "Møte neste uke", "body": "Passer tirsdag?"}
    followed(web, send(web, group, "/plan/messages", message))
    entry = {
        "title": "Ansvarsgruppe",
        "starts_at": "2026-03-20T09:00",
        "ends_at": "2026-03-20T10:00",
    }
    followed(web, send(web, group, "/plan/calendar", entry))

    web.clock.advance(timedelta(minutes=5))
    web.page_login("anne")
    home = web.client.get(page_of(group)).text
    assert "Planen er endret siden sist du var her, 02.03.2026 10:05." in home
    new = home.split('id="new-heading"')[1].split("</section>")[0]
    assert "Kari Testesen" in new
    assert "Svømming" in new
    mine = home.split('id="mine-heading"')[1].split("</section>")[0]
    assert "Svømming" in mine
    coming = home.split('id="next-heading"')[1].split("</section>")[0]
    assert "20.03.2026 09:00: Ansvarsgruppe" in coming
    to_me = home.split('id="to-me-heading"')[1].split("</section>")[0]
    assert "Møte neste uke" in to_me
    assert ">Ny<" in to_me
    assert "Ingenting er endret" in web.client.get(page_of(group)).text  # now seen


def test_the_last_visit_is_kept_per_person_and_plan(web: Web, group: Group) -> None:
    view = web.plan_list
    assert view is not None
    plan_id, person = UUID(group.plan_id), UUID(int=7)
    assert view.last_visit(person, plan_id) is None
    view.note_visit(person, plan_id, web.clock.now)
    view.note_visit(person, plan_id, web.clock.now - timedelta(days=1))  # older: kept
    assert view.last_visit(person, plan_id) == web.clock.now
    assert view.last_visit(person, UUID(int=8)) is None


# ---------------------------------------------------------------- history


def test_the_coordinator_reads_the_history_in_plain_norwegian_newest_first(
    web: Web, group: Group
) -> None:
    web.page_login("kari")
    followed(web, send(web, group, "/plan/goals", {"title": "Første tittel"}))
    goal_id = web.plans.get_plan(UUID(group.plan_id)).goals[0].goal_id
    web.clock.advance(timedelta(days=2))
    web.page_login("kari")  # a new day, a new session
    followed(web, send(web, group, f"/plan/goals/{goal_id}", {"title": "Ny tittel"}))

    page = web.client.get(page_of(group, "/history"))
    assert page.status_code == 200, page.text
    timeline = page.text.split('class="timeline"')[1]
    assert "Kari Testesen (koordinator) endret et mål" in timeline
    assert timeline.index("endret et mål") < timeline.index("la til et mål")  # newest first
    assert timeline.index("la til et mål") < timeline.index("opprettet planen")
    # Whom an event about a participant is about, by name (not "a participant").
    assert "Kari Testesen (koordinator) la til Anne Testesen i plangruppen" in timeline
    assert "Kari Testesen (koordinator) la til Per Testesen i plangruppen" in timeline
    assert "la til en deltaker" not in timeline

    then = web.client.get(page_of(group, "/history"), params={"on": "2026-03-03"})
    assert then.status_code == 200
    assert "Første tittel" in then.text
    assert "Ny tittel" not in then.text
    assert "/plan/goals" not in then.text  # read-only
    before = web.client.get(page_of(group, "/history"), params={"on": "01.03.2026"})
    assert "Planen fantes ikke ennå den dagen." in before.text
    wrong = web.client.get(page_of(group, "/history"), params={"on": "snart"})
    assert wrong.status_code == 422
    assert 'value="snart"' in wrong.text


def test_the_history_page_shows_the_timeline_a_page_at_a_time(
    web: Web, group: Group, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan_history, "TIMELINE_PAGE", 2)
    web.page_login("kari")
    version = web.plans.get_plan(UUID(group.plan_id)).version
    seen: list[str] = []
    path: str | None = page_of(group, "/history")
    while path is not None:
        shown = web.client.get(path)
        assert shown.status_code == 200, shown.text
        timeline = shown.text.split('class="timeline"')[1].split("</ol>")[0]
        entries = re.findall(r"<li>", timeline)
        assert 1 <= len(entries) <= 2
        seen.append(timeline)
        older = re.search(r'href="([^"]*/history\?before=\d+)"', shown.text)
        if path != page_of(group, "/history"):
            assert "Nyeste hendelser" in shown.text
        path = older.group(1) if older else None
    assert len(seen) == (version + 1) // 2
    assert "opprettet planen" in seen[-1]
    assert all("opprettet planen" not in t for t in seen[:-1])


def test_an_auditor_outside_the_plan_reads_its_history(web: Web, group: Group) -> None:
    web.create_user("revisor", auditor=True)
    web.page_login("revisor")
    page = web.client.get(page_of(group, "/history"), params={"on": "2026-03-02"})
    assert page.status_code == 200, page.text
    assert "Planens historikk" in page.text
    assert "Ola 2026" in page.text  # in the plan as it stood
    assert web.client.get(page_of(group)).status_code == 404


# ------------------------------------------------------------- access log


def test_the_access_log_lists_the_coordinators_read(web: Web, group: Group) -> None:
    web.page_login("kari")
    web.client.get(page_of(group, "/plan"))
    web.page_login("anne")
    page = web.client.get(page_of(group, "/access-log"))
    assert page.status_code == 200, page.text
    readers = page.text.split("<tbody>")[1].split("</tbody>")[0]  # each reader once
    assert "Kari Testesen" in readers
    assert "Anne Testesen" in readers
    each_time = page.text.split('id="openings-heading"')[1]  # the openings, newest first
    rows = each_time.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    kari = [r for r in rows if "Kari Testesen" in r]
    assert kari, rows
    assert "koordinator" in kari[-1]
    assert "oversikt, samtykke, deltakere, mål, aktiviteter" in kari[-1]
    assert "innsynslogg" in rows[0]
    assert "Anne Testesen" in rows[0]
    again = web.client.get(page_of(group, "/access-log")).text
    again_each_time = again.split('id="openings-heading"')[1]
    anne = again_each_time.split("<tbody>")[1].split("</tr>")[1]  # the page before's heading
    assert "Anne Testesen" in anne
    assert "oversikt, samtykke</td>" in anne  # the heading only, not the plan's content
    web.page_login("per")
    assert web.client.get(page_of(group, "/access-log")).status_code == 403


def test_an_items_own_forms_are_links_until_asked_for(web: Web, group: Group) -> None:
    """A long plan's page carries no form per item: each is drawn when its link is followed."""
    goal_id = goal_with_comment(web, group)
    web.page_login("kari")
    listed = web.client.get(page_of(group, "/plan")).text
    evaluate = f"goal-{goal_id}-evaluate"
    assert f'href="?open={evaluate}#{evaluate}"' in listed
    assert f'action="/plans/{group.plan_id}/plan/goals/{goal_id}/evaluations"' not in listed

    opened = web.client.get(page_of(group, f"/plan?open={evaluate}")).text
    assert f'action="/plans/{group.plan_id}/plan/goals/{goal_id}/evaluations"' in opened
    assert f'<details class="ds-details" data-variant="default" id="{evaluate}" open>' in opened
    assert f'action="/plans/{group.plan_id}/plan/goals/{goal_id}"' not in opened  # only that one

    odd = web.client.get(page_of(group, '/plan?open="><script>'))
    assert odd.status_code == 200
    assert "<script>" not in odd.text.split("</head>", 1)[1]


def test_the_plan_tab_shows_each_items_newest_comments_and_links_to_all(
    web: Web, group: Group
) -> None:
    goal_id = goal_with_comment(web, group)  # "Dette målet går fint", the first
    web.page_login("per")
    assert web.client.get(page_of(group)).status_code == 200  # per's visit, before the rest
    kari = log_in(web, "kari")
    note = {"on": {"kind": "goal", "id": goal_id}}
    for n in range(2, 6):
        web.clock.advance(timedelta(minutes=1))
        posted = web.client.post(
            f"/api/v1/plans/{group.plan_id}/comments",
            json=note | {"text": f"Kommentar nummer {n}"},
            headers=kari,
        )
        assert posted.status_code == 201, posted.text
    item = f"goal-{goal_id}"
    web.page_login("per")  # the home page's new comments lead to the item's whole conversation
    home = web.client.get(page_of(group)).text
    whole = f'href="/plans/{group.plan_id}/plan?comments={item}#comment-{item}-list"'
    assert home.count(whole) == 4, home  # each of kari's four new comments

    web.page_login("kari")
    page = web.client.get(page_of(group, "/plan")).text
    assert re.findall(r"Kommentar nummer (\d)<", page) == ["3", "4", "5"]  # the newest, in order
    assert GOAL_COMMENT not in page
    assert "Kommentarer (5)" in page  # the heading counts them all
    link = f'href="/plans/{group.plan_id}/plan?comments={item}#comment-{item}-list">'
    assert link + "Vis alle de 5 kommentarene" in page

    every = web.client.get(page_of(group, f"/plan?comments={item}")).text
    assert re.findall(r"Kommentar nummer (\d)<", every) == ["2", "3", "4", "5"]
    assert GOAL_COMMENT in every
    assert "Vis alle de 5 kommentarene" not in every
    odd = web.client.get(page_of(group, '/plan?comments="><script>'))
    assert odd.status_code == 200
    assert re.findall(r"Kommentar nummer (\d)<", odd.text) == ["3", "4", "5"]


def test_someone_removed_from_the_group_is_shown_as_a_former_participant(
    web: Web, group: Group
) -> None:
    goal_id = goal_with_comment(web, group)
    per = log_in(web, "per")
    note = {"on": {"kind": "goal", "id": goal_id}, "text": "Per sin kommentar"}
    posted = web.client.post(f"/api/v1/plans/{group.plan_id}/comments", json=note, headers=per)
    assert posted.status_code == 201, posted.text
    # kari's third login (each login here is at the same instant of the test's clock, so
    # a fourth would evict one of her three sessions, maybe the newest)
    web.page_login("kari")
    removed = web.client.delete(
        group.url(f"/participants/{group.provider}"), headers=web.csrf_headers()
    )
    assert removed.status_code == 200, removed.text
    page = web.client.get(page_of(group, "/plan")).text
    said = re.findall(r'<p class="ds-paragraph muted" data-size="sm">([^,<]+),', page)
    assert said == ["Kari Testesen", "tidligere deltaker"]


def test_the_plan_tab_shows_the_newest_messages_and_links_to_all(web: Web, group: Group) -> None:
    kari = log_in(web, "kari")
    for n in range(1, 23):
        body = {"to": "all", "subject": f"Melding nummer {n}", "body": "Hei"}
        sent = web.client.post(f"/api/v1/plans/{group.plan_id}/messages", json=body, headers=kari)
        assert sent.status_code == 201, sent.text
        web.clock.advance(timedelta(minutes=1))
    web.page_login("anne")
    page = web.client.get(page_of(group, "/plan")).text
    shown = re.findall(r">Melding nummer (\d+)<", page)
    assert shown == [str(n) for n in range(22, 2, -1)]  # the newest 20, newest first
    link = f'href="/plans/{group.plan_id}/plan?messages=all#messages">Vis alle de 22 meldingene'
    assert link in page
    every = web.client.get(page_of(group, "/plan?messages=all")).text
    assert re.findall(r">Melding nummer (\d+)<", every) == [str(n) for n in range(22, 0, -1)]
    assert "Vis alle de" not in every
    home = web.client.get(page_of(group)).text
    assert f"/plans/{group.plan_id}/plan?messages=all#message-" in home


def test_messages_and_activities_go_only_to_those_who_may_read_them(web: Web, group: Group) -> None:
    """Decision 0049: per, who may read neither messages nor activities, is not offered
    as a recipient or as responsible, and a form naming him anyway is refused with words
    that say why, the typed text kept and nothing saved."""
    cut = web.client.patch(
        f"/api/v1/plans/{group.plan_id}/participants/{group.provider}",
        json={"rights": rights(messages="none", activities="none")},
        headers=group.headers,
    )
    assert cut.status_code == 200, cut.text
    web.page_login("kari")
    page = web.client.get(page_of(group, "/plan")).text
    recipients = page.split('id="message-new-to"', 1)[-1].split("</fieldset>", 1)[0]
    assert group.relative in recipients
    assert group.provider not in recipients
    responsible = page.split('name="responsible_participant_id"', 1)[1].split("</select>", 1)[0]
    assert group.coordinator in responsible
    assert group.provider not in responsible
    before = version_of(web, group)

    to_per = {"audience": "chosen", "to": group.provider, "subject": "Hei", "body": "Til Per"}
    refused = send(web, group, "/plan/messages", to_per)
    assert refused.status_code == 422  # what was typed: the form comes back
    assert "har ikke tilgang til å lese meldinger i denne planen" in refused.text
    assert "Til Per" in refused.text
    for_per = {"title": "Hørselstest", "responsible_participant_id": group.provider}
    refused = send(web, group, "/plan/activities", for_per)
    assert refused.status_code == 422
    assert "har ikke tilgang til å se aktivitetene i denne planen" in refused.text
    assert "Hørselstest" in refused.text
    assert version_of(web, group) == before

    to_all = {"audience": "all", "subject": "Til alle", "body": "Møte tirsdag"}
    followed(web, send(web, group, "/plan/messages", to_all))
    [message] = web.plans.get_plan(UUID(group.plan_id)).messages
    sent_to = {str(r) for r in message.recipient_ids}
    assert group.relative in sent_to
    assert group.provider not in sent_to
