"""How the plan application records: JSON events with their times, MessagePack snapshots.

`PlanApplication` derives from `PlanRecording`, which changes three things of the
library's `Application`: a plan's events are collected without the library's
protocol checks (`save`), each event's time goes into the time index with it
(`_record`), and the saved in-memory plan is snapshotted every
`snapshotting_intervals[Plan]` events instead of being reloaded from the store
(`_take_snapshots`), in a snapshot store of its own transcoder.
"""

from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

import structlog
from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import EventStore, JSONTranscoder, Mapper, Recording
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from stafett.aggregates.plan import Plan
from stafett.applications.results import CommandResult, Receipt
from stafett.applications.transcodings import (
    PlanSnapshotTranscoder,
    register_plan_transcodings,
    seal_logs,
)
from stafett.persistence.idempotency import ALSO_WRITE, SameTransaction
from stafett.persistence.log_chunks import LogChunks, MemoryLogChunks, SqlLogChunks
from stafett.persistence.recorders import EVENT_TIMES_KWARG

log = structlog.get_logger(__name__)


class PlanRecording(Application[UUID]):
    """The recording half of `PlanApplication` (plans.py)."""

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_plan_transcodings(transcoder)

    def construct_snapshot_store(self) -> EventStore[UUID]:
        """Snapshots get a MessagePack transcoder of their own; events stay JSON. The
        logs' chunks they name are kept once, in the snapshots' database (in memory on
        the library's in-memory store)."""
        recorder = self.factory.aggregate_recorder(purpose="snapshots")
        datastore = getattr(recorder, "datastore", None)
        chunks: LogChunks
        if isinstance(datastore, SQLiteDatastore | PostgresDatastore):
            chunks = SqlLogChunks.ready(datastore)
        else:
            chunks = MemoryLogChunks()
        mapper: Mapper[UUID] = self.factory.mapper(
            transcoder=PlanSnapshotTranscoder(self.mapper.transcoder, chunks)
        )
        return self.factory.event_store(mapper=mapper, recorder=recorder)

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """The library's `save`, collecting a plan's events without its protocol checks.

        `ProcessingEvent.collect_events` tells aggregates from events with
        `isinstance` against runtime-checkable protocols, about 75 µs per save; a
        `Plan` is collected directly. Everything else takes the library's way.
        """
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        others = []
        for obj in objs:
            if isinstance(obj, Plan):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            else:
                others.append(obj)
        processing_event.collect_events(*others, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # deprecated in the library, still called
        return recordings

    def _save_with(
        self,
        plan: Plan,
        receipt: Receipt | None,
        created_id: UUID | None = None,
        also: Sequence[SameTransaction] = (),
    ) -> list[Recording[UUID]]:
        """Save the plan's new events, with the receipt's write and `also` (other rows
        that must be saved with them or not at all) in their transaction."""
        writes = list(also)
        if receipt is not None:
            result = CommandResult(plan.id, plan.version, None, created_id)
            writes.append(receipt.writer(result))
        if not writes:
            return self.save(plan)
        return self.save(plan, **{ALSO_WRITE: writes})

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        processing_event.saved_kwargs[EVENT_TIMES_KWARG] = [
            (e.originator_id, e.originator_version, cast(Plan.Event, e).timestamp)
            for e in processing_event.events
        ]
        return super()._record(processing_event)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshot the saved in-memory plan instead of reloading it from the store."""
        assert self.snapshots is not None
        interval = self.snapshotting_intervals[Plan]
        due = {
            e.originator_id for e in processing_event.events if e.originator_version % interval == 0
        }
        for aggregate in processing_event.aggregates.values():
            if isinstance(aggregate, Plan) and aggregate.id in due:
                try:
                    # The logs' new items become a chunk of this plan too, so that
                    # the next snapshot copies their bytes instead of encoding them.
                    seal_logs(aggregate.state)
                    self.snapshots.put([Plan.Snapshot.take(aggregate)])
                except Exception:  # a snapshot is only a shortcut; the events are saved
                    log.exception("snapshot_failed", plan_id=str(aggregate.id))

    def plan_ids(self) -> list[UUID]:
        """Every plan id in creation order, from the recorded creations (for operators and
        the demo, not for users)."""
        ids: list[UUID] = []
        start = 1
        created = [Plan.Created.TOPIC]
        while True:
            items = self.recorder.select_notifications(start, 100, topics=created)
            ids.extend(cast(UUID, n.originator_id) for n in items)
            if len(items) < 100:
                return ids
            start = items[-1].id + 1
