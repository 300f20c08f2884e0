"""Group commit: many threads' small writes committed together by one writer at a time.

A thread hands its item to `GroupCommit.submit` and blocks until the batch holding
the item is committed, or gets `BatchFailedError` (caused by the batch's error).
Whichever waiting thread finds no commit running becomes the writer and commits
everything queued so far, up to `max_batch` items, in one call of `commit`; the items
that arrive meanwhile wait for the next batch, which one of their own threads then
commits. There is no thread to start or stop: alone, a write is a batch of one and
costs one commit, as before; under load, N concurrent writes cost about one commit.

If `commit` raises, every item of that batch fails, so no caller goes on as if its
write were durable (the access log's fail-closed rule, decision 0021).

A coroutine on an event loop hands its item to `submit_async` instead (decision 0035):
the loop goes on serving other requests while the item waits. The items the loop's
coroutines hand over meanwhile go to the writer together, from one task per loop
that takes them to a worker thread, a batch at a time, as one thread's `submit` would.
"""

import asyncio
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_BATCH = 500


class BatchFailedError(Exception):
    """The batch holding this caller's item was not committed (see `__cause__`)."""


@dataclass(eq=False, slots=True)
class _Slot(Generic[T]):
    item: T
    done: bool = False
    error: BaseException | None = None


@dataclass(eq=False, slots=True)
class _LoopQueue(Generic[T]):
    """One event loop's items waiting for the writer, each with its coroutine's future."""

    waiting: list[tuple[T, "asyncio.Future[None]"]] = field(default_factory=list)
    task: "asyncio.Task[None] | None" = None  # the task taking them to the writer


class GroupCommit(Generic[T]):
    def __init__(
        self, commit: Callable[[Sequence[T]], None], *, max_batch: int = MAX_BATCH
    ) -> None:
        self._commit = commit
        self._max_batch = max_batch
        self._changed = threading.Condition()
        self._queued: list[_Slot[T]] = []
        self._committing = False
        self.batches = 0  # calls of `commit` so far, failed ones included
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopQueue[T]] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def queued(self) -> int:
        """Items waiting for a batch (not counting those being committed), those waiting
        on event loops to be handed over included."""
        on_loops = sum(len(queue.waiting) for queue in list(self._loops.values()))
        with self._changed:
            return len(self._queued) + on_loops

    def submit(self, item: T) -> None:
        """Return once `item` is committed; BatchFailedError if its batch was not."""
        error = self._submit_all([item])[0]
        if error is not None:
            raise _failed(error)

    async def submit_async(self, item: T) -> None:
        """As `submit`, awaited on an event loop that goes on serving meanwhile."""
        loop = asyncio.get_running_loop()
        queue = self._loops.get(loop)
        if queue is None:
            queue = self._loops.setdefault(loop, _LoopQueue())
        future: asyncio.Future[None] = loop.create_future()
        queue.waiting.append((item, future))
        if queue.task is None:
            queue.task = loop.create_task(self._drain(queue))
        await future

    async def _drain(self, queue: _LoopQueue[T]) -> None:
        """Take the loop's waiting items to the writer until none wait; each coroutine's
        future is settled with its item's outcome (one that gave up waiting is skipped)."""
        try:
            while queue.waiting:
                batch, queue.waiting = queue.waiting, []
                try:
                    errors = await asyncio.to_thread(self._submit_all, [item for item, _ in batch])
                except Exception as failure:  # the hop itself failed: every item with it
                    errors = [failure] * len(batch)
                for (_, future), error in zip(batch, errors, strict=True):
                    if future.done():
                        continue
                    if error is None:
                        future.set_result(None)
                    else:
                        future.set_exception(_failed(error))
        finally:
            queue.task = None

    def _submit_all(self, items: Sequence[T]) -> list[BaseException | None]:
        """Queue `items` and return once all are committed: each one's batch error, or None."""
        slots = [_Slot(item) for item in items]
        with self._changed:
            self._queued.extend(slots)
            # Batches are taken oldest first: once the last slot is done, all are.
            while not slots[-1].done:
                if self._committing:
                    self._changed.wait()
                    continue
                self._commit_next()  # this thread writes the next batch
        return [slot.error for slot in slots]

    def _commit_next(self) -> None:
        """Commit the oldest queued items; called and returning with the lock held."""
        self._committing = True
        batch = self._queued[: self._max_batch]
        del self._queued[: self._max_batch]
        error: BaseException | None = None
        self._changed.release()
        try:
            self._commit([s.item for s in batch])
        except BaseException as failure:  # every waiter of the batch must hear of it
            error = failure
        finally:
            self._changed.acquire()
        for slot in batch:
            slot.done, slot.error = True, error
        self._committing = False
        self.batches += 1
        self._changed.notify_all()


def _failed(error: BaseException) -> BatchFailedError:
    failed = BatchFailedError("the batch was not committed")
    failed.__cause__ = error
    return failed
