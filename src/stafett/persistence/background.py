"""Background work against the store: the thread that runs it and the pauses between retries.

The notice process (`projections.notices.NoticeRunner`) and the notice sender
(`applications.notice_sender.SenderRunner`) each run a loop in a daemon thread until
stopped (`BackgroundLoop`). A projection runner retrying an event it could not process
(`projections.runner`) and the notice sender making a failed notice due again wait
`first` seconds after the first failure, `factor` times longer after each further one,
never longer than `cap` (`Backoff`), each with its own figures.
"""

import threading
from dataclasses import dataclass
from typing import Self

MAX_EXPONENT = 32  # 2**32 pauses is far past any cap; larger powers overflow floats


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
