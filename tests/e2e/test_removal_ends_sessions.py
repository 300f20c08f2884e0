"""SEC-SES-07: "removing a participant kills their sessions", through the API and the page.

Their rights in the plan already end with the removal (SEC-AC-05, test_plan_view.py);
here every session of the removed person ends too, not only their view of that plan,
and the removal stands when the sessions cannot be ended (it is logged).
"""

from uuid import UUID

import pytest

from tests.e2e.conftest import Web
from tests.e2e.test_logging import captured_json_logs, lines
from tests.e2e.test_pages_participants import Plan, form_on, plan
from tests.e2e.test_plan_api import Group, group, log_in

__all__ = ["group", "plan"]  # the fixtures, imported for this module's tests

SID = "__Host-sid"


def _session_of(web: Web, username: str) -> str:
    """A fresh login of `username`; its token (the client is left without one)."""
    web.client.cookies.clear()
    web.login(username)
    token = web.client.cookies[SID]
    web.client.cookies.clear()
    return token


def _works(web: Web, token: str) -> bool:
    web.client.cookies.clear()
    web.client.cookies.set(SID, token, domain="stafett.test")
    answer = web.client.get("/api/v1/me").status_code
    web.client.cookies.clear()
    assert answer in (200, 401), answer
    return answer == 200


def _person_of(web: Web, plan_id: str, participant_id: str) -> UUID:
    plan = web.plans.get_plan(UUID(plan_id))
    return next(p.person_id for p in plan.participants if p.participant_id == UUID(participant_id))


def test_a_participant_removed_through_the_api_is_logged_out_everywhere(
    web: Web, group: Group
) -> None:
    anne = _person_of(web, group.plan_id, group.relative)
    at_home, at_work = _session_of(web, "anne"), _session_of(web, "anne")
    providers = _session_of(web, "per")
    assert _works(web, at_home)
    assert _works(web, at_work)
    headers = log_in(web, "kari")

    with captured_json_logs() as stream:
        removed = web.client.delete(group.url(f"/participants/{group.relative}"), headers=headers)

    assert removed.status_code == 200, removed.text
    assert not _works(web, at_home)
    assert not _works(web, at_work)
    assert _works(web, providers)  # only the removed person's sessions end
    [ended] = [line for line in lines(stream) if line["event"] == "session_ended_by_removal"]
    assert ended["account"] == str(anne)
    assert ended["plan"] == group.plan_id
    assert ended["sessions"] == 2
    assert ("sessions_ended_by_removal", group.plan_id) in web.accounts.accounts.facts_of(anne)
    web.login("anne")  # a new login works; the plan is gone from it
    assert web.client.get(group.url()).status_code == 404


def test_a_participant_removed_on_the_page_is_logged_out(web: Web, plan: Plan) -> None:
    annes = _session_of(web, "anne")
    assert _works(web, annes)
    web.page_login("kari")
    removal = plan.url(f"/participants/{plan.anne}/removal")
    fields = form_on(web, plan.url(f"/participants/{plan.anne}/removal"), removal)

    removed = web.submit(removal, fields | {"confirm_remove": "yes"})

    assert removed.status_code == 303, removed.text
    assert not _works(web, annes)


def test_a_removal_stands_when_the_sessions_cannot_be_ended(
    web: Web, group: Group, monkeypatch: pytest.MonkeyPatch
) -> None:
    annes = _session_of(web, "anne")
    headers = log_in(web, "kari")

    def broken(person_id: UUID, *, except_token: str | None = None) -> int:
        raise OSError("the session table is unreachable")

    monkeypatch.setattr(web.accounts.sessions, "end_all_of", broken)
    with captured_json_logs() as stream:
        removed = web.client.delete(group.url(f"/participants/{group.relative}"), headers=headers)
    monkeypatch.undo()

    assert removed.status_code == 200, removed.text
    gone = web.plans.get_plan(UUID(group.plan_id)).participants
    assert not next(p for p in gone if p.participant_id == UUID(group.relative)).active
    [failed] = [line for line in lines(stream) if line["event"] == "session_end_failed"]
    assert failed["error"] == "OSError"
    assert "unreachable" not in stream.getvalue()
    # The session lives on, but the plan is gone from it on its very next request.
    web.client.cookies.set(SID, annes, domain="stafett.test")
    assert web.client.get(group.url()).status_code == 404
