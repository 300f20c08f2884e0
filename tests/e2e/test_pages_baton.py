"""The baton on the pages (decision 0052), on both stores: the manage page's card offers
it and withdraws the offer; the offered provider's home tab accepts or declines it; the
coordinator keeps every right until it is accepted."""

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import pytest

from stafett.applications.commands import AddParticipant, OfferBaton
from stafett.applications.parts import PersonIn
from tests.e2e.conftest import Web
from tests.e2e.test_pages_participants import form_on, html_text
from tests.e2e.test_step_up_pages import NOT_DONE, through_the_step_up

OFFER = "/manage/coordinator/offer"
WITHDRAW = "/manage/coordinator/offer/withdrawal"
ACCEPT = "/baton/acceptance"
DECLINE = "/baton/decline"
STALE = timedelta(minutes=5, seconds=1)


@dataclass
class Plan:
    id: UUID
    kari: UUID  # the coordinator's person id
    holder: UUID  # kari's participant id
    per: UUID  # a provider's participant id (per has a login)

    def url(self, suffix: str = "") -> str:
        return f"/plans/{self.id}{suffix}"

    def state(self, web: Web) -> tuple[UUID, UUID | None]:
        """Who holds the baton, and who it is offered to."""
        view = web.plans.get_plan(self.id)
        return view.coordinator_participant_id, view.baton_offered_to


@pytest.fixture
def plan(web: Web) -> Plan:
    kari = web.create_user("kari", coordinator=True)
    plan_id = web.olas_plan(kari)
    pids = {}
    for username, role in (("anne", "relative"), ("per", "provider")):
        person = web.create_user(username)
        added = web.plans.handle(
            plan_id,
            AddParticipant(person=PersonIn(person_id=person), role=role),  # type: ignore[arg-type]
            by=kari,
        )
        assert added.created_id is not None
        pids[username] = added.created_id
    holder = web.plans.get_plan(plan_id).coordinator_participant_id
    return Plan(plan_id, kari, holder, pids["per"])


def offer(web: Web, plan: Plan) -> None:
    web.plans.handle(plan.id, OfferBaton(participant_id=plan.per), by=plan.kari)


def test_the_manage_card_offers_the_baton_and_withdraws_the_offer(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    manage = html_text(web.client.get(plan.url("/manage")).text)
    assert "Tilby stafettpinnen" in manage
    assert "til vedkommende har tatt imot den" in manage
    offered = web.submit(plan.url(OFFER), form_on(web, plan.url("/manage"), plan.url(OFFER)))
    assert offered.status_code == 303, offered.text
    assert plan.state(web) == (plan.holder, plan.per)
    after = web.client.get(offered.headers["location"])
    text = html_text(after.text)
    assert "Stafettpinnen er tilbudt. Du er koordinator til den er tatt imot." in text
    assert "Du tilbød stafettpinnen til" in text  # to whom, and since when
    assert "Stafettpinne tilbudt Per" in text  # the heading says so too
    assert f'action="{plan.url(OFFER)}"' not in after.text  # one offer at a time
    assert "Tilbudet om stafettpinnen til Per" in text  # closing would end it: said at the close
    assert "faller bort når planen avsluttes" in text

    withdrawn = web.submit(
        plan.url(WITHDRAW), form_on(web, plan.url("/manage"), plan.url(WITHDRAW))
    )
    assert withdrawn.status_code == 303, withdrawn.text
    assert plan.state(web) == (plan.holder, None)
    back = html_text(web.client.get(withdrawn.headers["location"]).text)
    assert "Tilbudet om stafettpinnen er trukket tilbake." in back
    assert "faller bort når planen avsluttes" not in back  # no offer, no warning


def test_the_home_tab_of_the_offered_provider_accepts_the_baton(web: Web, plan: Plan) -> None:
    for who in ("anne", "per"):  # before the offer, nobody's home has the card
        web.page_login(who)
        assert "Du er tilbudt stafettpinnen" not in web.client.get(plan.url("/")).text
    offer(web, plan)
    web.page_login("anne")  # someone else's home has no card
    assert "Du er tilbudt stafettpinnen" not in web.client.get(plan.url("/")).text
    refused = web.submit(plan.url(ACCEPT), {})
    assert refused.status_code == 403
    web.page_login("per")
    home = html_text(web.client.get(plan.url("/")).text)
    assert "Du er tilbudt stafettpinnen" in home
    assert "Når du tar imot den, blir du planens koordinator" in home
    assert web.client.get(plan.url("/manage")).status_code == 403  # not the coordinator yet
    accepted = web.submit(plan.url(ACCEPT), form_on(web, plan.url("/"), plan.url(ACCEPT)))
    assert accepted.status_code == 303, accepted.text
    assert plan.state(web) == (plan.per, None)
    said = html_text(web.client.get(accepted.headers["location"]).text)
    assert "Du har tatt imot stafettpinnen." in said
    assert "Du er tilbudt stafettpinnen" not in said
    assert web.client.get(plan.url("/manage")).status_code == 200


def test_the_home_tab_declines_the_baton(web: Web, plan: Plan) -> None:
    offer(web, plan)
    web.page_login("per")
    declined = web.submit(plan.url(DECLINE), form_on(web, plan.url("/"), plan.url(DECLINE)))
    assert declined.status_code == 303, declined.text
    assert plan.state(web) == (plan.holder, None)
    said = html_text(web.client.get(declined.headers["location"]).text)
    assert "Du har avslått tilbudet om stafettpinnen." in said
    assert f'action="{plan.url(ACCEPT)}"' not in web.client.get(plan.url("/")).text
    again = web.submit(plan.url(ACCEPT), {})  # from a home tab opened before
    assert again.status_code == 422, again.text  # nothing offered any more: home says so
    assert "Stafettpinnen er ikke lenger tilbudt deg." in html_text(again.text)
    assert plan.state(web) == (plan.holder, None)


def test_accepting_on_the_home_tab_waits_for_a_step_up_and_keeps_the_answer(
    web: Web, plan: Plan
) -> None:
    offer(web, plan)
    web.page_login("per")
    fields = form_on(web, plan.url("/"), plan.url(ACCEPT))
    web.clock.advance(STALE)
    waiting = web.submit(plan.url(ACCEPT), fields)
    assert waiting.status_code in (302, 303), waiting.text
    assert "/step-up" in waiting.headers["location"]
    assert plan.state(web) == (plan.holder, plan.per)
    # Through the code to the end: home gives the answer back, and pressed, it is done.
    returned = through_the_step_up(web, waiting.headers["location"], "Du tar imot stafettpinnen.")
    assert returned == f"{plan.url()}?kept=1&stepped_up=1"  # the home tab, given back
    home = web.client.get(returned)
    assert home.status_code == 200
    assert NOT_DONE in home.text  # says the answer waits to be pressed again
    assert plan.state(web) == (plan.holder, plan.per)  # still only offered: nothing done yet
    again = form_on(web, returned, plan.url(ACCEPT))
    accepted = web.submit(plan.url(ACCEPT), again)
    assert accepted.status_code == 303, accepted.text
    assert plan.state(web) == (plan.per, None)
    assert "Du har tatt imot stafettpinnen." in html_text(
        web.client.get(accepted.headers["location"]).text
    )
