"""Writes to plans, for the JSON API and the pages alike: `Commands`.

Every write gives its command (`applications/commands.py`) to `Commands`: the
logged-in person is the actor, the version the person last saw comes as
`If-Match: "<version>"` or `expected_version` in the body (a page's form carries
it as a hidden field), and the answer waits (bounded) until the plan list has
the write, so the next page or list shows it. An API request's `Idempotency-Key`
is kept with its answer in the command's transaction (web/idempotency.py).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from uuid import UUID

import msgspec
from litestar import Request
from litestar.di import NamedDependency
from litestar.params import HeaderParameter

from stafett.aggregates.errors import DomainError, ValidationError
from stafett.applications.accounts import Principal
from stafett.applications.commands import PlanCommand
from stafett.applications.merging import applies_over, item_of, merged
from stafett.applications.parts import CreatePlan
from stafett.applications.plans import PlanApplication
from stafett.applications.results import CommandResult, Receipt, VersionConflictError
from stafett.applications.step_up import require_step_up
from stafett.web.idempotency import Claim, CommandReceipt, claim_of
from stafett.web.state import ReadYourWrites

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        max_length=40,
        # ENTITY_TAG, for the schema only: `expected_version` refuses naming the header
        schema_extra={"pattern": r'^(?:"[0-9]{1,18}"|[0-9]{1,18})$'},
        description='The plan version the change is based on, e.g. "7"; a stale one answers 409.',
    ),
]
ENTITY_TAG = re.compile(r'"([0-9]{1,18})"|([0-9]{1,18})')


class VersionsDisagreeError(VersionConflictError):
    """`If-Match` and `expected_version` name different versions: at most one of them is
    the plan's, so the write is stale either way (409, as any stale version)."""

    def __init__(self, from_header: int, in_body: int) -> None:
        DomainError.__init__(
            self, f"If-Match says version {from_header}, expected_version {in_body}"
        )
        self.expected = from_header
        self.actual = in_body


def expected_version(if_match: str | None, in_body: int | None) -> int | None:
    """The version the caller based the change on, from the header or the body."""
    from_header = None
    if if_match is not None:
        match = ENTITY_TAG.fullmatch(if_match.strip())
        if match is None:
            raise ValidationError("If-Match", 'must be a plan version such as "7"')
        from_header = int(match.group(1) or match.group(2))
    if from_header is not None and in_body is not None and from_header != in_body:
        raise VersionsDisagreeError(from_header, in_body)
    return from_header if from_header is not None else in_body


S = TypeVar("S", bound=msgspec.Struct)
C = TypeVar("C", bound=PlanCommand)
MERGE_ATTEMPTS = 3  # a form applied over others' changes, then again if more arrive meanwhile
Write = Callable[[CommandReceipt | None], CommandResult]


@dataclass(frozen=True, slots=True)
class Commands:
    """Gives a command to the plans as the logged-in person, then waits for the plan list.

    `answered` is the API's way: the answer of a request with an `Idempotency-Key`
    (`claim`) is kept in the command's own transaction (web/idempotency.py).
    """

    plans: PlanApplication
    principal: Principal
    caught_up: ReadYourWrites
    if_match: str | None
    claim: Claim | None = None

    def __call__(
        self, plan_id: UUID, command: PlanCommand, receipt: Receipt | None = None
    ) -> CommandResult:
        if command.needs_step_up():
            require_step_up(self.principal, type(command).__name__)
        expected = expected_version(self.if_match, command.expected_version)
        result = self.plans.handle(
            plan_id,
            command,
            by=self.principal.person_id,
            expected_version=expected,
            receipt=receipt,
        )
        self.caught_up(result)
        return result

    def over_changes(
        self, plan_id: UUID, command: PlanCommand, receipt: Receipt | None = None
    ) -> CommandResult:
        """A page's form: given to the plan as it now is if nothing changed since the
        version the form was opened on can be lost by it (`applications/merging.py`);
        else the conflict, counted from that version."""
        seen = command.expected_version
        for _ in range(MERGE_ATTEMPTS):
            try:
                return self(plan_id, command, receipt)
            except VersionConflictError as moved:
                if seen is None:
                    raise
                # Every event after `seen` is looked at; the retry expects the version the
                # conflict named, so nothing after the events looked at can slip in.
                if not applies_over(command, self.plans.items_changed_since(plan_id, seen)):
                    narrowed = self._field_by_field(plan_id, command, seen, moved.actual)
                    if narrowed is None:
                        raise VersionConflictError(seen, moved.actual) from None
                    command = narrowed
                command = msgspec.structs.replace(command, expected_version=moved.actual)
                now_at = moved.actual
        raise VersionConflictError(seen, now_at)  # the plan kept changing: the person decides

    def _field_by_field(self, plan_id: UUID, command: C, seen: int, now_at: int) -> C | None:
        """`command`, whose goal or activity changed since `seen`, with only the fields the
        person changed, to be given to the plan at `now_at`, when no one else changed one
        of them meanwhile (`merging.merged`); None if someone did, or for another command."""
        item = item_of(command)
        if item is None:
            return None
        reader = self.principal.person_id
        then = self.plans.item_as_of(plan_id, item, seen, reader=reader)
        return merged(command, then, self.plans.item_as_of(plan_id, item, now_at, reader=reader))

    def create_plan(
        self, command: CreatePlan, receipt: CommandReceipt | None = None
    ) -> CommandResult:
        result = self.plans.create_plan(command, by=self.principal.person_id, receipt=receipt)
        self.caught_up(result)
        return result

    def answered(self, write: Write, *, status: int, answer: Callable[[CommandResult], S]) -> S:
        """`answer` to what `write` (`self` or `self.create_plan`, given the receipt) did;
        with a claim, that answer (with `status`) is kept with the write's events."""
        receipt = None if self.claim is None else self.claim.receipt(status, answer)
        return answer(write(receipt))


def provide_commands(
    request: Request[Any, Any, Any],
    plans: NamedDependency[PlanApplication],
    principal: NamedDependency[Principal],
    caught_up: NamedDependency[ReadYourWrites],
    if_match: IfMatch = None,
) -> Commands:
    return Commands(plans, principal, caught_up, if_match, claim_of(request))
