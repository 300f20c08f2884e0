"""A refused or unknown page speaks the person's language and keeps their header.

The guard refuses an account-level page (administration, reports, creating plans), and
the router an address that is no page, before the page router has chosen the language
or found the person: the error page still shows in their language, with their name,
menu and "Log out", the session looked up without a write. An account-level refusal
says who gives that access; one inside a plan still says to ask its coordinator. A
plan outside the person's group answers as one that does not exist.
"""

import re
from datetime import timedelta
from html import unescape
from uuid import uuid4

import pytest

from stafett.applications.own_account import IDLE_TIMEOUT
from stafett.persistence.sessions import SessionRecord
from stafett.web.auth import SESSION_COOKIE
from tests.e2e.conftest import Web
from tests.e2e.test_pages_participants import Plan, plan

__all__ = ["plan"]  # the fixture, imported for this module's tests

ADMINS_ONLY = {
    "en": "Only your organisation's administrators have access to this. Ask an administrator",
    "nb": "Bare virksomhetens administratorer har tilgang til dette. Spør en administrator",
}
COORDINATORS_CREATE = {
    "en": "Only coordinators create plans. An administrator in your organisation can make you",
    "nb": "Bare koordinatorer oppretter planer. En administrator i virksomheten din kan gjøre",
}
ASK_COORDINATOR = {
    "en": "You do not have access to this. Ask the plan's coordinator.",
    "nb": "Du har ikke tilgang til dette. Spør koordinatoren for planen.",
}
NOT_ALLOWED = {"en": "Not allowed", "nb": "Ikke tillatt"}
NOT_FOUND = {"en": "Not found", "nb": "Finnes ikke"}
LOG_OUT = {"en": "Log out", "nb": "Logg ut"}


def in_language(web: Web, username: str, language: str) -> None:
    """Logged in through the pages, with `language` chosen (kept on the account)."""
    web.page_login(username)
    chosen = web.submit("/language", {"language": language, "back": "/plans"})
    assert chosen.status_code == 303, chosen.text
    web.client.cookies.delete("lang")  # the account's choice, not the cookie's, decides


def has_their_header(html: str, name: str, language: str) -> None:
    assert f'<html lang="{language}"' in html
    assert f'<span class="site-nav__who">{name} Testesen</span>' in html
    assert 'href="/profile"' in html  # the menu
    assert f">{LOG_OUT[language]}</button>" in html


@pytest.mark.parametrize("language", ["en", "nb"])
def test_account_level_refusals_say_who_gives_access_in_the_persons_language(
    web: Web, language: str
) -> None:
    web.create_user("kari", coordinator=True)
    web.create_user("tor")
    in_language(web, "kari", language)
    for path in ("/admin", "/reports", "/admin/users/new"):
        refused = web.client.get(path)
        assert refused.status_code == 403, path
        assert f'<h1 class="ds-heading" data-size="lg">{NOT_ALLOWED[language]}</h1>' in (
            refused.text
        )
        assert ADMINS_ONLY[language] in unescape(refused.text), path
        assert ASK_COORDINATOR[language] not in unescape(refused.text)
        has_their_header(refused.text, "Kari", language)

    web.client.cookies.clear()
    in_language(web, "tor", language)
    refused = web.client.get("/plans/new")
    assert refused.status_code == 403
    assert COORDINATORS_CREATE[language] in unescape(refused.text)
    has_their_header(refused.text, "Tor", language)


@pytest.mark.parametrize("language", ["en", "nb"])
def test_a_refusal_inside_a_plan_still_says_to_ask_its_coordinator(
    web: Web, plan: Plan, language: str
) -> None:
    in_language(web, "anne", language)  # a relative in the plan: not its manager
    refused = web.client.get(plan.url("/manage"))
    assert refused.status_code == 403
    assert ASK_COORDINATOR[language] in unescape(refused.text)
    has_their_header(refused.text, "Anne", language)


def _without_ids(html: str, *ids: str) -> str:
    for found in ids:
        html = html.replace(found, "ID")
    return html


@pytest.mark.parametrize("language", ["en", "nb"])
def test_an_unknown_address_and_a_plan_outside_the_group_look_alike(
    web: Web, plan: Plan, language: str
) -> None:
    web.create_user("tor")
    in_language(web, "tor", language)
    unknown = web.client.get("/xyz")
    assert unknown.status_code == 404
    assert NOT_FOUND[language] in unknown.text
    has_their_header(unknown.text, "Tor", language)

    # A plan Tor is not in, and one that does not exist: the same page (no leak).
    missing = str(uuid4())
    outside = web.client.get(plan.url("/plan"))
    nowhere = web.client.get(f"/plans/{missing}/plan")
    assert outside.status_code == nowhere.status_code == 404
    has_their_header(outside.text, "Tor", language)
    assert _without_ids(outside.text, str(plan.id)) == _without_ids(nowhere.text, missing)


def test_without_a_session_the_cookies_language_decides(web: Web) -> None:
    web.client.cookies.set("lang", "en", domain="stafett.test")
    unknown = web.client.get("/xyz")
    assert unknown.status_code == 404
    assert '<html lang="en"' in unknown.text
    assert "Not found" in unknown.text
    assert "site-nav__who" not in unknown.text


def _session(web: Web) -> SessionRecord:
    found = web.accounts.sessions.get(web.client.cookies[SESSION_COOKIE])
    assert found is not None
    return found


def test_an_error_page_writes_nothing_to_the_session(web: Web) -> None:
    """Its use is not written down, and a session past its idle time is not ended by
    it (it shows as logged out); the next page of ours does that, as always."""
    web.create_user("tor")
    in_language(web, "tor", "en")
    seen = _session(web).last_seen
    web.clock.advance(timedelta(minutes=1))  # a use would now be written down
    assert web.client.get("/xyz").status_code == 404  # no route: the page looks the session up
    assert _session(web).last_seen == seen

    web.clock.advance(IDLE_TIMEOUT)
    quiet = web.client.get("/xyz")
    assert quiet.status_code == 404
    assert "site-nav__who" not in quiet.text
    assert _session(web).stage == "done"  # not marked ended by the error page
    assert web.client.get("/plans", follow_redirects=False).status_code == 303
    assert _session(web).stage == "ended"
    assert re.search(r"<html lang=\"(en|nb)\"", quiet.text)


@pytest.mark.parametrize("language", ["en", "nb"])
def test_a_forms_address_opened_in_the_browser_is_a_page_not_json(
    web: Web, plan: Plan, language: str
) -> None:
    """Reloading the address a form was sent to, or opening it from the history, asks it
    with GET: the person gets a page in their language saying what happened (405, with
    Allow), not the API's problem; the API keeps its problem."""
    in_language(web, "kari", language)
    for address in ("/profile/password", plan.url("/plan/goals")):
        answer = web.client.get(address)
        assert answer.status_code == 405, (address, answer.text[:300])
        assert answer.headers["content-type"].startswith("text/html")
        assert "POST" in answer.headers["allow"]
        text = unescape(answer.text)
        assert {"en": "Nothing to show here", "nb": "Ingenting å vise her"}[language] in text
        has_their_header(answer.text, "Kari", language)
    api = web.client.get("/api/v1/session/step-up")
    assert api.status_code == 405
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["title"] == "Method Not Allowed"
    assert "POST" in api.headers["allow"]
