"""PATCH /api/v1/me and GET /api/v1/me/details: seeing and correcting one's own details.

The directory's change log names the person as the one who changed them; a new
mobile number or e-mail address (where codes go) needs the current password and
is announced at the old and new addresses (SEC-OTP-06, SEC-OTP-09); a hidden
number disappears from what the rest of the plan group sees.
"""

from uuid import UUID

from tests.e2e.conftest import PASSWORD, Web
from tests.e2e.test_plan_api import Group, group, log_in

__all__ = ["group"]  # the fixture, imported for this module's tests

ME = "/api/v1/me"
DETAILS = "/api/v1/me/details"


def actors_of(web: Web, person_id: UUID) -> list[tuple[str, str | None]]:
    """(kind, actor id) of each entry in the directory's change log for the person."""
    directory = web.plans.directory
    with directory.cursor(commit=False) as c:
        c.execute(
            directory.sql(
                f"SELECT kind, actor_id FROM {directory.changes} WHERE person_id=%s "
                "ORDER BY change_id"
            ),
            [directory.value(person_id)],
        )
        rows = c.fetchall()
    return [
        (r["kind"], None if r["actor_id"] is None else str(directory.uuid(r["actor_id"])))
        for r in rows
    ]


def test_i_see_and_correct_my_own_details_and_the_change_log_names_me(web: Web) -> None:
    kari = web.create_user("kari")
    headers = log_in(web, "kari")
    before = web.client.get(DETAILS).json()
    assert (before["first_name"], before["email"]) == ("Kari", "kari@example.no")
    change = {
        "workplace": "Bø skole",
        "position": "Lærer",
        "birth_date": "1980-05-17",
        "street_address": "Storgata 1",
        "postcode": "3800",
        "place": "Bø",
        "phone": "35 00 00 00",
        "fax": "35000001",
        "hide_phone": True,
    }
    answer = web.client.patch(ME, json=change, headers=headers)
    assert answer.status_code == 200, answer.text
    saved = web.client.get(DETAILS).json()
    assert saved == answer.json()
    assert saved["workplace"] == "Bø skole"
    assert saved["birth_date"] == "1980-05-17"
    assert (saved["phone"], saved["fax"]) == ("+4735000000", "+4735000001")
    assert saved["hide_phone"] is True
    assert saved["email"] == "kari@example.no"  # not named, so kept
    assert actors_of(web, kari)[-1] == ("changed", str(kari))


def test_an_empty_string_clears_a_field_and_null_clears_the_birth_date(web: Web) -> None:
    web.create_user("kari")
    headers = log_in(web, "kari")
    web.client.patch(ME, json={"workplace": "Skolen", "birth_date": "1980-05-17"}, headers=headers)
    answer = web.client.patch(ME, json={"workplace": "", "birth_date": None}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["workplace"], answer.json()["birth_date"]) == ("", None)


def test_a_change_naming_nothing_an_unknown_field_or_a_bad_value_is_refused(web: Web) -> None:
    web.create_user("kari")
    headers = log_in(web, "kari")
    for body in (
        {},
        {"username": "ola"},
        {"phone": "12"},
        {"first_name": ""},
        {"birth_date": "2990-01-01"},
    ):
        answer = web.client.patch(ME, json=body, headers=headers)
        assert answer.status_code == 422, (body, answer.text)
    assert web.client.get(DETAILS).json()["first_name"] == "Kari"


def test_without_a_session_or_the_csrf_token_nothing_changes(web: Web) -> None:
    web.create_user("kari")
    assert web.client.patch(ME, json={"workplace": "X"}).status_code == 401
    web.login("kari")
    assert web.client.patch(ME, json={"workplace": "X"}).status_code == 403
    assert web.client.get(DETAILS).json()["workplace"] == ""


def test_a_new_mobile_number_needs_the_current_password_and_is_announced(web: Web) -> None:
    kari = web.create_user("kari")
    headers = log_in(web, "kari")
    new = {"mobile": "+4799999999"}
    missing = web.client.patch(ME, json=new, headers=headers)
    assert missing.status_code == 409  # needed because it differs from what is stored (0023)
    assert "current_password" in missing.text
    wrong = web.client.patch(
        ME, json=new | {"current_password": "ikke mitt passord i det hele tatt"}, headers=headers
    )
    assert wrong.status_code == 403
    assert web.client.get(DETAILS).json()["mobile"] == "+4791234567"
    before = len(web.messages())
    right = web.client.patch(ME, json=new | {"current_password": PASSWORD}, headers=headers)
    assert right.status_code == 200, right.text
    assert right.json()["mobile"] == "+4799999999"
    told = {(m["channel"], m["to"]) for m in web.messages()[before:]}
    assert told == {("sms", "+4791234567"), ("sms", "+4799999999"), ("email", "kari@example.no")}
    assert ("contact_changed", "mobile") in web.accounts.accounts.facts_of(kari)


def test_the_address_my_codes_go_to_cannot_be_removed(web: Web) -> None:
    web.create_user("kari")  # codes by e-mail
    headers = log_in(web, "kari")
    answer = web.client.patch(ME, json={"email": "", "current_password": PASSWORD}, headers=headers)
    assert answer.status_code == 409  # refused for what is stored, not for the value (0023)
    assert web.client.get(DETAILS).json()["email"] == "kari@example.no"


def test_a_hidden_mobile_number_is_gone_from_what_the_plan_group_sees(
    web: Web, group: Group
) -> None:
    headers = log_in(web, "per")
    hidden = web.client.patch(ME, json={"hide_mobile": True}, headers=headers)
    assert hidden.status_code == 200, hidden.text
    mine = web.client.get(group.url()).json()
    me = next(p for p in mine["participants"] if p["participant_id"] == group.provider)
    assert me["contact"]["mobile"] == "+4791234567"  # I still see my own number
    log_in(web, "anne")
    theirs = web.client.get(group.url()).json()
    per = next(p for p in theirs["participants"] if p["participant_id"] == group.provider)
    assert per["contact"]["mobile"] == ""
    assert per["contact"]["email"] == "per@example.no"
    kari = next(p for p in theirs["participants"] if p["participant_id"] == group.coordinator)
    assert kari["contact"]["mobile"] == "+4791234567"  # kari did not hide hers
