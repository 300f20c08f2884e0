"""The history page's choice of a participant says what it does, when it can be made.

The page told people to choose a participant before the list was there (it comes with
the plan group of the day chosen), and labelled it "Sett av", which reads as "set
aside"."""

from stafett.aggregates.values import local_date
from tests.e2e.conftest import Web


def test_the_participant_choice_is_announced_before_and_named_after_a_day(web: Web) -> None:
    kari = web.create_user("kari", coordinator=True)
    plan_id = web.olas_plan(kari)
    web.page_login("kari")

    before = web.client.get(f"/plans/{plan_id}/history").text
    assert "Når du har valgt en dag, kan du også velge en i plangruppen den dagen" in before
    assert "Velg en deltaker" not in before
    assert 'name="participant"' not in before

    today = local_date(web.plans.clock())
    after = web.client.get(f"/plans/{plan_id}/history?on={today.isoformat()}").text
    assert 'name="participant"' in after
    assert ">Vis som<" in after
    assert "Velg en deltaker for å se planen slik vedkommende kunne se den da" in after
    assert "Sett av" not in after
