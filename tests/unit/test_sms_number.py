"""The one rule that lets an SMS login code out (SEC-OTP-06, decision 0025)."""

from uuid import uuid4

import pytest

from stafett.aggregates.person import PersonDetails
from stafett.applications.codes import MobileUnconfirmedError, mobile_confirmed, sms_number
from stafett.persistence.accounts import AccountRecord

NUMBER = "+4791234567"


def account(confirmed: str | None) -> AccountRecord:
    return AccountRecord(uuid4(), "kari", "$argon2id$x", "sms", confirmed_mobile=confirmed)


def details(mobile: str) -> PersonDetails:
    return PersonDetails(first_name="Kari", last_name="Testesen", mobile=mobile)


def test_a_code_goes_to_the_number_the_person_confirmed() -> None:
    assert sms_number(account(NUMBER), details(NUMBER)) == NUMBER
    assert mobile_confirmed(account(NUMBER), details(NUMBER))


@pytest.mark.parametrize(
    ("confirmed", "in_directory"),
    [
        pytest.param(None, NUMBER, id="never confirmed"),
        pytest.param(NUMBER, "+4790000009", id="changed since"),
        pytest.param("", "", id="no number at all"),
        pytest.param(NUMBER, "", id="number removed"),
    ],
)
def test_no_code_goes_to_a_number_not_confirmed(confirmed: str | None, in_directory: str) -> None:
    assert not mobile_confirmed(account(confirmed), details(in_directory))
    with pytest.raises(MobileUnconfirmedError):
        sms_number(account(confirmed), details(in_directory))
