"""The base classes of the plan commands (`commands.py`): a command to one plan, one
that needs nothing but the version seen, and an explicit partial change."""

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Self
from uuid import UUID

import msgspec

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.plan import Plan
from stafett.applications.input import Body, Version


class PlanCommand(Body, kw_only=True):
    """A command to one plan; `expected_version` is the version the caller last saw."""

    expected_version: Version | None = None
    creates: ClassVar[bool] = False  # True: `run` adds an item with `new_id`, the result's id
    # The plan's method that `run` calls with the command's fields as its arguments; a
    # command whose fields are not the method's arguments has a `run` of its own.
    calls: ClassVar[Callable[..., None] | None] = None
    # True: the command grants rights in the plan or ends it, so the caller must have
    # typed a one-time code within the last five minutes (SEC-SES-08, `step_up.py`).
    step_up: ClassVar[bool] = False

    def needs_step_up(self) -> bool:
        return type(self).step_up

    def check(self) -> None:
        """Refuse a command that cannot be right whatever the plan (before it is loaded)."""

    def chosen_id(self) -> UUID | None:
        """The id of the item it adds, when the caller chose it (else `handle` makes one)."""
        return None

    def run(self, plan: Plan, by: UUID, at: datetime, new_id: UUID) -> None:
        """Give the command to the plan, which checks its rules and triggers its event."""
        calls = type(self).calls
        if calls is None:
            raise NotImplementedError
        calls(plan, by=by, at=at, **self.arguments())

    def arguments(self) -> dict[str, Any]:
        """The command's fields, by name, but for the version the caller saw."""
        names = (f for f in self.__struct_fields__ if f != "expected_version")
        return {name: getattr(self, name) for name in names}

    @classmethod
    def addressed(cls, body: "PlanCommand", **address: UUID) -> Self:
        """The command from its body and the id its route names."""
        fields: dict[str, Any] = {**msgspec.structs.asdict(body), **address}
        return cls(**fields)


class Versioned(PlanCommand):
    """The body of a command that needs nothing but, optionally, the version seen."""


class Changes(PlanCommand, kw_only=True):
    """A partial change: at least one field besides the address must be given."""

    address: ClassVar[str] = ""  # the command's field naming what changes

    def changes(self) -> dict[str, Any]:
        """The fields given, by name (those left `UNSET` keep their value)."""
        unchanged = ("expected_version", self.address)
        fields = (f for f in self.__struct_fields__ if f not in unchanged)
        return {f: getattr(self, f) for f in fields if getattr(self, f) is not msgspec.UNSET}

    @classmethod
    def schema_rules(cls) -> dict[str, Any]:
        unchanged = ("expected_version", cls.address)
        return cls.at_least_one_of(f for f in cls.__struct_fields__ if f not in unchanged)

    def check(self) -> None:
        """An empty change would only add an empty event."""
        if not self.changes():
            raise ValidationError("body", "names nothing to change")
