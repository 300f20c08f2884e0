"""Renderers for sealing in tests: the real Noark 5 writer and schema check, a small PDF.

The composition root wires `standard_renderers()`: the PDF/A renderer of
`stafett.archive.pdf` and the Noark 5 writer of `stafett.archive.noark`. The tests
of sealing and verifying use the same Noark writer and Arkivverket's schema (so every
record they seal has its `arkivstruktur.xml` validated), with a stand-in for the PDF:
real bytes, made fast, holding the plan's name, the owner, the goals and the timeline.
"""

import base64
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from datetime import datetime
from typing import Any
from uuid import UUID

from stafett.aggregates.plan_state import PlanState
from stafett.applications.results import TimelineEntry
from stafett.archive.keys import SigningKey
from stafett.archive.renderers import Renderers, noark_writer, standard_schema_check

TEST_SEED = bytes(range(32))
TEST_KEY = SigningKey(TEST_SEED)
TEST_KEY_TEXT = base64.b64encode(TEST_SEED).decode()  # as STAFETT_ARCHIVE_SIGNING_KEY holds it
OTHER_KEY = SigningKey(bytes(range(1, 33)))


def stand_in_pdf(
    state: PlanState,
    *,
    names: Mapping[UUID, str],
    timeline: Sequence[TimelineEntry],
    sealed_at: datetime,
    language: str = "nb",
) -> bytes:
    lines = [state.short_name, names.get(state.owner_person_id, "?"), sealed_at.isoformat()]
    lines += [goal.title for goal in state.goals.values()]
    lines += [f"{entry.version} {entry.summary}" for entry in timeline]
    body = "\n".join(lines).encode()
    return b"%PDF-1.7\n% stand-in for the PDF/A renderer\n" + body + b"\n%%EOF\n"


TEST_RENDERERS = Renderers(
    pdf=stand_in_pdf, arkivstruktur=noark_writer(), schema_errors=standard_schema_check()
)


class Deferred(Executor):
    """An executor that holds the jobs it is given until `run` (renditions made when a
    test or the benchmark says so, or never); `inline` runs each job when it is given."""

    def __init__(self, *, inline: bool = False) -> None:
        self.inline = inline
        self.jobs: list[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.jobs.append((future, lambda *a: fn(*a, **kwargs), args))
        if self.inline:
            self.run()
        return future

    def run(self) -> int:
        """Run the jobs held, oldest first; how many."""
        jobs, self.jobs = self.jobs, []
        for future, fn, args in jobs:
            if future.set_running_or_notify_cancel():
                future.set_result(fn(*args))
        return len(jobs)
