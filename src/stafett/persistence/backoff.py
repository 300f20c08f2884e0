"""Pauses between retries of work against the store.

A projection runner retrying an event it could not process (`projections.runner`)
and the notice sender making a failed notice due again (`applications.notice_sender`)
wait `first` seconds after the first failure, `factor` times longer after each
further one, never longer than `cap`; each with its own figures.
"""

from dataclasses import dataclass

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
