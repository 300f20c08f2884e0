"""Background work against the store: the thread that runs it and the pauses between retries.

The notice process (`projections.notices.NoticeRunner`) and the notice sender
(`applications.notice_sender.SenderRunner`) each run a loop in a daemon thread until
stopped (`BackgroundLoop`). A projection runner retrying an event it could not process
(`projections.runner`) and the notice sender making a failed notice due again wait
`first` seconds after the first failure, `factor` times longer after each further one,
never longer than `cap` (`Backoff`), each with its own figures. A task due on a clock,
such as sweeping the account tables, runs in a `Periodic` loop.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

import structlog

MAX_EXPONENT = 32  # 2**32 pauses is far past any cap; larger powers overflow floats
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Backoff:
    """After failed attempt n, wait `first` × `factor`^(n-1) seconds, at most `cap`."""

    first: float = 0.5
    factor: float = 2.0
    cap: float = 30.0

    def pause(self, attempt: int) -> float:
        """The pause after failed attempt number `attempt` (1 for the first)."""
        exponent = min(max(attempt - 1, 0), MAX_EXPONENT)
        return float(min(self.first * self.factor**exponent, self.cap))


class BackgroundLoop:
    """`_loop` in a daemon thread named `name`, from `start()` until `stop()` (or as a
    context manager). The loop ends when `stopping` is set; `wake` ends a wait early."""

    def __init__(self, name: str, *, join_seconds: float = 10.0) -> None:
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self._join_seconds = join_seconds
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self._thread.join(timeout=self._join_seconds)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _loop(self) -> None:
        raise NotImplementedError


class Periodic(BackgroundLoop):
    """`task()` in a thread `name`, at once and then every `every` seconds until stopped.
    A task that fails is logged (`periodic_task_failed`, its error's type only) and run
    again at the next turn."""

    def __init__(self, name: str, task: Callable[[], object], *, every: float) -> None:
        self.task = task
        self.every = every
        super().__init__(name)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self.task()
            except Exception as error:
                name = self._thread.name
                log.error("periodic_task_failed", task=name, error=type(error).__name__)
            self.stopping.wait(self.every)
