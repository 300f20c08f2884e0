"""A participant's role changed on their details page (decision 0054), on both stores:
the coordinator's form offers relative or provider where the rules let it change, the
save is the API's `ChangeParticipant`, and the history tells whose role became what."""

import re

from stafett.applications.commands import OfferBaton
from tests.e2e.conftest import Web
from tests.e2e.test_pages_participants import (
    Plan,
    form_on,
    html_text,
    member_in,
    plan,
    view_as,
)

__all__ = ["plan"]  # the fixture, used by name


def role_choices(web: Web, page_path: str) -> list[str]:
    """The role radios on the page, the chosen one marked with a star."""
    html = web.client.get(page_path).text
    found = []
    for tag in html.split("<input")[1:]:
        if 'name="role"' in tag:
            value = tag.split('value="', 1)[1].split('"', 1)[0]
            found.append(value + ("*" if " checked" in tag.split(">", 1)[0] else ""))
    return found


def test_the_coordinator_makes_a_relative_a_provider_and_the_history_says_so(
    web: Web, plan: Plan
) -> None:
    web.page_login("kari")
    details = plan.url(f"/participants/{plan.anne}")
    assert role_choices(web, details) == ["relative*", "provider"]
    fields = form_on(web, details, details) | {"role": "provider"}
    saved = web.submit(details, fields)
    assert saved.status_code == 303, saved.text
    assert member_in(view_as(web, "kari", plan), plan.anne)["role"] == "provider"
    web.client.cookies.clear()
    web.page_login("kari")
    assert role_choices(web, details) == ["relative", "provider*"]
    history = html_text(web.client.get(plan.url("/history")).text)  # bokmål, the default
    assert re.search(r"\(koordinator\) gjorde Anne [^ ]+ til tjenesteyter", history), history


def test_no_role_to_choose_for_the_owner_the_coordinator_or_whoever_is_offered_the_baton(
    web: Web, plan: Plan
) -> None:
    web.page_login("kari")
    coordinator = web.plans.get_plan(plan.id).coordinator_participant_id
    for participant_id in (plan.owner, coordinator):
        assert role_choices(web, plan.url(f"/participants/{participant_id}")) == []
    assert role_choices(web, plan.url(f"/participants/{plan.per}")) == ["relative", "provider*"]
    web.plans.handle(plan.id, OfferBaton(participant_id=plan.per), by=plan.kari)
    assert role_choices(web, plan.url(f"/participants/{plan.per}")) == []


def test_a_participant_sees_no_role_to_choose_on_their_own_page(web: Web, plan: Plan) -> None:
    web.page_login("anne")
    own = web.client.get(plan.url(f"/participants/{plan.anne}"))
    assert own.status_code == 200
    assert role_choices(web, plan.url(f"/participants/{plan.anne}")) == []
