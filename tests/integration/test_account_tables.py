"""The accounts tables on both stores, including databases created by an earlier version."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from stafett.aggregates.person import PersonDetails
from stafett.applications.plans import PlanApplication
from stafett.persistence.accounts import AccountRecord, AccountStore
from stafett.persistence.recorders import to_micros
from stafett.persistence.sessions import SessionStore
from stafett.settings import Settings

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


def test_an_older_database_confirms_only_numbers_proven_by_an_sms_login(
    plans: PlanApplication,
) -> None:
    """Decision 0025: when `confirmed_mobile` arrives, accounts whose codes go by SMS and that
    finished a login (accepted the terms) keep getting codes; the others confirm first."""
    store = AccountStore(plans.directory.datastore)
    store.create_tables()

    def account(name: str, mobile: str, channel: str, terms: int | None) -> UUID:
        details = PersonDetails(first_name=name, last_name="Testesen", mobile=mobile)
        person, _ = plans.directory.register(details, actor_id=None, at=NOW)
        record = AccountRecord(person.person_id, name, "$argon2id$x", channel, terms_version=terms)
        store.insert(record, at=NOW)
        return person.person_id

    used = account("brukt", "+4791111111", "sms", 1)
    never = account("aldri", "+4792222222", "sms", None)
    by_mail = account("epost", "+4793333333", "email", 1)
    no_mobile = account("uten", "", "sms", 1)
    store.create([f"ALTER TABLE {store.accounts} DROP COLUMN confirmed_mobile"])
    store.create_tables()  # a start on the older database
    confirmed = {p: mobile_of(store, p) for p in (used, never, by_mail, no_mobile)}
    assert confirmed == {used: "+4791111111", never: None, by_mail: None, no_mobile: None}
    store.confirm_mobile(never, "+4792222222", at=NOW, how="code")
    store.create_tables()  # a later start changes nothing
    assert mobile_of(store, never) == "+4792222222"


def mobile_of(store: AccountStore, person_id: UUID) -> str | None:
    account = store.by_person(person_id)
    assert account is not None
    return account.confirmed_mobile


def test_a_fourth_login_ends_the_oldest_session_while_another_connection_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite (WAL), a transaction that reads and then writes is refused at once when
    another connection wrote in between, whatever the busy timeout. Ending the sessions
    past the third is one statement that writes first, so a write by another request
    between its steps cannot make a login fail (a 503)."""
    path = tmp_path / "s.sqlite"
    app = PlanApplication(Settings(database_url=f"sqlite:///{path}").event_store_env())
    try:
        store = SessionStore.ready(app.directory.datastore)
        person = uuid4()
        micros = to_micros(NOW)
        tokens = [store.start(person, "done", at=NOW, authenticated_at=micros) for _ in range(4)]
        other = sqlite3.connect(path, timeout=0)
        other.execute("CREATE TABLE elsewhere (n INTEGER)")
        other.commit()
        execute = store.execute

        def then_another_writes(c: Any, statement: str, *params: Any) -> None:
            execute(c, statement, *params)
            try:  # another request's write, between this statement and the next
                other.execute("INSERT INTO elsewhere VALUES (1)")
                other.commit()
            except sqlite3.OperationalError:
                other.rollback()  # it waits for this one's write lock, as it should

        monkeypatch.setattr(store, "execute", then_another_writes)
        evicted = store.keep_newest(
            person,
            stage="done",
            keep=3,
            new_token=tokens[-1],
            seen_after=micros,
            authenticated_after=micros,
        )
        monkeypatch.undo()
        other.close()
        assert evicted == 1
        assert store.count_of(person) == 3
        assert store.get(tokens[-1]) is not None
    finally:
        app.close()


def test_kept_forms_keyed_by_person_and_place_alone_are_rekeyed_and_keep_their_rows(
    plans: PlanApplication,
) -> None:
    """Before, a second form sent to one plan replaced the first (the key was the person
    and the place); a table made so is made again with the form in its key, its rows
    copied, and two forms to one place are then both kept (the newest of each)."""
    store = SessionStore(plans.directory.datastore)
    store.create(
        [
            f"CREATE TABLE {store.kept} (person_id {store.uuid_type} NOT NULL, "
            "place TEXT NOT NULL, form_key TEXT NOT NULL, fields TEXT NOT NULL, "
            "kept_at BIGINT NOT NULL, PRIMARY KEY (person_id, place))"
        ]
    )
    person, place = uuid4(), "plan:x"
    store.keep_form(person, place, "comment-goal-a", '{"text": "before"}', at=NOW)
    store.create_tables()
    store.create_tables()  # a second start finds the key as it should be
    later = NOW.replace(minute=5)
    store.keep_form(person, place, "comment-goal-b", '{"text": "b, first"}', at=later)
    store.keep_form(person, place, "comment-goal-b", '{"text": "b, again"}', at=later)
    assert store.take_forms(person, place, at=later) == [
        ("comment-goal-a", '{"text": "before"}'),
        ("comment-goal-b", '{"text": "b, again"}'),
    ]
    assert store.take_forms(person, place, at=later) == []  # given back once


def test_a_sessions_table_from_before_login_ids_gets_them_and_its_sessions_go_on(
    plans: PlanApplication,
) -> None:
    """A session stored before decision 0044 has no login id and no User-Agent: it goes on,
    its CSRF token bound to its token's digest until the token next changes, and its
    browser unknown."""
    store = SessionStore(plans.directory.datastore)
    store.create(
        [
            f"CREATE TABLE {store.sessions} (token_hash TEXT PRIMARY KEY, "
            f"person_id {store.uuid_type} NOT NULL, stage TEXT NOT NULL, "
            "created_at BIGINT NOT NULL, last_seen BIGINT NOT NULL, "
            "authenticated_at BIGINT, code_hmac TEXT, code_expires BIGINT, "
            "code_attempts INTEGER NOT NULL, code_at BIGINT)"
        ]
    )
    person, micros = uuid4(), to_micros(NOW)
    with store.cursor(commit=True) as c:
        store.execute(
            c,
            f"INSERT INTO {store.sessions} (token_hash, person_id, stage, created_at, "
            "last_seen, authenticated_at, code_attempts) VALUES (%s, %s, %s, %s, %s, %s, 0)",
            "a" * 64,
            person,
            "done",
            micros,
            micros,
            micros,
        )
    store.create_tables()
    store.create_tables()  # a second start finds nothing to add
    [old] = store.of_person(person, stage="done")
    assert (old.login_id, old.agent) == (None, "")
    assert old.login_key == "a" * 64
    new_token = store.start(person, "otp", at=NOW, agent="Firefox")
    started = store.get(new_token)
    assert started is not None
    assert started.agent == "Firefox"
    assert started.login_id is not None
    assert started.login_key == started.login_id != started.token_hash
