"""A participant's details and login over the API (issue 10, item 10), on both stores.

The coordinator, and a participant given the `edit_person` right, change a
participant's contact details and number visibility (`PATCH …/participants/{pid}`);
the permitted view then hides a hidden number from everyone else. The coordinator
gives a participant without an account a login (`POST …/participants/{pid}/account`):
a link to choose a password arrives, and with it the participant logs in.
"""

import re
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from stafett.aggregates.person import PersonDetails
from tests.e2e.conftest import PASSWORD, Web
from tests.e2e.test_plan_api import Group, group, log_in, rights
from tests.leakcheck import remember

__all__ = ["group"]  # the fixture, imported for this module's tests

NEW_PASSWORD = "sju blå elefanter danser tango"
remember(NEW_PASSWORD)


def member(web: Web, group: Group, participant_id: str) -> dict[str, Any]:
    view = web.client.get(group.url())
    assert view.status_code == 200, view.text
    found: dict[str, Any] = next(
        m for m in view.json()["participants"] if m["participant_id"] == participant_id
    )
    return found


def add_new_person(web: Web, group: Group, **person: Any) -> str:
    added = web.client.post(
        group.url("/participants"),
        json={
            "person": {"first_name": "Siri", "last_name": "Helsesøster"} | person,
            "role": "provider",
            "rights": rights(),
        },
        headers=group.headers,
    )
    assert added.status_code == 201, added.text
    participant_id: str = added.json()["participant_id"]
    return participant_id


def activation_token(web: Web) -> str:
    match = re.search(r"/reset/([A-Za-z0-9_-]+)", web.messages()[-1]["body"])
    assert match is not None, web.messages()[-1]
    remember(match.group(1))
    return match.group(1)


# ------------------------------------------------------------ contact details


def test_the_coordinator_changes_contact_details_and_others_no_longer_see_a_hidden_mobile(
    web: Web, group: Group
) -> None:
    changed = web.client.patch(
        group.url(f"/participants/{group.provider}"),
        json={"mobile": "987 65 432", "hide_mobile": True, "fax": "+4722001100"},
        headers=group.headers,
    )
    assert changed.status_code == 200, changed.text
    person = web.plans.get_person(
        web.plans.member_person(UUID(group.plan_id), UUID(group.provider))
    )
    assert (person.details.mobile, person.details.hide_mobile) == ("+4798765432", True)
    assert person.details.fax == "+4722001100"

    log_in(web, "anne")
    seen = member(web, group, group.provider)["contact"]
    assert seen["mobile"] == ""  # hidden: no number, as if there were none
    assert seen["fax"] == "+4722001100"
    assert seen["email"] == "per@example.no"
    log_in(web, "per")  # one's own entry shows one's own number
    assert member(web, group, group.provider)["contact"]["mobile"] == "+4798765432"


def test_the_details_are_checked_and_a_refused_value_changes_nothing(
    web: Web, group: Group
) -> None:
    before = web.plans.get_plan(UUID(group.plan_id)).version
    refused = web.client.patch(
        group.url(f"/participants/{group.provider}"),
        json={"mobile": "12", "responsibility": "Helsesøster"},
        headers=group.headers,
    )
    assert refused.status_code == 422, refused.text
    assert web.plans.get_plan(UUID(group.plan_id)).version == before
    pid = web.plans.member_person(UUID(group.plan_id), UUID(group.provider))
    assert web.plans.get_person(pid).details.mobile == "+4791234567"


def test_only_the_edit_person_right_lets_a_participant_change_details(
    web: Web, group: Group
) -> None:
    headers = log_in(web, "per")
    url = group.url(f"/participants/{group.relative}")
    refused = web.client.patch(url, json={"phone": "22334455"}, headers=headers)
    assert refused.status_code == 403, refused.text

    coordinator = log_in(web, "kari")
    given = web.client.patch(
        group.url(f"/participants/{group.provider}"),
        json={"rights": rights(edit_person=True)},
        headers=coordinator,
    )
    assert given.status_code == 200, given.text
    headers = log_in(web, "per")
    allowed = web.client.patch(url, json={"phone": "22334455"}, headers=headers)
    assert allowed.status_code == 200, allowed.text
    # The right is to the person's details, not to the plan's: responsibility stays
    # the coordinator's, and the whole change is refused.
    mixed = web.client.patch(
        url, json={"phone": "22334466", "responsibility": "Far"}, headers=headers
    )
    assert mixed.status_code == 403, mixed.text
    pid = web.plans.member_person(UUID(group.plan_id), UUID(group.relative))
    assert web.plans.get_person(pid).details.phone == "+4722334455"


def test_someone_whose_codes_go_elsewhere_now_is_told_at_the_old_addresses(
    web: Web, group: Group
) -> None:
    before = len(web.messages())
    changed = web.client.patch(
        group.url(f"/participants/{group.provider}"),
        json={"email": "per.ny@example.no"},
        headers=group.headers,
    )
    assert changed.status_code == 200, changed.text
    notices = web.messages()[before:]
    assert {(m["channel"], m["to"]) for m in notices} == {
        ("email", "per@example.no"),
        ("sms", "+4791234567"),
    }


# ------------------------------------------------------------------ logins


def test_the_coordinator_gives_a_participant_a_login_and_they_choose_a_password(
    web: Web, group: Group
) -> None:
    siri = add_new_person(web, group, email="siri@example.no", mobile="+4790000001")
    given = web.client.post(
        group.url(f"/participants/{siri}/account"),
        json={"username": "siri", "otp_channel": "sms"},
        headers=group.headers,
    )
    assert given.status_code == 201, given.text
    assert given.json() == {"link_sent_by": "email"}  # codes by SMS, so the link by e-mail
    link = web.messages()[-1]
    assert link["to"] == "siri@example.no"
    assert "passordet ditt" in link["subject"].lower()
    token = activation_token(web)

    web.client.cookies.clear()
    # The link came by e-mail and the codes go by SMS: the number is confirmed by a code
    # sent to it before the first login (decision 0025).
    web.choose_password(token, NEW_PASSWORD)
    web.page_login("siri", NEW_PASSWORD)
    code = next(m for m in reversed(web.messages()) if "Engangskoden" in m["body"])
    assert (code["channel"], code["to"]) == ("sms", "+4790000001")
    assert web.client.get("/api/v1/me").json()["username"] == "siri"


def test_a_new_account_has_no_password_anyone_knows(web: Web, group: Group) -> None:
    siri = add_new_person(web, group, email="siri@example.no")
    given = web.client.post(
        group.url(f"/participants/{siri}/account"),
        json={"username": "siri", "otp_channel": "email"},
        headers=group.headers,
    )
    assert given.status_code == 201, given.text
    web.client.cookies.clear()
    for guess in ("", PASSWORD, "siri"):
        tried = web.client.post("/api/v1/session", json={"username": "siri", "password": guess})
        assert tried.status_code in (401, 422), tried.text


def test_a_second_account_and_a_non_coordinator_are_refused(web: Web, group: Group) -> None:
    siri = add_new_person(web, group, mobile="+4790000001")
    spare = add_new_person(web, group, first_name="Reserve", mobile="+4790000002")
    url = group.url(f"/participants/{siri}/account")
    first = web.client.post(url, json={"username": "siri"}, headers=group.headers)
    assert first.status_code == 201, first.text
    again = web.client.post(url, json={"username": "siri2"}, headers=group.headers)
    assert again.status_code == 409, again.text
    per = web.client.post(
        group.url(f"/participants/{group.provider}/account"),
        json={"username": "per2"},
        headers=group.headers,
    )
    assert per.status_code == 409, per.text  # per logs in already

    headers = log_in(web, "anne")
    sent = len(web.messages())
    refused = web.client.post(
        group.url(f"/participants/{spare}/account"), json={"username": "spare"}, headers=headers
    )
    assert refused.status_code == 403, refused.text
    assert len(web.messages()) == sent


def test_someone_outside_the_plan_learns_nothing(web: Web, group: Group) -> None:
    web.create_user("ute")
    headers = log_in(web, "ute")
    refused = web.client.post(
        group.url(f"/participants/{group.provider}/account"),
        json={"username": "x"},
        headers=headers,
    )
    assert refused.status_code == 404, refused.text


@pytest.mark.parametrize(
    ("body", "status"),
    [({"username": "to ord"}, 422), ({"username": ""}, 422), ({"username": "kari"}, 409)],
)
def test_a_username_must_be_one_free_word(
    web: Web, group: Group, body: dict[str, str], status: int
) -> None:
    """A taken one is refused for what is stored (409), the others for what they are."""
    siri = add_new_person(web, group, mobile="+4790000001")
    refused = web.client.post(
        group.url(f"/participants/{siri}/account"), json=body, headers=group.headers
    )
    assert refused.status_code == status, refused.text
    assert not web.accounts.has_account(web.plans.member_person(UUID(group.plan_id), UUID(siri)))


def test_documented_bodies_still_work(web: Web, group: Group) -> None:
    changed = web.client.patch(
        group.url(f"/participants/{group.relative}"),
        json={"responsibility": "Mor og verge", "rights": rights(goals="read")},
        headers=group.headers,
    )
    assert changed.status_code == 200, changed.text
    unchanged = PersonDetails("Anne", "Testesen", email="anne@example.no", mobile="+4791234567")
    pid = web.plans.member_person(UUID(group.plan_id), UUID(group.relative))
    assert web.plans.get_person(pid).details == unchanged


def test_a_new_link_while_the_login_is_unused_voids_the_first_and_not_once_it_is_used(
    web: Web, group: Group
) -> None:
    siri = add_new_person(web, group, email="siri@example.no", mobile="+4790000001")
    url = group.url(f"/participants/{siri}/account")
    given = web.client.post(url, json={"username": "siri"}, headers=group.headers)
    assert given.status_code == 201, given.text
    first = activation_token(web)

    again = web.client.post(url + "/activation", headers=group.headers)
    assert again.status_code == 202, again.text
    assert again.json() == {"link_sent_by": "email"}
    assert web.messages()[-1]["to"] == "siri@example.no"
    second = activation_token(web)
    assert second != first

    coordinator = dict(web.client.cookies)
    web.client.cookies.clear()
    void = web.client.post(f"/api/v1/password-reset/{first}", json={"new_password": NEW_PASSWORD})
    assert void.status_code in (403, 404, 410), void.text
    web.choose_password(second, NEW_PASSWORD)  # and confirms the SMS number

    web.client.cookies.update(coordinator)
    sent = len(web.messages())
    in_use = web.client.post(url + "/activation", headers=group.headers)
    assert in_use.status_code == 409, in_use.text
    assert len(web.messages()) == sent


def test_only_the_coordinator_sends_a_new_link_and_only_to_a_login_that_exists(
    web: Web, group: Group
) -> None:
    siri = add_new_person(web, group, mobile="+4790000001")
    url = group.url(f"/participants/{siri}/account/activation")
    none_yet = web.client.post(url, headers=group.headers)
    assert none_yet.status_code == 409, none_yet.text  # the participant is there (0023)
    given = web.client.post(
        group.url(f"/participants/{siri}/account"), json={"username": "siri"}, headers=group.headers
    )
    assert given.status_code == 201, given.text

    headers = log_in(web, "anne")
    sent = len(web.messages())
    refused = web.client.post(url, headers=headers)
    assert refused.status_code == 403, refused.text
    assert len(web.messages()) == sent


def test_an_activation_link_lasts_its_lifetime_and_works_once(web: Web, group: Group) -> None:
    """SEC-INV-01: a link to choose the first password expires in 72 hours and is used up
    by the password it sets; its page says so at once either way."""
    for username, mail in (("siri", "siri@example.no"), ("tor", "tor@example.no")):
        person = add_new_person(web, group, email=mail, first_name=username.title())
        given = web.client.post(
            group.url(f"/participants/{person}/account"),
            json={"username": username, "otp_channel": "email"},
            headers=group.headers,
        )
        assert given.status_code == 201, given.text
    tors_link = activation_token(web)
    sirs_link = (
        next(m for m in web.messages() if m["to"] == "siri@example.no" and "/reset/" in m["body"])[
            "body"
        ]
        .split("/reset/")[1]
        .split()[0]
    )
    remember(sirs_link)
    coordinator = web.client.cookies["__Host-sid"]
    web.client.cookies.clear()

    web.choose_password(sirs_link, NEW_PASSWORD)  # used once ...
    assert web.client.get(f"/reset/{sirs_link}").status_code == 410  # ... and not again
    again = {"new_password": NEW_PASSWORD + " igjen", "new_password_again": NEW_PASSWORD + " igjen"}
    assert web.submit(f"/reset/{sirs_link}", again, token=False).status_code == 410

    web.clock.advance(timedelta(hours=72, seconds=-1))
    assert web.client.get(f"/reset/{tors_link}").status_code == 200  # still live
    web.clock.advance(timedelta(seconds=2))
    assert web.client.get(f"/reset/{tors_link}").status_code == 410
    late = {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    assert web.submit(f"/reset/{tors_link}", late, token=False).status_code == 410
    web.client.cookies.set("__Host-sid", coordinator, domain="stafett.test")
