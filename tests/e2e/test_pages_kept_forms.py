"""Without scripts, a form sent after the session ended is kept and given back.

The session idles out after thirty minutes (SEC-SES-04); a long evaluation or comment
can take longer. A browser without JavaScript forgets what it sent when it is sent to
the login page, so the server keeps the form for the person who wrote it
(`web/pages/kept.py`) and the login returns to the plan page with the form open, as
typed, to be saved (issue 10, item 9).
"""

import re
from datetime import timedelta
from urllib.parse import quote, unquote
from uuid import UUID

import httpx

from stafett.applications.own_account import IDLE_TIMEOUT
from stafett.web.auth import SESSION_COOKIE
from tests.e2e.conftest import PASSWORD, Web
from tests.e2e.test_pages_participants import Plan, form_on, plan
from tests.e2e.test_pages_plan import goal_with_comment, page_of, version_of
from tests.e2e.test_pages_plans import NEW_PLAN, value_of
from tests.e2e.test_pages_profile import details, field_value
from tests.e2e.test_plan_api import Group, group

__all__ = ["group", "plan"]  # the fixtures, imported for this module's tests

WRITTEN = "Skrevet over lang tid, <b>med</b> linjeskift\nog mer"
KEPT_NOTICE = "Du ble logget ut før dette ble lagret"


def _form_page(web: Web, group: Group, key: str) -> tuple[str, str]:
    """The CSRF token and plan version of the plan page with the form `key` open."""
    shown = web.client.get(page_of(group, f"/plan?open={key}"))
    assert shown.status_code == 200, shown.text[:500]
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', shown.text)
    version = re.search(r'name="expected_version" value="(\d+)"', shown.text)
    assert token is not None
    assert version is not None
    return token.group(1), version.group(1)


def _post(web: Web, group: Group, suffix: str, fields: dict[str, str]) -> httpx.Response:
    """A form posted as a browser without scripts does (no htmx header)."""
    return web.client.post(
        page_of(group, suffix),
        data=fields,
        headers={"origin": web.ORIGIN},
        follow_redirects=False,
    )


def _idle_out(web: Web) -> None:
    web.clock.advance(IDLE_TIMEOUT + timedelta(seconds=1))


def _login_then(web: Web, username: str, login_location: str) -> str:
    """Log in from the login page the refused form was sent to; where it returns."""
    query = login_location.split("?", 1)[1]
    after = unquote(dict(p.split("=", 1) for p in query.split("&"))["next"])
    first = web.submit("/login", {"username": username, "password": PASSWORD, "next": after})
    assert first.status_code == 303, first.text
    code = re.search(r"next=([^&]+)", first.headers["location"])
    assert code is not None
    done = web.submit(
        "/login/code", {"code": web.last_code(), "next": unquote(code.group(1))}, token=False
    )
    assert done.status_code == 303, done.text
    location: str = done.headers["location"]
    return location


def _comment_kept_for_per(web: Web, group: Group) -> tuple[str, str]:
    """per writes a comment on a goal, idles out, then sends it; (goal id, the login's
    address the answer sends the browser to)."""
    goal_id = goal_with_comment(web, group)
    web.page_login("per")
    token, version = _form_page(web, group, f"comment-goal-{goal_id}")
    _idle_out(web)
    fields = {"csrf_token": token, "expected_version": version}
    fields |= {"on_kind": "goal", "on_id": goal_id, "text": WRITTEN}
    before = version_of(web, group)
    posted = _post(web, group, "/plan/comments", fields)
    assert posted.status_code == 303, posted.text
    assert version_of(web, group) == before  # nothing saved without a live session
    return goal_id, posted.headers["location"]


def test_a_comment_sent_after_the_session_idled_out_comes_back_after_the_login(
    web: Web, group: Group
) -> None:
    goal_id, login = _comment_kept_for_per(web, group)
    key = f"comment-goal-{goal_id}"
    back = f"{page_of(group, '/plan')}?kept=1#{key}"
    assert login == "/login?next=" + quote(back, safe="") + "&expired=1"
    asked = web.client.get(login).text
    assert "du får det tilbake etter innloggingen" in asked

    assert _login_then(web, "per", login) == back
    shown = web.client.get(back.split("#", maxsplit=1)[0])
    assert shown.status_code == 200
    assert KEPT_NOTICE in shown.text  # the page's alert, with what was written
    assert "Ikke lagret ennå" in shown.text  # and in the form itself
    form = shown.text[shown.text.index(f'id="{key}"') :]
    assert form.startswith(f'id="{key}" open>')  # the form is drawn open, as typed
    escaped = "Skrevet over lang tid, &lt;b&gt;med&lt;/b&gt; linjeskift\nog mer"
    assert escaped in form[: form.index("</form>")]
    assert "<b>med</b>" not in shown.text

    # Given back once: the next view of the page has the form closed and empty again.
    again = web.client.get(back.split("#", maxsplit=1)[0])
    assert KEPT_NOTICE not in again.text
    assert "Skrevet over lang tid" not in again.text

    # Sent from the page that gave it back, it is saved, once.
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', shown.text)
    assert token is not None
    before = version_of(web, group)
    fields = {"csrf_token": token.group(1), "expected_version": str(before)}
    fields |= {"on_kind": "goal", "on_id": goal_id, "text": WRITTEN}
    saved = _post(web, group, "/plan/comments", fields)
    assert saved.status_code == 303, saved.text
    assert version_of(web, group) == before + 1
    assert "Skrevet over lang tid" in web.client.get(page_of(group, "/plan")).text


def test_a_goal_evaluation_comes_back_in_its_own_form(web: Web, group: Group) -> None:
    goal_id = goal_with_comment(web, group)
    web.page_login("kari")
    key = f"goal-{goal_id}-evaluate"
    token, version = _form_page(web, group, key)
    _idle_out(web)
    fields = {"csrf_token": token, "expected_version": version, "status": "achieved"}
    fields["text"] = "Målet er nådd, skrevet i et langt møte"
    posted = _post(web, group, f"/plan/goals/{goal_id}/evaluations", fields)
    back = _login_then(web, "kari", posted.headers["location"])
    assert back == f"{page_of(group, '/plan')}?kept=1#{key}"
    shown = web.client.get(back.split("#", maxsplit=1)[0]).text
    form = shown[shown.index(f'id="{key}"') :]
    form = form[: form.index("</form>")]
    assert "Målet er nådd, skrevet i et langt møte" in form
    assert re.search(r'<option value="achieved" selected>', form)


def test_a_kept_form_is_given_back_only_to_the_person_who_wrote_it(web: Web, group: Group) -> None:
    _goal_id, login = _comment_kept_for_per(web, group)
    back = unquote(login.split("next=")[1].split("&")[0])
    # kari, the coordinator, on the same computer: she reads the plan, without per's text.
    assert _login_then(web, "kari", login) == back
    hers = web.client.get(back.split("#", maxsplit=1)[0])
    assert hers.status_code == 200
    assert KEPT_NOTICE not in hers.text
    assert "Skrevet over lang tid" not in hers.text
    web.logout()
    # per still gets it back.
    _login_then(web, "per", login)
    assert "Skrevet over lang tid" in web.client.get(back.split("#", maxsplit=1)[0]).text


def test_a_form_is_not_kept_without_its_sessions_token_after_a_logout_or_for_long(
    web: Web, group: Group
) -> None:
    goal_id = goal_with_comment(web, group)
    web.page_login("per")
    _token, version = _form_page(web, group, f"comment-goal-{goal_id}")
    fields = {"expected_version": version, "on_kind": "goal", "on_id": goal_id, "text": WRITTEN}
    plain_login = "/login?next=" + quote(page_of(group, "/plan/comments"), safe="")
    kept = f"{page_of(group, '/plan')}?kept=1"

    # Another session's token, or none: not kept; the login returns to the address.
    for wrong in ({"csrf_token": "0" * 64}, {}):
        _idle_out(web)
        posted = _post(web, group, "/plan/comments", fields | wrong)
        assert posted.headers["location"] == plain_login + "&expired=1"
        asked = web.client.get(posted.headers["location"]).text
        assert "du får det tilbake etter innloggingen" not in asked
        assert "er tatt vare på i denne fanen" in asked  # what drafts.js keeps, with scripts
        web.page_login("per")
        assert "Skrevet over lang tid" not in web.client.get(kept).text

    # After a logout: no session to say whose it is, so nothing is kept.
    token, _version = _form_page(web, group, f"comment-goal-{goal_id}")
    cookie = web.client.cookies.get(SESSION_COOKIE)
    web.accounts.logout(cookie)
    posted = _post(web, group, "/plan/comments", fields | {"csrf_token": token})
    assert posted.headers["location"] == plain_login + "&expired=1"
    web.page_login("per")
    assert "Skrevet over lang tid" not in web.client.get(kept).text

    def kept_after_idling() -> None:
        token, _version = _form_page(web, group, f"comment-goal-{goal_id}")
        _idle_out(web)
        posted = _post(web, group, "/plan/comments", fields | {"csrf_token": token})
        assert "kept%3D1" in posted.headers["location"]

    # Kept, but the person comes back after more than an hour: gone.
    kept_after_idling()
    web.clock.advance(timedelta(minutes=61))
    web.page_login("per")
    assert "Skrevet over lang tid" not in web.client.get(kept).text

    # Kept, then the person logs in and out elsewhere: dropped with the logout.
    kept_after_idling()
    web.page_login("per")
    web.logout()
    web.page_login("per")
    assert "Skrevet over lang tid" not in web.client.get(kept).text


# ------------------------------------------------------- forms of other pages


def test_a_plan_being_created_comes_back_as_typed_after_the_login(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.page_login("kari")
    token = web.page_token("/plans/new")
    _idle_out(web)
    typed = NEW_PLAN | {"consent_given_by": "Mor, etter et langt møte", "csrf_token": token}
    posted = web.client.post(
        "/plans/new", data=typed, headers={"origin": web.ORIGIN}, follow_redirects=False
    )
    assert posted.headers["location"] == "/login?next=%2Fplans%2Fnew%3Fkept%3D1&expired=1"
    assert _login_then(web, "kari", posted.headers["location"]) == "/plans/new?kept=1"
    shown = web.client.get("/plans/new?kept=1").text
    assert KEPT_NOTICE in shown
    assert value_of(shown, "consent_given_by") == "Mor, etter et langt møte"
    assert value_of(shown, "short_name") == NEW_PLAN["short_name"]
    blank = web.client.get("/plans/new?kept=1").text  # once
    assert KEPT_NOTICE not in blank
    assert value_of(blank, "consent_given_by") == ""


def test_my_details_come_back_as_typed_and_no_password_is_kept(web: Web) -> None:
    web.create_user("per")
    web.page_login("per")
    token = web.page_token("/profile")
    _idle_out(web)
    typed = details(street_address="Storgata 1", place="Bø") | {
        "csrf_token": token,
        "confirm_password": PASSWORD,
    }
    posted = web.client.post(
        "/profile/details", data=typed, headers={"origin": web.ORIGIN}, follow_redirects=False
    )
    assert posted.headers["location"] == "/login?next=%2Fprofile%3Fkept%3D1%23details&expired=1"
    sessions = web.accounts.sessions
    [row] = sessions.select(f"SELECT fields FROM {sessions.kept}")
    assert "Storgata 1" in row["fields"]
    assert PASSWORD not in row["fields"]
    assert token not in row["fields"]

    assert _login_then(web, "per", posted.headers["location"]) == "/profile?kept=1#details"
    shown = web.client.get("/profile?kept=1").text
    assert KEPT_NOTICE in shown
    assert field_value(shown, "street_address") == "Storgata 1"
    assert field_value(shown, "place") == "Bø"
    assert field_value(web.client.get("/profile").text, "street_address") == ""  # not saved


def test_forms_from_two_tabs_are_both_kept_after_the_first_met_the_ended_session(
    web: Web, group: Group
) -> None:
    """The session's row says whose it was after a first request found it ended, so a
    second tab's form, sent later with the same cookie, is kept too; the session still
    logs nobody in."""
    goal_id = goal_with_comment(web, group)
    web.page_login("per")
    profile_token = web.page_token("/profile")  # the second tab
    plan_token, version = _form_page(web, group, f"comment-goal-{goal_id}")  # the first
    _idle_out(web)
    fields = {"csrf_token": plan_token, "expected_version": version}
    fields |= {"on_kind": "goal", "on_id": goal_id, "text": WRITTEN}
    first = _post(web, group, "/plan/comments", fields)
    assert "kept%3D1" in first.headers["location"]
    typed = details(street_address="Storgata 1") | {"csrf_token": profile_token}
    second = web.client.post(
        "/profile/details", data=typed, headers={"origin": web.ORIGIN}, follow_redirects=False
    )
    assert second.headers["location"] == "/login?next=%2Fprofile%3Fkept%3D1%23details&expired=1"
    assert web.client.get("/api/v1/me").status_code == 401  # ended, for every request

    back = _login_then(web, "per", second.headers["location"])
    assert back == "/profile?kept=1#details"
    assert field_value(web.client.get("/profile?kept=1").text, "street_address") == "Storgata 1"
    shown = web.client.get(page_of(group, "/plan?kept=1")).text
    assert KEPT_NOTICE in shown
    assert "Skrevet over lang tid" in shown


def test_two_forms_sent_to_one_plan_from_two_tabs_both_come_back_open(
    web: Web, group: Group
) -> None:
    """A comment on each of two goals, written in two tabs and sent after the session
    ended: both are kept (one a form, not one a plan), and the page after the login has
    both open as typed, each saved once from there."""
    first_goal = goal_with_comment(web, group)
    second_goal = goal_with_comment(web, group)
    web.page_login("per")
    written = {first_goal: "Første fane, skrevet lenge", second_goal: "Andre fane, også lenge"}
    tabs = {goal: _form_page(web, group, f"comment-goal-{goal}") for goal in written}
    _idle_out(web)
    for goal, text in written.items():
        token, version = tabs[goal]
        fields = {"csrf_token": token, "expected_version": version}
        fields |= {"on_kind": "goal", "on_id": goal, "text": text}
        posted = _post(web, group, "/plan/comments", fields)
        assert posted.status_code == 303, posted.text
        login = posted.headers["location"]

    back = _login_then(web, "per", login)
    assert back == f"{page_of(group, '/plan')}?kept=1#comment-goal-{second_goal}"
    shown = web.client.get(back.split("#", maxsplit=1)[0]).text
    assert KEPT_NOTICE in shown
    assert "Du sendte 2 skjemaer til denne planen; hvert av dem er åpent" in shown
    assert "i skjemaet nedenfor" not in shown  # the one form's words, not said of two
    for goal, text in written.items():
        key = f"comment-goal-{goal}"
        form = shown[shown.index(f'id="{key}"') :]
        assert form.startswith(f'id="{key}" open>'), key
        assert text in form[: form.index("</form>")]

    for goal, text in written.items():  # each saved from the page that gave it back
        page = web.client.get(page_of(group, f"/plan?open=comment-goal-{goal}")).text
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
        assert csrf is not None
        before = version_of(web, group)
        fields = {"csrf_token": csrf.group(1), "expected_version": str(before)}
        fields |= {"on_kind": "goal", "on_id": goal, "text": text}
        assert _post(web, group, "/plan/comments", fields).status_code == 303
        assert version_of(web, group) == before + 1
    saved = web.client.get(page_of(group, "/plan")).text
    assert all(text in saved for text in written.values())


def _given_back(
    web: Web,
    form_page: str,
    action: str,
    changes: dict[str, str],
    *,
    back: str = "",
    who: str = "kari",
) -> str:
    """`who`'s form on `form_page` posting to `action`, with `changes` typed, sent once
    the session has idled out; after the login, the page it is given back on (`back`,
    else the form's own address)."""
    back = back or action
    web.page_login(who)
    fields = form_on(web, form_page, action) | changes
    _idle_out(web)
    posted = web.client.post(
        action, data=fields, headers={"origin": web.ORIGIN}, follow_redirects=False
    )
    assert posted.status_code == 303, posted.text
    assert _login_then(web, who, posted.headers["location"]) == back + "?kept=1"
    shown: str = web.client.get(back + "?kept=1").text
    assert KEPT_NOTICE in shown
    return shown


def test_a_participants_details_come_back_as_typed_after_the_login(web: Web, group: Group) -> None:
    here = page_of(group, f"/participants/{group.provider}")
    written = "Kontaktlærer, skrevet i et langt møte"
    shown = _given_back(web, here, here, {"responsibility": written, "workplace": "Bø skole"})
    assert written in shown
    assert 'value="Bø skole"' in shown
    assert written not in web.client.get(here + "?kept=1").text  # once
    provider = next(
        p
        for p in web.plans.get_plan(UUID(group.plan_id)).participants
        if str(p.participant_id) == group.provider
    )
    assert provider.responsibility != written  # not saved


def test_a_new_participant_being_registered_comes_back_after_the_login(
    web: Web, group: Group
) -> None:
    new = page_of(group, "/participants/new")
    typed = {"first_name": "Mona", "last_name": "Mormor", "role": "relative"}
    shown = _given_back(web, new + "?how=new", new, typed)
    assert 'value="Mona"' in shown
    assert 'value="Mormor"' in shown
    assert not web.plans.find_persons("Mona Mormor")  # nothing saved before it is sent


def test_a_reason_for_closing_the_plan_comes_back_after_the_login(web: Web, group: Group) -> None:
    manage = page_of(group, "/manage")
    reason = "Samarbeidet er over, etter et langt møte med familien"
    typed = {"ended_on": "2026-06-01", "reason": reason}
    shown = _given_back(web, manage, manage + "/close", typed, back=manage)
    assert reason in shown
    assert web.plans.get_plan(UUID(group.plan_id)).status.value == "open"  # not closed


def test_a_participants_login_being_given_comes_back_after_the_login(web: Web, plan: Plan) -> None:
    details = plan.url(f"/participants/{plan.per}")
    account = plan.url(f"/participants/{plan.per}/account")
    shown = _given_back(web, details, account, {"username": "per.helse.lang"}, back=details)
    assert 'value="per.helse.lang"' in shown
    assert web.accounts.accounts.by_username("per.helse.lang") is None  # not made yet


def test_a_new_user_being_made_comes_back_after_the_login(web: Web) -> None:
    web.create_user("ada", org_admin=True)
    typed = {"first_name": "Siv", "last_name": "Skole", "username": "siv.skole"}
    typed["email"] = "siv@example.no"
    new = "/admin/users/new"
    shown = _given_back(web, new, "/admin/users", typed, back=new, who="ada")
    assert 'value="siv.skole"' in shown
    assert 'value="Siv"' in shown
    assert web.accounts.accounts.by_username("siv.skole") is None  # not made yet
