"""Help: one public page with a section for every topic a page links to.

Every page names its topic in `{% block help_topic %}` and some link to
`/help#<topic>` directly: each such topic must exist as an anchor on /help, so
no "?" leads nowhere. Also the markup checks shared by the profile and
administration pages' tests (unique ids, every field labelled).
"""

import html
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

from stafett.applications.own_account import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from stafett.web.pages.render import TEMPLATES
from tests.e2e.conftest import Web

BLOCK_TOPIC = re.compile(r"{%\s*block help_topic\s*%}([\w-]+){%\s*endblock")
LINKED_TOPIC = re.compile(r'/help#([\w-]+)"')
GUIDE_TOPICS = {
    "start",
    "login",
    "password",
    "plans",
    "create-plan",
    "plan-home",
    "plan",
    "participants",
    "history",
    "access-log",
    "manage",
    "profile",
    "admin",
    "reports",
}


def linked_topics() -> dict[str, list[str]]:
    """Topic → the templates that name or link it."""
    found: dict[str, list[str]] = {}
    for path in sorted(Path(TEMPLATES).rglob("*.html")):
        text = path.read_text()
        for topic in BLOCK_TOPIC.findall(text) + LINKED_TOPIC.findall(text):
            found.setdefault(topic, []).append(str(path.relative_to(TEMPLATES)))
    return found


def anchors(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', html))


def check_markup(html: str) -> None:
    """Ids unique; every visible input, select and textarea has a <label for> it."""
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    labelled = set(re.findall(r'<label[^>]*\sfor="([^"]+)"', html))
    for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if 'type="hidden"' in control or re.search(r"\shidden[\s>]", control):
            continue
        found = re.search(r'\sid="([^"]+)"', control)
        assert found is not None, control
        assert found.group(1) in labelled, control


def test_every_topic_a_page_links_to_is_on_the_help_page(web: Web) -> None:
    topics = linked_topics()
    assert "login" in topics  # the scan finds the login pages' topic
    page = web.client.get("/help")
    assert page.status_code == 200
    missing = {t: where for t, where in topics.items() if t not in anchors(page.text)}
    assert missing == {}
    assert anchors(page.text) >= GUIDE_TOPICS
    for topic in GUIDE_TOPICS:
        assert f'href="#{topic}"' in page.text  # the list of topics leads to each


def test_help_is_public_plain_and_in_the_page_language(web: Web) -> None:
    page = web.client.get("/help")
    assert '<html lang="nb"' in page.text
    assert "engangskode" in page.text
    assert 'aria-label="Hovedmeny"' not in page.text  # no menu before login
    check_markup(page.text)
    web.client.cookies.set("lang", "en", domain="stafett.test")
    english = web.client.get("/help")
    assert '<html lang="en"' in english.text
    assert "one-time code" in english.text


def test_help_tells_when_a_session_ends_as_the_service_ends_it(web: Web) -> None:
    """The login topic's times are the sessions' own (SEC-SES-04), not a copy of them."""
    minutes = IDLE_TIMEOUT // timedelta(minutes=1)
    hours = ABSOLUTE_TIMEOUT // timedelta(hours=1)
    page = web.client.get("/help").text
    assert f"Du blir logget ut etter {minutes} minutter" in page
    assert f"og etter {hours} timer uansett" in page


def test_help_knows_who_is_logged_in_and_their_language(web: Web) -> None:
    web.create_user("kari")
    web.page_login("kari")
    kari = web.accounts.accounts.by_username("kari")
    assert kari is not None
    web.accounts.set_language(kari.person_id, "en")
    web.client.cookies.set("lang", "nb", domain="stafett.test")
    page = web.client.get("/help")
    assert '<html lang="en"' in page.text  # the account's choice wins over the cookie
    assert 'href="/profile"' in page.text  # the menu of a logged-in person
    assert "Kari Testesen" in page.text


def test_every_page_s_help_link_leads_to_its_topic(web: Web) -> None:
    login = web.client.get("/login").text
    assert 'href="/help#login"' in login
    web.create_user("ada", org_admin=True)
    web.page_login("ada")
    assert 'href="/help#profile"' in web.client.get("/profile").text
    assert 'href="/help#admin"' in web.client.get("/admin").text


def test_help_says_what_the_plan_list_says_of_changes_and_consent(web: Web) -> None:
    """The list's "Plan changed" counts only what the reader may read (decision 0050), and
    "Consent expires" shows a date, days only when 30 or fewer, or that it was withdrawn."""
    text = html.unescape(web.client.get("/help").text)
    assert "«Plan endret» sier om noe du kan lese, er nytt siden sist du var inne" in text
    assert "«Samtykke utgår» viser dagen samtykket går ut" in text
    assert "sier hvor mange dager samtykket har igjen" not in text
