"""The participants pages and the coordinator's actions (issue 10, items 4, 5 and 10),
through the browser's forms, on both stores.

What each page shows comes from the permitted view and the policy table: a parent
whose goals are `none` still sees the plan group but not others' rights; a hidden
mobile number is hidden from the others after the coordinator hides it; only the
coordinator adds people, gives logins and manages the plan.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any, Literal
from uuid import UUID

import pytest

from stafett.aggregates.person import PersonDetails
from stafett.aggregates.values import Access, Rights, Role, local_date
from stafett.applications.commands import AddParticipant, HandOverCoordinator, SetGoal
from stafett.applications.parts import PersonIn, RightsIn
from stafett.web import i18n
from tests.e2e.conftest import Web
from tests.leakcheck import remember

NEW_PASSWORD = "sju blå elefanter danser tango"
remember(NEW_PASSWORD)


@dataclass
class Plan:
    id: UUID
    kari: UUID  # the coordinator's person id
    owner: UUID  # participant ids from here
    anne: UUID  # relative, goals: none
    per: UUID  # provider, no account

    def url(self, suffix: str = "") -> str:
        return f"/plans/{self.id}{suffix}"

    def version(self, web: Web) -> int:
        return web.plans.get_plan(self.id).version


def add(
    web: Web,
    plan_id: UUID,
    by: UUID,
    person: PersonIn,
    role: Literal["relative", "provider"],
    **more: Any,
) -> UUID:
    result = web.plans.handle(plan_id, AddParticipant(person=person, role=role, **more), by=by)
    assert result.created_id is not None
    return result.created_id


@pytest.fixture
def plan(web: Web) -> Plan:
    kari = web.create_user("kari", coordinator=True)
    anne = web.create_user("anne")
    plan_id = web.olas_plan(kari)
    no_goals = RightsIn.of(Rights(goals=Access.NONE))
    anne_pid = add(web, plan_id, kari, PersonIn(person_id=anne), "relative", rights=no_goals)
    per_pid = add(
        web,
        plan_id,
        kari,
        PersonIn(first_name="Per", last_name="Helse", email="per@example.no", mobile="91111111"),
        "provider",
        responsibility="Helsesøster",
    )
    state = web.plans.get_plan(plan_id)
    owner = next(p for p in state.participants if p.role is Role.OWNER)
    return Plan(plan_id, kari, owner.participant_id, anne_pid, per_pid)


def html_text(html: str) -> str:
    """The page's text without tags, white space collapsed (for what a reader sees)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ------------------------------------------------------------- participants tab


def test_the_participants_tab_shows_each_role_and_responsibility(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    page = web.client.get(plan.url("/participants"))
    assert page.status_code == 200, page.text
    text = html_text(page.text)
    for shown in ("Ola Planeier", "Anne Testesen", "Per Helse", "Helsesøster", "Koordinator"):
        assert shown in text
    assert "Planeier" in text
    assert "Pårørende" in text
    assert "Tjenesteyter" in text
    assert f'href="{plan.url(f"/participants/{plan.per}")}"' in page.text


class FormFields(HTMLParser):
    """The fields a form of a page sends as it stands: inputs, ticked boxes, chosen
    radios and options, text areas (what a browser would post untouched)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            posts = a.get("method", "").lower() == "post"
            self.inside = posts and a.get("action") == self.action and not self.fields
        elif not self.inside:
            return
        elif tag == "input" and "name" in a:
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[a["name"]] = a.get("value", "on")
            else:
                self.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[a["name"]] = ""
        elif tag == "select":
            self._select = a["name"]
        elif (
            tag == "option"
            and self._select
            and ("selected" in a or self._select not in self.fields)
        ):
            self.fields[self._select] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self.inside and self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_on(web: Web, page_path: str, action: str) -> dict[str, str]:
    """The fields of the form posting to `action` on the page at `page_path`."""
    page = web.client.get(page_path)
    assert page.status_code == 200, page.text
    parser = FormFields(action)
    parser.feed(page.text)
    assert parser.fields, f"no form posting to {action} on {page_path}"
    return parser.fields


def csrf(web: Web, plan: Plan) -> dict[str, str]:
    """The CSRF field the plan's pages put in their forms, for a form posted by hand."""
    return {"csrf_token": web.page_token(plan.url("/participants"))}


def view_as(web: Web, username: str, plan: Plan) -> dict[str, Any]:
    """The permitted view (API) as `username` sees it."""
    web.client.cookies.clear()
    web.login(username)
    answer = web.client.get(f"/api/v1/plans/{plan.id}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def member_in(view: dict[str, Any], participant_id: UUID) -> dict[str, Any]:
    found: dict[str, Any] = next(
        m for m in view["participants"] if m["participant_id"] == str(participant_id)
    )
    return found


def test_a_parent_without_goals_sees_the_group_but_not_the_others_rights(
    web: Web, plan: Plan
) -> None:
    web.page_login("anne")
    group = web.client.get(plan.url("/participants"))
    assert group.status_code == 200
    assert "Per Helse" in group.text
    assert "Helsesøster" in group.text
    assert "/participants/new" not in group.text
    assert "/manage" not in group.text

    others = web.client.get(plan.url(f"/participants/{plan.per}"))
    assert others.status_code == 200
    assert "Rettigheter i denne planen" not in others.text
    assert 'name="first_name"' not in others.text  # nothing to edit
    own = html_text(web.client.get(plan.url(f"/participants/{plan.anne}")).text)
    assert "Rettigheter i denne planen" in own
    assert "Mål Ingen" in own

    for refused in ("/participants/new", "/manage"):
        assert web.client.get(plan.url(refused)).status_code == 403


def test_the_coordinator_hides_a_mobile_and_the_others_no_longer_see_it(
    web: Web, plan: Plan
) -> None:
    web.page_login("kari")
    details = plan.url(f"/participants/{plan.per}")
    fields = form_on(web, details, details)
    assert fields["mobile"] == "+4791111111"
    assert "hide_mobile" not in fields
    fields |= {"mobile": "922 22 222", "hide_mobile": "yes", "fax": "22001100"}

    saved = web.submit(details, fields)
    assert saved.status_code == 303, saved.text
    shown = web.client.get(saved.headers["location"])
    assert "Endringene er lagret" in shown.text
    assert 'value="+4792222222"' in shown.text

    seen_by_anne = member_in(view_as(web, "anne", plan), plan.per)
    assert seen_by_anne["contact"]["mobile"] == ""  # hidden: as if there were none
    assert seen_by_anne["contact"]["fax"] == "+4722001100"
    assert seen_by_anne["responsibility"] == "Helsesøster"
    web.page_login("anne")
    assert "92222222" not in web.client.get(plan.url("/participants")).text


def test_the_coordinator_changes_responsibility_and_rights_in_the_same_form(
    web: Web, plan: Plan
) -> None:
    web.page_login("kari")
    details = plan.url(f"/participants/{plan.anne}")
    fields = form_on(web, details, details)
    fields |= {"responsibility": "Mor og verge", "rights.goals": "read"}
    saved = web.submit(details, fields)
    assert saved.status_code == 303, saved.text
    member = member_in(view_as(web, "kari", plan), plan.anne)
    assert member["responsibility"] == "Mor og verge"
    assert member["rights"]["goals"] == "read"
    assert member["rights"]["messages"] == "write"


def test_bad_details_come_back_with_what_was_typed_and_change_nothing(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    details = plan.url(f"/participants/{plan.per}")
    fields = form_on(web, details, details) | {"mobile": "12", "place": "Bø i Telemark"}
    before = plan.version(web)

    refused = web.submit(details, fields)

    assert refused.status_code == 422
    assert 'value="12"' in refused.text
    assert 'value="Bø i Telemark"' in refused.text
    assert 'id="f-mobile-error"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert "ds-error-summary" in refused.text
    assert plan.version(web) == before
    person = web.plans.get_person(web.plans.member_person(plan.id, plan.per))
    assert (person.details.mobile, person.details.place) == ("+4791111111", "")

    blank = web.submit(details, form_on(web, details, details) | {"first_name": " "})
    assert blank.status_code == 422
    assert 'id="f-first_name-error"' in blank.text


# ------------------------------------------- two people editing one person at once


def log_in_anew(web: Web, username: str) -> None:
    web.client.cookies.clear()
    web.page_login(username)


def annes_details(web: Web, plan: Plan) -> PersonDetails:
    return web.plans.get_person(web.plans.member_person(plan.id, plan.anne)).details


def details_form(web: Web, plan: Plan, who: str) -> tuple[str, dict[str, str]]:
    """The form `who` edits Anne's details with (its action and fields as filled in):
    Kari's on the participant page, Anne's own on her profile."""
    if who == "kari":
        details = plan.url(f"/participants/{plan.anne}")
        return details, form_on(web, details, details)
    return "/profile/details", form_on(web, "/profile", "/profile/details")


def opened_before(
    web: Web, plan: Plan, opener: str, saver: str, change: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """`opener` fills in their form; `saver` then saves `change` with theirs; back as
    `opener`, the form as it was filled in before that save."""
    web.page_login(opener)
    action, stale = details_form(web, plan, opener)
    log_in_anew(web, saver)
    their_action, theirs = details_form(web, plan, saver)
    assert web.submit(their_action, theirs | change).status_code == 303
    log_in_anew(web, opener)
    del stale["csrf_token"]
    return action, stale


def test_a_form_opened_before_the_persons_own_change_does_not_undo_it(web: Web, plan: Plan) -> None:
    """Kari opens Anne's details; Anne corrects her position and place on her profile;
    Kari then saves a workplace from the form she opened. The form sends only what Kari
    edited, so Anne's corrections stay."""
    details, karis = opened_before(web, plan, "kari", "anne", {"position": "Mor", "place": "Bø"})

    saved = web.submit(details, karis | {"workplace": "Bø skole"})

    assert saved.status_code == 303, saved.text
    now = annes_details(web, plan)
    assert (now.position, now.place, now.workplace) == ("Mor", "Bø", "Bø skole")


def test_the_profile_form_does_not_undo_the_coordinators_change(web: Web, plan: Plan) -> None:
    profile, annes = opened_before(web, plan, "anne", "kari", {"place": "Bø", "hide_mobile": "on"})

    saved = web.submit(profile, annes | {"position": "Mor"})

    assert saved.status_code == 303, saved.text
    now = annes_details(web, plan)
    assert (now.place, now.hide_mobile, now.position) == ("Bø", True, "Mor")


def test_a_field_both_changed_comes_back_to_be_checked_and_is_saved_when_sent_again(
    web: Web, plan: Plan
) -> None:
    details, karis = opened_before(web, plan, "kari", "anne", {"place": "Bø", "position": "Mor"})
    version = plan.version(web)

    clash = web.submit(details, karis | {"place": "Oslo", "workplace": "Bø skole"})

    assert clash.status_code == 409, clash.text
    assert "Bø" in clash.text
    assert 'id="f-place-error"' in clash.text
    assert "f-workplace-error" not in clash.text
    assert "f-position-error" not in clash.text
    now = annes_details(web, plan)
    assert (now.place, now.position, now.workplace) == ("Bø", "Mor", "")
    assert plan.version(web) == version
    again = FormFields(details)
    again.feed(clash.text)
    assert again.fields["place"] == "Oslo"  # what Kari typed
    assert again.fields["workplace"] == "Bø skole"
    assert again.fields["position"] == "Mor"  # what Anne saved, not Kari's old form

    saved = web.submit(details, again.fields)

    assert saved.status_code == 303, saved.text
    now = annes_details(web, plan)
    assert (now.place, now.position, now.workplace) == ("Oslo", "Mor", "Bø skole")


def test_the_profile_shows_a_field_both_changed_and_saves_nothing(web: Web, plan: Plan) -> None:
    change = {"place": "Bø", "street_address": "Storgata 1"}
    profile, annes = opened_before(web, plan, "anne", "kari", change)

    typed = {"place": "Oslo", "position": "Mor", "street_address": "Lillegata 2"}
    clash = web.submit(profile, annes | typed)

    assert clash.status_code == 409, clash.text
    assert "«Poststed» mens du skrev; nå står det «Bø»" in html_text(clash.text)
    assert "«Gateadresse» mens du skrev; nå står det «Storgata 1»" in html_text(clash.text)
    now = annes_details(web, plan)
    assert (now.place, now.position) == ("Bø", "")
    again = FormFields(profile)
    again.feed(clash.text)
    assert (again.fields["place"], again.fields["position"]) == ("Oslo", "Mor")
    assert web.submit(profile, again.fields).status_code == 303
    now = annes_details(web, plan)
    assert (now.place, now.position, now.street_address) == ("Oslo", "Mor", "Lillegata 2")


def test_a_form_without_its_csrf_token_is_refused(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    details = plan.url(f"/participants/{plan.per}")
    fields = form_on(web, details, details)
    del fields["csrf_token"]
    refused = web.submit(details, fields | {"mobile": "93333333"}, token=False)
    assert refused.status_code == 403
    close = web.submit(
        plan.url("/manage/close"), {"ended_on": "2026-03-02", "confirm_close": "yes"}, token=False
    )
    assert close.status_code == 403
    assert web.plans.get_plan(plan.id).status.value == "open"


def test_a_version_conflict_keeps_the_text_and_shows_the_plan_as_it_is(
    web: Web, plan: Plan
) -> None:
    web.page_login("kari")
    details = plan.url(f"/participants/{plan.per}")
    fields = form_on(web, details, details) | {"responsibility": "Helsesøster og kontakt"}
    web.plans.handle(plan.id, SetGoal(title="Et mål"), by=plan.kari)  # someone else writes

    conflict = web.submit(details, fields)

    assert conflict.status_code == 409
    assert "Helsesøster og kontakt" in conflict.text
    assert "endret planen mens du skrev" in conflict.text
    assert f'name="expected_version" value="{plan.version(web)}"' in conflict.text


def test_someone_outside_the_plan_gets_the_page_of_a_plan_that_does_not_exist(
    web: Web, plan: Plan
) -> None:
    web.create_user("ute")
    web.page_login("ute")
    for path in ("/participants", f"/participants/{plan.per}", "/manage", "/consent/withdrawal"):
        answer = web.client.get(plan.url(path))
        assert answer.status_code == 404, path
        assert "Per Helse" not in answer.text


# ------------------------------------------------------------------ adding


def test_the_coordinator_adds_a_person_found_in_the_directory(web: Web, plan: Plan) -> None:
    siv = web.plans.register_person(
        PersonDetails("Siv", "Skolesen", workplace="Bø skole", position="Lærer"), by=None
    ).person_id
    web.page_login("kari")
    found = web.client.get(plan.url("/participants/new"), params={"name": "siv skol"})
    assert found.status_code == 200
    assert "Siv Skolesen" in found.text
    assert "Bø skole" in found.text
    members = web.client.get(plan.url("/participants/new"), params={"name": "testesen"}).text
    short = web.client.get(plan.url("/participants/new"), params={"name": "s"}).text
    assert field_error(short, "name") == "For kort: minst 2 tegn."  # not "characters not allowed"
    assert "Anne Testesen" in members
    assert "er allerede i plangruppen" in members  # and cannot be chosen again
    assert "disabled" in members
    fields = form_on(
        web, plan.url("/participants/new?name=siv+skol"), plan.url("/participants/new")
    )
    assert "person_id" not in fields  # nobody is chosen for the coordinator

    unchosen = web.submit(plan.url("/participants/new"), fields)
    assert unchosen.status_code == 422
    assert "Velg en person" in unchosen.text

    added = web.submit(
        plan.url("/participants/new"),
        fields
        | {"person_id": str(siv), "responsibility": "Kontaktlærer", "rights.minutes": "none"},
    )
    assert added.status_code == 303, added.text
    details = web.client.get(added.headers["location"])
    assert "Deltakeren er lagt til" in details.text
    member = next(m for m in web.plans.get_plan(plan.id).participants if m.person_id == siv)
    assert (member.role, member.responsibility) == (Role.PROVIDER, "Kontaktlærer")
    assert member.rights.minutes is Access.NONE


def test_the_coordinator_registers_a_new_person_and_a_mistake_is_shown_by_its_field(
    web: Web, plan: Plan
) -> None:
    web.page_login("kari")
    new = plan.url("/participants/new")
    fields = form_on(web, plan.url("/participants/new?how=new"), new)
    fields |= {"first_name": "Mona", "email": "mona@example.no", "role": "relative"}

    missing = web.submit(new, fields)
    assert missing.status_code == 422
    assert 'id="f-last_name-error"' in missing.text
    assert 'value="Mona"' in missing.text
    assert 'value="mona@example.no"' in missing.text

    added = web.submit(new, fields | {"last_name": "Mormor", "birth_date": "1950-04-03"})
    assert added.status_code == 303, added.text
    group = web.client.get(plan.url("/participants")).text
    assert "Mona Mormor" in group
    assert "Pårørende" in group


def test_only_the_coordinator_may_add(web: Web, plan: Plan) -> None:
    web.page_login("anne")
    refused = web.submit(
        plan.url("/participants/new"),
        {"how": "new", "first_name": "X", "last_name": "Y", "role": "relative"} | csrf(web, plan),
    )
    assert refused.status_code == 403
    assert all(p.person_id != UUID(int=0) for p in web.plans.get_plan(plan.id).participants)
    assert not web.plans.find_persons("X Y")


# A new person whom the directory already holds: Lise Hansen, born 05.05.1985.
LISE = {"first_name": "Lise", "last_name": "Hansen", "birth_date": "1985-05-05"}


def lise_in_directory(web: Web, **more: Any) -> UUID:
    details = PersonDetails("Lise", "Hansen", birth_date=date(1985, 5, 5), **more)
    return web.plans.register_person(details, by=None).person_id


def new_lise(web: Web, plan: Plan) -> dict[str, str]:
    """The "register a new person" form as the coordinator fills it in for Lise, with a
    role, responsibility and rights of her own (printing unticked)."""
    fields = form_on(web, plan.url("/participants/new?how=new"), plan.url("/participants/new"))
    fields |= LISE | {"email": "lise.ny@example.no", "role": "relative"}
    fields |= {"responsibility": "Tante, henter på skolen", "rights.minutes": "none"}
    del fields["rights.print"]
    return fields


def sent_again(html: str, action: str) -> dict[str, str]:
    """What the form posting to `action` on a page answered (`html`) sends untouched."""
    parser = FormFields(action)
    parser.feed(html)
    return parser.fields


def test_a_likely_duplicate_comes_back_with_everything_typed_and_nothing_saved(
    web: Web, plan: Plan
) -> None:
    first = lise_in_directory(web, workplace="Bø helsestasjon", position="Helsesykepleier")
    web.page_login("kari")
    typed = new_lise(web, plan)
    members = len(web.plans.get_plan(plan.id).participants)

    warned = web.submit(plan.url("/participants/new"), typed)
    assert warned.status_code == 200, warned.text
    text = html_text(warned.text)
    assert "Er personen allerede registrert?" in text
    assert "samme navn og fødselsdato (05.05.1985)" in text
    assert "Lise Hansen (født 05.05.1985, Helsesykepleier, Bø helsestasjon)" in text
    assert f'value="{first}"' in warned.text
    again = sent_again(warned.text, plan.url("/participants/new"))
    assert {k: v for k, v in again.items() if k != "csrf_token"} == {
        k: v for k, v in typed.items() if k != "csrf_token"
    }  # role, responsibility, rights and the person as typed; no choice made for them
    assert len(web.plans.find_persons("lise hansen")) == 1
    assert len(web.plans.get_plan(plan.id).participants) == members

    unchosen = web.submit(plan.url("/participants/new"), again)  # still no choice: asked again
    assert unchosen.status_code == 200
    assert len(web.plans.find_persons("lise hansen")) == 1


def test_choosing_the_match_adds_the_directory_person_with_what_was_typed(
    web: Web, plan: Plan
) -> None:
    first = lise_in_directory(web, workplace="Bø helsestasjon")
    web.page_login("kari")
    warned = web.submit(plan.url("/participants/new"), new_lise(web, plan))
    again = sent_again(warned.text, plan.url("/participants/new"))

    added = web.submit(plan.url("/participants/new"), again | {"match": str(first)})
    assert added.status_code == 303, added.text
    assert len(web.plans.find_persons("lise hansen")) == 1  # no second person
    member = next(m for m in web.plans.get_plan(plan.id).participants if m.person_id == first)
    assert (member.role, member.responsibility) == (Role.RELATIVE, "Tante, henter på skolen")
    assert member.rights.minutes is Access.NONE
    assert member.rights.print is False
    assert web.plans.get_person(first).details.email == ""  # the directory row is untouched


def test_confirming_a_new_person_registers_the_second_lise(web: Web, plan: Plan) -> None:
    first = lise_in_directory(web, workplace="Bø helsestasjon")
    web.page_login("kari")
    warned = web.submit(plan.url("/participants/new"), new_lise(web, plan))
    again = sent_again(warned.text, plan.url("/participants/new"))

    added = web.submit(plan.url("/participants/new"), again | {"match": "new"})
    assert added.status_code == 303, added.text
    lises = web.plans.find_persons("lise hansen")
    assert len(lises) == 2
    [second] = [p for p in lises if p.person_id != first]
    assert second.details.email == "lise.ny@example.no"
    member = next(
        m for m in web.plans.get_plan(plan.id).participants if m.person_id == second.person_id
    )
    assert (member.role, member.rights.minutes) == (Role.RELATIVE, Access.NONE)


def test_the_warning_shows_no_detail_of_a_match_the_directory_hides(web: Web, plan: Plan) -> None:
    hidden = lise_in_directory(web, workplace="Skjermet sted", restrict_search=True)
    web.page_login("kari")
    added = web.submit(plan.url("/participants/new"), new_lise(web, plan))
    assert added.status_code == 303, added.text  # only a match others may not find: no warning

    shown = lise_in_directory(
        web, mobile="92345678", hide_mobile=True, street_address="Hemmelig vei 1"
    )
    warned = web.submit(plan.url("/participants/new"), new_lise(web, plan))
    assert warned.status_code == 200, warned.text
    assert f'value="{shown}"' in warned.text
    assert "er allerede i plangruppen" in html_text(warned.text)  # the Lise added above
    for secret in (str(hidden), "Skjermet sted", "92345678", "Hemmelig vei"):
        assert secret not in warned.text


def test_a_coordinator_who_may_not_search_the_directory_is_shown_no_match(
    web: Web, plan: Plan
) -> None:
    lise_in_directory(web, workplace="Bø helsestasjon")
    siv = web.create_user("siv")  # no coordinator account: may not search the directory
    siv_pid = add(web, plan.id, plan.kari, PersonIn(person_id=siv), "provider")
    web.plans.handle(plan.id, HandOverCoordinator(participant_id=siv_pid), by=plan.kari)
    web.page_login("siv")
    added = web.submit(plan.url("/participants/new"), new_lise(web, plan))
    assert added.status_code == 303, added.text
    assert "Bø helsestasjon" not in web.client.get(added.headers["location"]).text
    assert len(web.plans.find_persons("lise hansen")) == 2


def test_the_directory_search_tells_two_of_the_same_name_apart(web: Web, plan: Plan) -> None:
    lise_in_directory(web, workplace="Bø helsestasjon")
    lise_in_directory(web, email="lise.hansen@example.no", mobile="92345678", hide_mobile=True)
    web.page_login("kari")
    found = web.client.get(plan.url("/participants/new"), params={"name": "lise hansen"})
    text = html_text(found.text)
    assert "Lise Hansen (Bø helsestasjon)" in text
    assert "Lise Hansen (lise.hansen@example.no)" in text
    assert "1985" not in text  # the directory never shows a birth date
    assert "92345678" not in text


# ------------------------------------------------------------------ a login


def test_the_coordinator_gives_a_participant_a_login_they_then_use(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    details = plan.url(f"/participants/{plan.per}")
    account = plan.url(f"/participants/{plan.per}/account")
    fields = form_on(web, details, account)
    assert fields["otp_channel"] == "sms"

    given = web.submit(account, fields | {"username": "per.helse"})
    assert given.status_code == 303, given.text
    after = web.client.get(given.headers["location"]).text
    assert "Påloggingen er laget" in after
    assert f'action="{account}"' not in after  # no form for a second account

    link = web.messages()[-1]
    assert (link["channel"], link["to"]) == ("email", "per@example.no")
    token = re.search(r"/reset/([A-Za-z0-9_-]+)", link["body"])
    assert token is not None
    remember(token.group(1))
    web.client.cookies.clear()
    web.choose_password(token.group(1), NEW_PASSWORD)  # and the code to the SMS number
    web.page_login("per.helse", NEW_PASSWORD)
    assert "Olas plan" in web.client.get(plan.url("/participants")).text


def test_the_coordinator_sends_a_new_link_until_the_login_is_used(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    details = plan.url(f"/participants/{plan.per}")
    account = plan.url(f"/participants/{plan.per}/account")
    resend = account + "/activation"
    given = web.submit(account, form_on(web, details, account) | {"username": "per.helse"})
    assert given.status_code == 303, given.text
    tokens = []
    for _ in range(2):
        again = web.submit(resend, form_on(web, details, resend))
        assert again.status_code == 303, again.text
        assert "En ny lenke" in web.client.get(again.headers["location"]).text
        found = re.search(r"/reset/([A-Za-z0-9_-]+)", web.messages()[-1]["body"])
        assert found is not None
        remember(found.group(1))
        tokens.append(found.group(1))
    assert tokens[0] != tokens[1]

    web.client.cookies.clear()
    web.choose_password(tokens[1], NEW_PASSWORD)  # and the code to the SMS number
    web.page_login("kari")
    shown = web.client.get(details).text
    assert 'action="' + resend not in shown
    assert "Deltakeren har pålogging." in shown


def test_a_login_is_refused_to_others_and_to_someone_who_has_one(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    taken = web.submit(
        plan.url(f"/participants/{plan.anne}/account"), {"username": "anne2"} | csrf(web, plan)
    )
    assert taken.status_code == 422
    assert not web.accounts.accounts.by_username("anne2")
    bad = web.submit(
        plan.url(f"/participants/{plan.per}/account"), {"username": "kari"} | csrf(web, plan)
    )
    assert bad.status_code == 422
    assert 'id="f-username-error"' in bad.text

    web.page_login("anne")
    assert 'action="' + plan.url(f"/participants/{plan.per}/account") not in (
        web.client.get(plan.url(f"/participants/{plan.per}")).text
    )
    refused = web.submit(
        plan.url(f"/participants/{plan.per}/account"), {"username": "per"} | csrf(web, plan)
    )
    assert refused.status_code == 403
    assert not web.accounts.accounts.by_username("per")


# ------------------------------------------------------------- managing


def test_the_manage_page_offers_the_baton_and_the_coordinator_keeps_it(
    web: Web, plan: Plan
) -> None:
    """Decision 0052: the baton passes when the new holder accepts it (test_pages_baton.py)."""
    web.page_login("kari")
    holder = web.plans.get_plan(plan.id).coordinator_participant_id
    fields = form_on(web, plan.url("/manage"), plan.url("/manage/coordinator/offer"))
    assert fields["participant_id"] == str(plan.per)
    offered = web.submit(plan.url("/manage/coordinator/offer"), fields)
    assert offered.status_code == 303, offered.text
    state = web.plans.get_plan(plan.id)
    assert (state.coordinator_participant_id, state.baton_offered_to) == (holder, plan.per)
    assert web.client.get(plan.url("/manage")).status_code == 200  # kari still manages


def test_close_with_a_reason_and_open_again(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    fields = form_on(web, plan.url("/manage"), plan.url("/manage/close"))
    fields |= {"reason": "Samarbeidet er avsluttet", "confirm_close": "yes"}
    closed = web.submit(plan.url("/manage/close"), fields)
    assert closed.status_code == 303, closed.text
    state = web.plans.get_plan(plan.id)
    assert (state.status.value, state.closed_reason) == ("closed", "Samarbeidet er avsluttet")
    manage = web.client.get(closed.headers["location"]).text
    assert "Planen er avsluttet" in manage
    assert "Samarbeidet er avsluttet" in manage
    assert plan.url("/manage/close") not in manage  # a closed plan is not closed again

    reopened = web.submit(
        plan.url("/manage/reopen"), form_on(web, plan.url("/manage"), plan.url("/manage/reopen"))
    )
    assert reopened.status_code == 303, reopened.text
    assert web.plans.get_plan(plan.id).status.value == "open"


def test_reopening_asks_why_without_requiring_it_and_the_history_tells_it(
    web: Web, plan: Plan
) -> None:
    web.page_login("kari")
    closing = form_on(web, plan.url("/manage"), plan.url("/manage/close"))
    closed = web.submit(plan.url("/manage/close"), closing | {"confirm_close": "yes"})
    assert closed.status_code == 303, closed.text

    manage = web.client.get(plan.url("/manage")).text
    form = manage.split(f'action="{plan.url("/manage/reopen")}"')[1].split("</form>")[0]
    assert 'data-draft="reopen"' in form  # what is typed is kept through a login
    assert '<label class="ds-label" for="f-reason">Hvorfor planen åpnes igjen</label>' in form
    assert "required" not in form  # as for closing, a reason is asked for, not required
    fields = form_on(web, plan.url("/manage"), plan.url("/manage/reopen"))
    assert fields["reason"] == ""
    reopened = web.submit(
        plan.url("/manage/reopen"), fields | {"reason": "Ny henvisning <fra skolen>"}
    )
    assert reopened.status_code == 303, reopened.text
    assert "Planen er åpen igjen." in web.client.get(reopened.headers["location"]).text
    assert web.plans.get_plan(plan.id).status.value == "open"

    history = web.client.get(plan.url("/history"))
    assert history.status_code == 200, history.text
    timeline = history.text.split('class="timeline"')[1]
    assert "gjenåpnet planen: Ny henvisning &lt;fra skolen&gt;" in timeline


def test_consent_is_reset_and_renewed(web: Web, plan: Plan) -> None:
    web.page_login("kari")
    reset = web.submit(
        plan.url("/manage/consent/reset"),
        form_on(web, plan.url("/manage"), plan.url("/manage/consent/reset"))
        | {"confirm_reset": "yes"},
    )
    assert reset.status_code == 303, reset.text
    assert web.plans.get_plan(plan.id).consent.status.value == "reset"

    fields = form_on(web, plan.url("/manage"), plan.url("/manage/consent"))
    assert fields["given_by"] == "Mor og far"
    bad = web.submit(plan.url("/manage/consent"), fields | {"expires_on": "2020-01-01"})
    assert bad.status_code == 422
    assert 'id="f-expires_on-error"' in bad.text
    renewed = web.submit(
        plan.url("/manage/consent"), fields | {"scope": "Alle ser alt, ikke notater"}
    )
    assert renewed.status_code == 303, renewed.text
    consent = web.plans.get_plan(plan.id).consent
    assert (consent.status.value, consent.scope) == ("active", "Alle ser alt, ikke notater")


def test_a_parent_withdraws_consent_from_the_participants_page(web: Web, plan: Plan) -> None:
    web.page_login("anne")
    group = web.client.get(plan.url("/participants")).text
    assert plan.url("/consent/withdrawal") in group
    confirm = plan.url("/consent/withdrawal")
    fields = form_on(web, confirm, confirm)

    unconfirmed = web.submit(confirm, fields)
    assert unconfirmed.status_code == 422
    assert web.plans.get_plan(plan.id).consent.status.value == "active"

    withdrawn = web.submit(confirm, fields | {"confirm_withdraw": "yes"})
    assert withdrawn.status_code == 303, withdrawn.text
    assert web.plans.get_plan(plan.id).consent.status.value == "withdrawn"
    assert "Samtykket er trukket tilbake" in web.client.get(withdrawn.headers["location"]).text


def test_a_provider_may_not_withdraw_consent(web: Web, plan: Plan) -> None:
    pia = web.create_user("pia")
    add(web, plan.id, plan.kari, PersonIn(person_id=pia), "provider")
    web.page_login("pia")
    assert plan.url("/consent/withdrawal") not in web.client.get(plan.url("/participants")).text
    assert web.client.get(plan.url("/consent/withdrawal")).status_code == 403
    refused = web.submit(
        plan.url("/consent/withdrawal"), {"confirm_withdraw": "yes"} | csrf(web, plan)
    )
    assert refused.status_code == 403
    assert web.plans.get_plan(plan.id).consent.status.value == "active"


def test_a_provider_whose_consent_ran_out_is_refused(web: Web, plan: Plan) -> None:
    pia = web.create_user("pia")
    add(web, plan.id, plan.kari, PersonIn(person_id=pia), "provider")
    web.page_login("pia")
    assert web.client.get(plan.url("/participants")).status_code == 200
    web.clock.advance(timedelta(days=181))  # the consent ran out yesterday
    web.page_login("pia")
    for path in ("/participants", f"/participants/{plan.per}"):
        refused = web.client.get(plan.url(path))
        assert refused.status_code == 403, path
        assert "Helsesøster" not in refused.text


def active(web: Web, plan: Plan) -> set[UUID]:
    return {p.participant_id for p in web.plans.get_plan(plan.id).participants if p.active}


def test_the_coordinator_removes_a_participant_who_then_loses_the_plan(
    web: Web, plan: Plan
) -> None:
    web.page_login("kari")
    removal = plan.url(f"/participants/{plan.anne}/removal")
    assert removal in web.client.get(plan.url(f"/participants/{plan.anne}")).text
    fields = form_on(web, removal, removal)

    unconfirmed = web.submit(removal, fields)
    assert unconfirmed.status_code == 422
    assert "Kryss av i boksen" in unconfirmed.text
    assert plan.anne in active(web, plan)

    removed = web.submit(removal, fields | {"confirm_remove": "yes"})
    assert removed.status_code == 303, removed.text
    assert "Deltakeren er fjernet" in web.client.get(removed.headers["location"]).text
    assert plan.anne not in active(web, plan)
    web.client.cookies.clear()
    web.page_login("anne")
    assert web.client.get(plan.url()).status_code == 404


def test_the_owner_and_the_coordinator_cannot_be_removed_and_others_may_not_remove(
    web: Web, plan: Plan
) -> None:
    web.page_login("kari")
    owner_removal = plan.url(f"/participants/{plan.owner}/removal")
    owner_page = web.client.get(owner_removal)
    assert owner_page.status_code == 200
    assert "Planeieren kan ikke fjernes" in owner_page.text
    assert f'action="{owner_removal}"' not in owner_page.text
    assert owner_removal not in web.client.get(plan.url(f"/participants/{plan.owner}")).text
    forced = web.submit(
        owner_removal,
        {"confirm_remove": "yes", "expected_version": str(plan.version(web))} | csrf(web, plan),
    )
    assert forced.status_code == 422
    assert plan.owner in active(web, plan)

    web.client.cookies.clear()
    web.page_login("anne")
    assert web.client.get(plan.url(f"/participants/{plan.per}/removal")).status_code == 403
    refused = web.submit(
        plan.url(f"/participants/{plan.per}/removal"), {"confirm_remove": "yes"} | csrf(web, plan)
    )
    assert refused.status_code == 403
    assert plan.per in active(web, plan)


# ------------------------------------------------------------------ notifications


def test_a_parent_chooses_notifications_on_her_page_and_others_do_not_see_them(
    web: Web, plan: Plan
) -> None:
    web.page_login("anne")
    details = plan.url(f"/participants/{plan.anne}")
    page = web.client.get(details).text
    assert 'name="notice.new_message.email"' in page
    saved = web.submit(
        details + "/notifications",
        {"notice.new_message.email": "on", "notice.new_comment.sms": "on"},
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == details + "?saved=notifications_saved"
    shown = web.client.get(saved.headers["location"]).text
    assert re.search(r'name="notice.new_message.email" value="on"\s+checked', shown)
    assert not re.search(r'name="notice.new_message.sms" value="on"\s+checked', shown)
    chosen = web.plans.get_plan(plan.id)
    assert chosen.version == plan.version(web)
    # not on another participant's page: only the coordinator chooses for others
    other = web.client.get(plan.url(f"/participants/{plan.per}")).text
    assert "notice.new_message" not in other
    refused = web.submit(
        plan.url(f"/participants/{plan.per}/notifications"), {"notice.new_message.sms": "on"}
    )
    assert refused.status_code == 403, refused.text

    web.logout()
    web.page_login("kari")
    coordinator_view = web.client.get(plan.url(f"/participants/{plan.anne}")).text
    assert re.search(r'name="notice.new_comment.sms" value="on"\s+checked', coordinator_view)


def test_the_hourly_digest_is_chosen_on_the_same_form(web: Web, plan: Plan) -> None:
    web.page_login("anne")
    details = plan.url(f"/participants/{plan.anne}")
    checked = r'name="notice.email_digest" value="on"[^>]*checked'
    assert 'name="notice.email_digest"' in web.client.get(details).text
    assert not re.search(checked, web.client.get(details).text)
    fields = {"notice.new_comment.email": "on", "notice.email_digest": "on"}
    saved = web.submit(details + "/notifications", fields)
    assert saved.status_code == 303, saved.text
    assert re.search(checked, web.client.get(details).text)
    web.submit(details + "/notifications", {"notice.new_comment.email": "on"})
    assert not re.search(checked, web.client.get(details).text)


def test_the_manage_forms_say_an_end_before_its_start_in_its_own_words(
    web: Web, plan: Plan
) -> None:
    """Said by the refusal's reason (decision 0048): closing on a day before the plan
    started, and a consent renewed to end before it is given, name what is wrong."""
    web.page_login("kari")
    today = local_date(web.plans.clock())
    fields = form_on(web, plan.url("/manage"), plan.url("/manage/close"))
    early = fields | {"ended_on": (today - timedelta(days=1)).isoformat(), "confirm_close": "yes"}
    closed = web.submit(plan.url("/manage/close"), early)
    assert closed.status_code == 422
    assert field_error(closed.text, "ended_on") == "Slutten må være etter starten."
    assert web.plans.get_plan(plan.id).status.value == "open"

    fields = form_on(web, plan.url("/manage"), plan.url("/manage/consent"))
    backwards = {
        "given_on": today.isoformat(),
        "expires_on": (today - timedelta(days=1)).isoformat(),
    }
    renewed = web.submit(plan.url("/manage/consent"), fields | backwards)
    assert renewed.status_code == 422
    with i18n.language("nb"):
        words = i18n.gettext("The consent must expire after the day it was given.")
    assert words != "The consent must expire after the day it was given."  # in bokmål
    assert field_error(renewed.text, "expires_on") == words


def field_error(html: str, name: str) -> str:
    found = re.search(rf'id="f-{name}-error">([^<]*)<', html)
    assert found is not None, f"no message for {name}"
    return found.group(1).strip()
