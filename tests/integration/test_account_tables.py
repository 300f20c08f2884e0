"""The accounts tables on both stores, including databases created by an earlier version."""

from datetime import UTC, datetime
from uuid import uuid4

from stafett.applications.plans import PlanApplication
from stafett.persistence.accounts import AccountRecord, AccountStore

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def first_release_accounts_table(store: AccountStore) -> str:
    """`accounts` exactly as the first release created it (before issue 8)."""
    flag = store.bool_type
    return (
        f"CREATE TABLE {store.accounts} (person_id {store.uuid_type} PRIMARY KEY, "
        "username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, otp_channel TEXT NOT NULL, "
        "totp_secret TEXT, totp_last_step BIGINT, terms_version BIGINT, "
        f"failures BIGINT NOT NULL, locked_until BIGINT, hard_locked {flag} NOT NULL, "
        f"is_coordinator {flag} NOT NULL, is_org_admin {flag} NOT NULL, "
        f"is_auditor {flag} NOT NULL, created_at BIGINT NOT NULL)"
    )


def test_an_accounts_table_from_the_first_release_gets_the_new_columns_on_start(
    plans: PlanApplication,
) -> None:
    store = AccountStore(plans.directory.datastore)
    store.create([first_release_accounts_table(store)])
    store.create_tables()
    store.create_tables()  # a second start finds nothing to add
    person_id = uuid4()
    store.insert(
        AccountRecord(person_id, "kari", "$argon2id$x", otp_channel="sms", failures=2),
        at=NOW,
    )
    store.set_pending_totp(person_id, "PENDINGSECRET", at=NOW)
    account = store.by_person(person_id)
    assert account is not None
    assert account.totp_pending_secret == "PENDINGSECRET"
    assert account.failures == 2
    assert account.totp_secret is None


def test_only_the_pending_secret_it_was_shown_is_confirmed(plans: PlanApplication) -> None:
    """A confirmation races a newer enrolment: the newer pending secret stays pending."""
    store = AccountStore(plans.directory.datastore)
    store.create_tables()
    person_id = uuid4()
    store.insert(AccountRecord(person_id, "kari", "$argon2id$x", otp_channel="sms"), at=NOW)
    store.set_pending_totp(person_id, "NEWER", at=NOW)
    assert not store.confirm_pending_totp(person_id, "OLDER", step=7, channel="totp", at=NOW)
    assert store.confirm_pending_totp(person_id, "NEWER", step=7, channel="totp", at=NOW)
    account = store.by_person(person_id)
    assert account is not None
    assert (account.totp_secret, account.totp_pending_secret) == ("NEWER", None)
    assert (account.otp_channel, account.totp_last_step) == ("totp", 7)
