"""An outbox row's id never changes: a rebuild after an upgrade must find the rows an
older version wrote (decision 0020), so the ids stay `uuid.uuid5` of the same names."""

import uuid
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from stafett.persistence.notice_ids import (
    NOTICE_NAMESPACE,
    digest_id,
    notice_id,
    reminder_notice_id,
)
from stafett.persistence.notice_outbox import NewNotice, NoticeOutbox
from stafett.persistence.recorders import to_micros

channels = st.sampled_from(["sms", "email"])


@given(st.uuids(), st.integers(min_value=1, max_value=2**62), st.uuids(), channels)
def test_an_events_notice_id_is_uuid5_of_plan_version_participant_channel(
    plan_id: uuid.UUID, version: int, participant_id: uuid.UUID, channel: str
) -> None:
    expected = uuid.uuid5(NOTICE_NAMESPACE, f"{plan_id}:{version}:{participant_id}:{channel}")
    assert notice_id(plan_id, version, participant_id, channel) == expected
    notice = NewNotice(
        notification_id=1,
        plan_id=plan_id,
        version=version,
        participant_id=participant_id,
        person_id=uuid.uuid4(),
        kind="new_message",
        channel=channel,
        short_name="Plan",
        owner_person_id=uuid.uuid4(),
        at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert notice.notice_id == expected
    # The row the process writes carries that id, as each engine stores a UUID.
    sqlite_row = NoticeOutbox._row(_Engine(sqlite=True), notice)  # type: ignore[arg-type]
    postgres_row = NoticeOutbox._row(_Engine(sqlite=False), notice)  # type: ignore[arg-type]
    assert sqlite_row[0] == expected.hex
    assert postgres_row[0] == expected


@given(st.uuids(), st.uuids(), channels)
def test_reminder_and_digest_ids_are_uuid5_of_their_names(
    first: uuid.UUID, participant_id: uuid.UUID, channel: str
) -> None:
    assert reminder_notice_id(first, participant_id, channel) == uuid.uuid5(
        NOTICE_NAMESPACE, f"reminder:{first}:{participant_id}:{channel}"
    )
    hour = datetime(2026, 3, 1, 14, tzinfo=UTC)
    assert digest_id(first, participant_id, hour) == uuid.uuid5(
        NOTICE_NAMESPACE, f"digest:{first}:{participant_id}:{to_micros(hour)}"
    )


class _Engine:
    """What `NoticeOutbox._row` asks of the outbox: only which engine it writes to."""

    def __init__(self, *, sqlite: bool) -> None:
        self.is_sqlite = sqlite
