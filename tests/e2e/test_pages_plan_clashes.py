"""A goal's or activity's form from an older page, field by field (decision 0038).

Two tabs open the same goal's form. Tab A saves first; tab B, opened before, saves
after. Where B changed a field A changed too, B's form comes back: the fields B had left
as they were show what A saved (so saving again cannot put B's old values back), a field
both changed keeps B's value and says what it is now, and saved again it keeps A's other
changes. Where they changed different fields, B's form is saved at once and both changes
stand. The JSON API stays strict. On both stores.
"""

from datetime import date
from html.parser import HTMLParser
from uuid import UUID

from stafett.aggregates.values import ActivityStatus, Goal, GoalStatus
from tests.e2e.conftest import Web
from tests.e2e.test_pages_plan import followed, goal_with_comment, page_of, send, version_on
from tests.e2e.test_plan_api import Group, group, log_in

__all__ = ["group"]

A_SAVED = "Noen andre endret dette mens du skrev: her står det som er lagret nå."


class _FormFields(HTMLParser):
    """The fields one form of a page sends, as the browser would send them."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.fields: dict[str, str] = {}
        self.textarea: str | None = None
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = given.get("action") == self.action
        elif not self.inside:
            return
        elif tag == "input" and given.get("type") not in ("checkbox", "submit"):
            self.fields[given["name"]] = given.get("value", "")
        elif tag == "textarea":
            self.textarea = given["name"]
            self.fields[self.textarea] = ""
        elif tag == "select":
            self.select = given["name"]
            self.fields.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in given:
            self.fields[self.select] = given["value"]

    def handle_data(self, data: str) -> None:
        if self.inside and self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None


def form_on(html: str, action: str) -> dict[str, str]:
    """What the form posting to `action` would send, as the page shows it."""
    parser = _FormFields(action)
    parser.feed(html)
    assert parser.fields, f"no form for {action}"
    return {k: v for k, v in parser.fields.items() if k != "csrf_token"}


def opened(web: Web, g: Group, key: str, action: str) -> dict[str, str]:
    """The item's form as a tab opens it now (its fields and the version it carries)."""
    html = web.client.get(page_of(g, f"/plan?open={key}")).text
    return form_on(html, page_of(g, action))


def a_goal(web: Web, g: Group) -> tuple[str, str]:
    """A goal with a description and a due date; its id and its form's address."""
    goal_id = goal_with_comment(web, g)
    web.page_login("kari")
    path = f"/plan/goals/{goal_id}"
    first = {"title": "Lese hver dag", "description": "Tjue minutter", "due_on": "2026-12-01"}
    followed(web, send(web, g, path, first))
    return goal_id, path


def the_goal(web: Web, g: Group) -> Goal:
    return web.plans.get_plan(UUID(g.plan_id)).goals[0]


def test_a_goal_changed_in_two_tabs_comes_back_field_by_field_and_keeps_the_other_tab(
    web: Web, group: Group
) -> None:
    goal_id, path = a_goal(web, group)
    tab_a, tab_b = (opened(web, group, f"goal-{goal_id}-revise", path) for _ in "ab")
    assert tab_b["due_on"] == "2026-12-01"
    tab_a |= {"description": "Tretti minutter før leggetid", "due_on": "2027-03-15"}
    followed(web, send(web, group, path, tab_a))
    mine = {**tab_b, "title": "Lese og fortelle", "description": "Tjue minutter om morgenen"}
    stale = send(web, group, path, mine)

    assert stale.status_code == 409
    back = form_on(stale.text, page_of(group, path))
    assert back["due_on"] == "2027-03-15"  # B left it: what A saved, not B's old date
    assert A_SAVED in stale.text
    assert back["title"] == "Lese og fortelle"  # only B changed it
    assert back["description"] == "Tjue minutter om morgenen"  # both: B's, and what it is now
    assert (
        "Noen andre endret «Beskrivelse» mens du skrev; nå står det «Tretti minutter før "
        "leggetid». Teksten din er tatt vare på her" in stale.text
    )
    assert f'aria-describedby="goal-{goal_id}-revise-due_on-note"' in stale.text
    assert "feltene du ikke hadde endret, viser det som er lagret nå" in stale.text
    assert the_goal(web, group).title == "Lese hver dag"  # nothing saved

    again = followed(web, send(web, group, path, back))
    assert "Målet er endret." in again
    goal = the_goal(web, group)
    assert goal.title == "Lese og fortelle"
    assert goal.description == "Tjue minutter om morgenen"
    assert goal.due_on == date(2027, 3, 15)  # A's change stands


def test_a_goal_form_is_saved_at_once_when_the_other_tab_changed_other_fields(
    web: Web, group: Group
) -> None:
    goal_id, path = a_goal(web, group)
    seen = version_on(web.client.get(page_of(group, "/plan")).text)
    tab_a, tab_b = (opened(web, group, f"goal-{goal_id}-revise", path) for _ in "ab")
    tab_a |= {"description": "Tretti minutter", "due_on": "2027-03-15"}
    followed(web, send(web, group, path, tab_a))

    saved = followed(web, send(web, group, path, {**tab_b, "title": "Lese og fortelle"}))
    assert "Målet er endret." in saved
    goal = the_goal(web, group)
    assert (goal.title, goal.description) == ("Lese og fortelle", "Tretti minutter")
    assert goal.due_on == date(2027, 3, 15)

    # The JSON API does not merge: a stale version is 409, whatever it changes.
    headers = log_in(web, "kari") | {"If-Match": f'"{seen}"'}
    url = f"/api/v1/plans/{group.plan_id}/goals/{goal_id}"
    stale = web.client.patch(url, json={"title": "Fra API"}, headers=headers)
    assert stale.status_code == 409, stale.text
    assert the_goal(web, group).title == "Lese og fortelle"


def _an_activity(web: Web, g: Group) -> tuple[UUID, str]:
    web.page_login("kari")
    added = {
        "title": "Bibliotek",
        "responsible_participant_id": g.provider,
        "due_on": "2026-12-01",
    }
    followed(web, send(web, g, "/plan/activities", added))
    activity_id = web.plans.get_plan(UUID(g.plan_id)).activities[0].activity_id
    return activity_id, f"/plan/activities/{activity_id}"


def test_an_activity_changed_in_two_tabs_comes_back_field_by_field(web: Web, group: Group) -> None:
    activity_id, path = _an_activity(web, group)
    tab_a, tab_b = (opened(web, group, f"activity-{activity_id}-change", path) for _ in "ab")
    assert tab_b["responsible_participant_id"] == group.provider
    tab_a |= {"responsible_participant_id": group.coordinator, "due_on": "2027-03-15"}
    followed(web, send(web, group, path, tab_a))
    mine = {**tab_b, "title": "Bibliotek hver fredag", "due_on": "2027-04-01"}
    stale = send(web, group, path, mine)

    assert stale.status_code == 409
    back = form_on(stale.text, page_of(group, path))
    assert back["responsible_participant_id"] == group.coordinator  # A's, not B's old choice
    assert back["due_on"] == "2027-04-01"
    assert "Noen andre endret «Frist» mens du skrev; nå står det «15.03.2027»." in stale.text
    assert back["title"] == "Bibliotek hver fredag"
    assert back["status"] == "planned"
    assert A_SAVED in stale.text

    followed(web, send(web, group, path, back))
    activity = web.plans.get_plan(UUID(group.plan_id)).activities[0]
    assert str(activity.responsible_participant_id) == group.coordinator
    assert activity.due_on == date(2027, 4, 1)
    assert activity.title == "Bibliotek hver fredag"


def test_an_activity_completed_in_another_tab_takes_a_title_change_and_stays_completed(
    web: Web, group: Group
) -> None:
    activity_id, path = _an_activity(web, group)
    tab_b = opened(web, group, f"activity-{activity_id}-change", path)
    followed(web, send(web, group, f"{path}/completed", {}))

    saved = followed(web, send(web, group, path, {**tab_b, "title": "Bibliotek hver fredag"}))
    assert "Aktiviteten er endret." in saved
    activity = web.plans.get_plan(UUID(group.plan_id)).activities[0]
    assert activity.title == "Bibliotek hver fredag"
    assert activity.status is ActivityStatus.COMPLETED  # B's old "planned" is not put back


def test_an_evaluation_from_an_older_page_takes_the_status_someone_else_set_meanwhile(
    web: Web, group: Group
) -> None:
    goal_id, _path = a_goal(web, group)
    path = f"/plan/goals/{goal_id}/evaluations"
    tab_a, tab_b = (opened(web, group, f"goal-{goal_id}-evaluate", path) for _ in "ab")
    assert tab_b["status"] == "active"
    followed(web, send(web, group, path, {**tab_a, "status": "achieved", "text": "Nådd"}))
    stale = send(web, group, path, {**tab_b, "text": "Går fint"})

    assert stale.status_code == 409
    back = form_on(stale.text, page_of(group, path))
    assert back["status"] == "achieved"  # B left it: not B's old "active" again
    assert back["text"] == "Går fint"
    assert A_SAVED in stale.text
    followed(web, send(web, group, path, back))
    goal = the_goal(web, group)
    assert goal.status is GoalStatus.ACHIEVED
    assert [e.text for e in goal.evaluations] == ["Nådd", "Går fint"]


def test_an_evaluation_is_saved_at_once_over_a_change_of_the_goals_title(
    web: Web, group: Group
) -> None:
    goal_id, path = a_goal(web, group)
    evaluations = f"/plan/goals/{goal_id}/evaluations"
    tab_b = opened(web, group, f"goal-{goal_id}-evaluate", evaluations)
    followed(web, send(web, group, path, {"title": "Lese hver kveld"}))

    sent = {**tab_b, "status": "partly_achieved", "text": "Nesten"}
    assert "Evalueringen er lagret." in followed(web, send(web, group, evaluations, sent))
    goal = the_goal(web, group)
    assert (goal.title, goal.status) == ("Lese hver kveld", GoalStatus.PARTLY_ACHIEVED)
