"""Timing helpers: rates over blocks of calls, and medians of single calls."""

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter

Step = Callable[[int], object]
"""One timed operation; called with 0, 1, 2, … (across blocks, never repeating)."""


@dataclass(frozen=True)
class Rates:
    """Calls per second of each timed block; the median is the figure reported."""

    per_block: tuple[float, ...]
    block: int

    @property
    def median(self) -> float:
        return statistics.median(self.per_block)

    @property
    def spread(self) -> str:
        return f"{min(self.per_block):.0f}–{max(self.per_block):.0f}/s over {len(self.per_block)}×{self.block}"  # noqa: E501


@dataclass(frozen=True)
class Durations:
    """Milliseconds of each timed call; the median is the figure reported."""

    ms: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def spread(self) -> str:
        return f"{min(self.ms):.2f}–{max(self.ms):.2f} ms over {len(self.ms)} runs"


class Stepper:
    """Times blocks of calls to one step, keeping its call number across blocks."""

    def __init__(self, step: Step, block: int) -> None:
        self.step = step
        self.block = block
        self.calls = 0
        self.rates: list[float] = []

    def untimed(self, calls: int) -> None:
        for _ in range(calls):
            self.step(self.calls)
            self.calls += 1

    def timed(self, blocks: int = 1) -> None:
        step = self.step
        for _ in range(blocks):
            first = self.calls
            started = perf_counter()
            for i in range(first, first + self.block):
                step(i)
            self.rates.append(self.block / (perf_counter() - started))
            self.calls += self.block

    def result(self) -> Rates:
        return Rates(tuple(self.rates), self.block)


def durations(call: Callable[[], object], *, runs: int, warmup: int) -> Durations:
    for _ in range(warmup):
        call()
    ms = []
    for _ in range(runs):
        started = perf_counter()
        call()
        ms.append((perf_counter() - started) * 1000)
    return Durations(tuple(ms))
