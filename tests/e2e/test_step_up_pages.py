"""A form whose action needs a fresh one-time code comes back as typed after the code
(decision 0031, amended), without scripts: the browser sends no `Referer`
(`Referrer-Policy: no-referrer`), so the server keeps the form for the logged-in person
(`pages/kept.py`) and the step-up page returns to the page that gives it back, says
what waits, and the person presses the button again. Secrets are never kept.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from stafett.applications.commands import ChangeParticipant
from tests.e2e.conftest import PASSWORD, Web
from tests.e2e.test_pages_participants import FormFields, Plan, form_on, plan
from tests.e2e.test_pages_profile import DETAILS

__all__ = ["plan"]  # the fixture, imported for this module's tests

STALE = timedelta(minutes=5, seconds=1)  # the login's code is no longer recent
NOT_DONE = "Dette er ikke gjort ennå: det trengte en ny engangskode."


def fields_of(html: str, action: str) -> dict[str, str]:
    """The fields of the form posting to `action` as the page drew it."""
    parser = FormFields(action)
    parser.feed(html)
    assert parser.fields, f"no form posting to {action}"
    return parser.fields


def goals_of(web: Web, plan: Plan) -> str:
    """Anne's right to the goals, as the plan holds it."""
    anne = next(
        p for p in web.plans.get_plan(plan.id).participants if p.participant_id == plan.anne
    )
    return str(anne.rights.goals.value)


def through_the_step_up(web: Web, refused: str, waits: str) -> str:
    """From the step-up page a refused form was sent to: it says what waits (`waits`),
    a code is asked for and typed; where the page returns (the page giving the form back)."""
    query = parse_qs(urlsplit(refused).query)
    after, waiting = query["next"][0], query["waiting"][0]
    asked = web.client.get(refused)
    assert asked.status_code == 200, asked.text
    assert waits in asked.text
    assert "Det er ikke gjort ennå: etter koden kommer du tilbake til skjemaet" in asked.text
    sent = web.submit("/step-up/code", {"next": after, "waiting": waiting})
    assert sent.status_code == 303, sent.text
    shown = web.client.get(sent.headers["location"]).text
    assert waits in shown  # still said beside the notice that the code is sent
    assert 'data-confirmation="notice"' in shown  # not a write: the tab keeps its draft
    done = web.submit("/step-up", {"next": after, "waiting": waiting, "code": web.last_code()})
    assert done.status_code == 303, done.text
    location: str = done.headers["location"]
    assert location == after
    return location


def test_closing_the_plan_comes_back_filled_in_after_the_code(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    web.clock.advance(STALE)
    close = plan.url("/manage/close")
    fields = form_on(web, plan.url("/manage"), close)
    fields |= {"reason": "Familien har flyttet", "confirm_close": "yes"}
    refused = web.submit(close, fields)
    assert refused.status_code == 303, refused.text
    back = f"{plan.url('/manage')}?kept=1&stepped_up=1"
    assert parse_qs(urlsplit(refused.headers["location"]).query) == {
        "next": [back],
        "waiting": ["ClosePlan"],
    }
    assert web.plans.get_plan(plan.id).status.value == "open"  # nothing done yet

    returned = through_the_step_up(web, refused.headers["location"], "avslutte planen")
    assert returned == back
    page = web.client.get(returned)
    assert page.status_code == 200
    assert NOT_DONE in page.text
    again = fields_of(page.text, close)
    assert again["reason"] == "Familien har flyttet"
    assert web.plans.get_plan(plan.id).status.value == "open"

    # Given back once; pressed again, the plan is closed with the reason typed before.
    assert NOT_DONE not in web.client.get(returned).text
    closed = web.submit(close, again | {"confirm_close": "yes"})
    assert closed.status_code == 303, closed.text
    assert closed.headers["location"].endswith("saved=plan_closed")
    state = web.plans.get_plan(plan.id)
    assert (state.status.value, state.closed_reason) == ("closed", "Familien har flyttet")


def test_a_participants_rights_come_back_as_chosen_after_the_code(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    web.clock.advance(STALE)
    details = plan.url(f"/participants/{plan.anne}")
    fields = form_on(web, details, details)
    assert fields["rights.goals"] == "none"
    fields |= {"responsibility": "Mor og verge", "rights.goals": "read"}
    refused = web.submit(details, fields)
    assert refused.status_code == 303, refused.text
    assert parse_qs(urlsplit(refused.headers["location"]).query)["waiting"] == [
        ChangeParticipant.__name__
    ]
    assert goals_of(web, plan) == "none"  # nothing done yet

    returned = through_the_step_up(web, refused.headers["location"], "endre rettighetene")
    page = web.client.get(returned)
    assert NOT_DONE in page.text
    again = fields_of(page.text, details)
    assert again["rights.goals"] == "read"
    assert again["responsibility"] == "Mor og verge"

    assert goals_of(web, plan) == "none"
    saved = web.submit(details, again)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"].endswith("saved=participant_saved")
    assert goals_of(web, plan) == "read"


def test_a_new_mobile_number_comes_back_after_the_code_without_the_password(web: Web) -> None:
    web.create_user("kari")
    web.page_login("kari")
    web.clock.advance(STALE)
    typed = DETAILS | {"mobile": "+4799999999", "confirm_password": PASSWORD}
    refused = web.submit("/profile/details", typed)
    assert refused.status_code == 303, refused.text
    returned = through_the_step_up(web, refused.headers["location"], "endre mobilnummeret")
    assert returned == "/profile?kept=1&stepped_up=1#details"
    page = web.client.get(returned.split("#", maxsplit=1)[0]).text
    assert NOT_DONE in page
    again = fields_of(page, "/profile/details")
    assert again["mobile"] == "+4799999999"
    assert again.get("confirm_password", "") == ""  # a password is never kept
    assert PASSWORD not in page


def test_a_download_asked_for_returns_to_the_page_that_offers_it(web: Web, plan: Plan) -> None:
    """A link to a download (the export) needs no form kept: the step-up returns to the
    plan tab that offers it, and says nothing waits in a form."""
    web.page_login("kari")
    web.clock.advance(STALE)
    export = web.client.get(plan.url("/export?language=nb"), follow_redirects=False)
    assert export.status_code == 303
    query = parse_qs(urlsplit(export.headers["location"]).query)
    assert query == {"next": [plan.url("/plan?saved=download_ready")]}
    asked = web.client.get(export.headers["location"]).text
    assert "Det er ikke gjort ennå" not in asked
