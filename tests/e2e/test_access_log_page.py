"""The access log page, as a parent uses it to answer "has the school read this?": each
reader once, with how often and when last, then the openings one by one, the newest 50
until all are asked for. Every opening stays in the log (and in the JSON route); the page
only lists fewer at first, since a month of use made it some 25,000 px long on a phone."""

import re
from uuid import UUID

from tests.e2e.conftest import Web

WHEN_CELL = re.compile(r'<td data-label="Når">')


def summary_rows(html: str) -> list[tuple[str, str]]:
    """(who, times) of each row of the readers' table."""
    table = html.split('id="openings-heading"', 1)[0]
    return re.findall(
        r'<td data-label="Hvem">([^<]+)</td>.*?<td data-label="Antall ganger">(\d+)</td>',
        table,
        re.S,
    )


def test_each_reader_once_and_the_newest_openings(web: Web) -> None:
    kari = web.create_user("kari", coordinator=True)
    plan_id: UUID = web.olas_plan(kari)
    web.login("kari")
    for _ in range(54):
        assert web.client.get(f"/api/v1/plans/{plan_id}").status_code == 200
    web.logout()
    web.page_login("kari")

    page = web.client.get(f"/plans/{plan_id}/access-log").text
    total = 55  # the 54 reads and this page's own (its heading's read comes after the list)
    assert summary_rows(page) == [("Kari Testesen", str(total))]
    assert len(WHEN_CELL.findall(page)) == 50
    assert f"De nyeste 50 av {total}." in page
    assert "Hva de kunne se" in page

    every = web.client.get(f"/plans/{plan_id}/access-log?entries=all").text
    # Every opening recorded before the page was drawn: all but its heading's, after it.
    recorded = len(web.access_log.entries(plan_id))
    assert len(WHEN_CELL.findall(every)) == recorded - 1 > total
    assert "De nyeste" not in every
