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
"""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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

    @property
    def queued(self) -> int:
        """Items waiting for a batch (not counting those being committed)."""
        with self._changed:
            return len(self._queued)

    def submit(self, item: T) -> None:
        """Return once `item` is committed; BatchFailedError if its batch was not."""
        slot = _Slot(item)
        with self._changed:
            self._queued.append(slot)
            while not slot.done:
                if self._committing:
                    self._changed.wait()
                    continue
                self._commit_next()  # this thread writes the next batch
        if slot.error is not None:
            raise BatchFailedError("the batch was not committed") from slot.error

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
