"""Consent on the pages: the manage page shows the consent on record and its form keeps
it, a consent no longer in force says why wherever it is shown, and the coordinator
records a withdrawal the family made (issue 10, items 4 and 5), on both stores."""

import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest

from stafett.aggregates.values import Consent, local_date
from tests.e2e.conftest import Web
from tests.e2e.test_pages_participants import Plan, form_on, html_text, plan
from tests.e2e.test_pages_plans import rows_of

__all__ = ["plan"]  # the fixture, imported for this module's tests


class Details(HTMLParser):
    """Each `<dt>` of a page with the text of the `<dd>` after it."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}
        self._term: str | None = None
        self._in: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("dt", "dd"):
            self._in, self._text = tag, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "dt":
            self._term = " ".join(self._text.split())
        elif tag == "dd" and self._term is not None:
            self.found[self._term] = " ".join(self._text.split())
            self._term = None
        if tag in ("dt", "dd"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text += f" {data}"


def details(html: str) -> dict[str, str]:
    parser = Details()
    parser.feed(html)
    return parser.found


def heading_of(html: str) -> dict[str, str]:
    """The plan heading's facts, as the reader sees them."""
    return details(html.partition('<header class="plan-heading">')[2].partition("</header>")[0])


def on_record(html: str) -> dict[str, str]:
    """The manage page's card of the consent on record."""
    card = html.partition('id="consent-now-heading"')[2].partition("</section>")[0]
    return details(card)


def shown(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def test_the_consent_form_holds_the_consent_on_record_and_a_save_changes_only_what_changed(
    web: Web, plan: Plan
) -> None:
    web.page_login("kari")
    today = local_date(web.plans.clock())
    given, expires = today - timedelta(days=6), today + timedelta(days=359)
    action = plan.url("/manage/consent")
    dated = {"given_on": given.isoformat(), "expires_on": expires.isoformat()}
    saved = web.submit(action, form_on(web, plan.url("/manage"), action) | dated)
    assert saved.status_code == 303, saved.text

    page = web.client.get(plan.url("/manage")).text
    assert on_record(page) == {
        "Status": f"gyldig til {shown(expires)}",
        "Gitt av": "Mor og far",
        "Gitt dato": shown(given),
        "Utgår dato": shown(expires),
        "Hva som deles": "Alle ser alt",
    }
    fields = form_on(web, plan.url("/manage"), action)
    assert {k: fields[k] for k in ("given_by", "given_on", "expires_on", "scope")} == {
        "given_by": "Mor og far",
        **dated,
        "scope": "Alle ser alt",
    }
    assert "forslag for et nytt samtykke" not in page

    changed = web.submit(action, fields | {"given_by": "Mor"})  # only who gave it
    assert changed.status_code == 303, changed.text
    assert web.plans.get_plan(plan.id).consent == Consent("Mor", given, expires, "Alle ser alt")

    # New dates only when asked for, and said to be a suggestion.
    assert "?dates=new" in page
    suggested = web.client.get(plan.url("/manage?dates=new")).text
    assert "Datoene under er et forslag for et nytt samtykke gitt i dag" in suggested
    fields = form_on(web, plan.url("/manage?dates=new"), action)
    assert (fields["given_on"], fields["expires_on"], fields["given_by"]) == (
        today.isoformat(),
        (today + timedelta(days=365)).isoformat(),
        "Mor",
    )


@pytest.mark.parametrize("how", ["withdrawn", "reset"])
def test_a_consent_no_longer_in_force_says_why_in_the_list_the_heading_and_on_manage(
    web: Web, plan: Plan, how: str
) -> None:
    if how == "withdrawn":
        web.page_login("anne")
        address = plan.url("/consent/withdrawal")
        box = "confirm_withdraw"
    else:
        web.page_login("kari")
        address = plan.url("/manage/consent/reset")
        box = "confirm_reset"
    page = plan.url("/manage") if how == "reset" else address
    ended = web.submit(address, form_on(web, page, address) | {box: "yes"})
    assert ended.status_code == 303, ended.text
    said = {"withdrawn": "trukket tilbake", "reset": "nullstilt"}[how]

    for username in ("anne", "kari"):
        web.page_login(username)
        [row] = rows_of(web.client.get("/plans").text)
        assert row["Samtykke utgår"] == said, username
        home = web.client.get(plan.url()).text
        assert heading_of(home)["Samtykke utgår"] == said, username
        assert "gjelder ikke nå" not in home
    assert on_record(web.client.get(plan.url("/manage")).text)["Status"] == said


def test_a_consent_given_for_a_later_day_says_from_when_it_is_in_force(
    web: Web, plan: Plan
) -> None:
    web.page_login("kari")
    today = local_date(web.plans.clock())
    starts = today + timedelta(days=3)
    action = plan.url("/manage/consent")
    later = {"given_on": starts.isoformat()}
    saved = web.submit(action, form_on(web, plan.url("/manage"), action) | later)
    assert saved.status_code == 303, saved.text
    [row] = rows_of(web.client.get("/plans").text)
    assert row["Samtykke utgår"] == f"gjelder fra {shown(starts)}"
    page = web.client.get(plan.url("/manage")).text
    assert heading_of(page)["Samtykke utgår"] == f"gjelder fra {shown(starts)}"
    assert on_record(page)["Status"] == f"gjelder fra {shown(starts)}"


def test_the_coordinator_records_the_familys_withdrawal_and_goes_back_to_manage(
    web: Web, plan: Plan
) -> None:
    address = plan.url("/consent/withdrawal")
    web.page_login("anne")  # the family withdraws it themself: "I withdraw" is true
    page = web.client.get(address).text
    assert "Jeg forstår, og trekker tilbake samtykket til denne planen" in html_text(page)
    assert "jeg registrerer det" not in page
    assert re.search(rf'href="{plan.url("/participants")}">Tilbake til deltakerne<', page)

    web.page_login("kari")
    manage = web.client.get(plan.url("/manage")).text
    assert "Registrer at familien har trukket tilbake samtykket" in manage
    page = web.client.get(address).text
    text = html_text(page)
    assert "Familien har trukket tilbake samtykket til denne planen, og jeg registrerer det" in text
    assert "og trekker tilbake samtykket" not in text  # not "I withdraw": kari records it
    assert "Planen tar vare på at det var du som registrerte det, og når." in text
    assert re.search(rf'href="{plan.url("/manage")}">Tilbake til administrasjon av planen<', page)
    assert 'aria-current="page">Administrer plan<' in page
    recorded = web.submit(address, form_on(web, address, address) | {"confirm_withdraw": "yes"})
    assert recorded.status_code == 303, recorded.text
    assert web.plans.get_plan(plan.id).consent.status.value == "withdrawn"
    assert "allerede trukket tilbake" in web.client.get(address).text
