"""Notification choices stored before the hourly digest existed still decode, as
choosing no digest (decision 0022): in events and in snapshots."""

import msgspec

from stafett.aggregates.values import NoticeChannel, NotificationChoices
from stafett.applications.transcodings import DataclassAsDict
from stafett.bootstrap import build_plans
from stafett.settings import Settings
from tests.conftest import ManualClock


def test_an_event_stored_without_the_digest_field_reads_no_digest() -> None:
    with build_plans(Settings(database_url="memory://"), clock=ManualClock()) as plans:
        transcoder = plans.mapper.transcoder
        chosen = NotificationChoices(new_message=(NoticeChannel.EMAIL,), email_digest=True)
        stored = transcoder.encode({"choices": chosen}).decode()
        assert '"email_digest":true' in stored
        old = stored.replace(',"email_digest":true', "")
        assert "email_digest" not in old
        decoded = transcoder.decode(old.encode())["choices"]
    assert decoded == NotificationChoices(new_message=(NoticeChannel.EMAIL,))
    assert decoded.email_digest is False


def test_a_snapshot_value_without_the_digest_field_reads_no_digest() -> None:
    old = msgspec.msgpack.encode({"new_comment": ["sms"]})
    decoded = msgspec.msgpack.decode(old, type=NotificationChoices)
    assert decoded == NotificationChoices(new_comment=(NoticeChannel.SMS,))
    assert DataclassAsDict(NotificationChoices).decode({}) == NotificationChoices()
