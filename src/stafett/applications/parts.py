"""The parts of plan command bodies, the body of a new plan, and a change of a person.

A person (an existing one, or a new one the command registers), a consent, a
participant's rights, what a comment is on; and `CreatePlan`, which is no command
to a plan (there is none yet) but `PlanApplication.create_plan`'s input. Each part
converts from the domain value (`of`) and back (`value`, `ref`). `PersonChange` is
a partial change of a person's directory details (a field left `UNSET` keeps its value).
"""

from dataclasses import replace
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import msgspec

from stafett.aggregates.errors import Refusal
from stafett.aggregates.person import (
    EMAIL_PATTERN,
    MAX_EMAIL_LENGTH,
    PHONE_PATTERN,
    PersonDetails,
)
from stafett.aggregates.values import (
    DEFAULT_CONSENT_SCOPE,
    Access,
    CommentTarget,
    Consent,
    PlanType,
    Rights,
)
from stafett.applications.input import Body, InputError, Name, RequiredText, ShortText

MAX_PHONE_LENGTH = 32
Email = Annotated[
    str,
    msgspec.Meta(
        max_length=MAX_EMAIL_LENGTH, extra_json_schema={"extra": {"pattern": EMAIL_PATTERN}}
    ),
]
Phone = Annotated[
    str,
    msgspec.Meta(
        max_length=MAX_PHONE_LENGTH, extra_json_schema={"extra": {"pattern": PHONE_PATTERN}}
    ),
]


class PersonIn(Body):
    """An existing person (`person_id` alone) or a new one (at least both names)."""

    person_id: UUID | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    birth_date: date | None = None
    workplace: ShortText = ""
    position: ShortText = ""
    email: Email = ""
    mobile: Phone = ""
    phone: Phone = ""
    fax: Phone = ""
    street_address: ShortText = ""
    postcode: ShortText = ""
    place: ShortText = ""
    hide_phone: bool = False
    hide_mobile: bool = False
    restrict_search: bool = False

    @classmethod
    def schema_rules(cls) -> dict[str, Any]:
        return {
            "oneOf": [
                {
                    "required": ["person_id"],
                    "maxProperties": 1,
                    "properties": {"person_id": {"type": "string"}},
                },
                {
                    "required": ["first_name", "last_name"],
                    "properties": {
                        "person_id": {"type": "null"},
                        "first_name": {"type": "string"},
                        "last_name": {"type": "string"},
                    },
                },
            ]
        }

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.person_id is not None:
            details = (f for f in msgspec.structs.fields(self) if f.name != "person_id")
            if any(getattr(self, f.name) != f.default for f in details):
                raise InputError("person", "give either person_id or a new person's details")
        elif self.first_name is None:
            raise InputError("first_name", "is required for a new person", Refusal.EMPTY)
        elif self.last_name is None:
            raise InputError("last_name", "is required for a new person", Refusal.EMPTY)

    @classmethod
    def of(cls, person: UUID | PersonDetails) -> "PersonIn":
        if isinstance(person, UUID):
            return cls(person_id=person)
        return cls(**{f: getattr(person, f) for f in cls.__struct_fields__ if f != "person_id"})

    def ref(self) -> UUID | PersonDetails:
        """The person id, or the new person's details (the shape was checked on decoding)."""
        if self.person_id is not None:
            return self.person_id
        assert self.first_name is not None
        assert self.last_name is not None
        fields = {f: getattr(self, f) for f in self.__struct_fields__ if f != "person_id"}
        return PersonDetails(**fields)


class ConsentIn(Body):
    given_by: Name
    given_on: date
    expires_on: date
    scope: RequiredText = DEFAULT_CONSENT_SCOPE  # optional in api.md when a plan is created

    @classmethod
    def of(cls, consent: Consent) -> "ConsentIn":
        return cls(consent.given_by, consent.given_on, consent.expires_on, consent.scope)

    def value(self) -> Consent:
        return Consent(self.given_by, self.given_on, self.expires_on, self.scope)


class RightsIn(Body):
    goals: Access
    activities: Access
    minutes: Access
    messages: Access
    print: bool
    edit_person: bool

    @classmethod
    def of(cls, rights: Rights) -> "RightsIn":
        return cls(**{f: getattr(rights, f) for f in cls.__struct_fields__})

    def value(self) -> Rights:
        return Rights(**{f: getattr(self, f) for f in self.__struct_fields__})


class CommentOn(Body):
    kind: CommentTarget
    id: UUID


Level = Annotated[int, msgspec.Meta(ge=0, le=3)]  # the BTI level (decision 0051)


class CreatePlan(Body):
    """A new plan; `PlanApplication.create_plan` makes the caller its coordinator."""

    type: PlanType
    short_name: Name
    start_date: date
    owner: PersonIn
    consent: ConsentIn
    end_date: date | None = None
    level: Level | None = None
    review_on: date | None = None  # when the plan is next evaluated/revised


class PersonChange(Body, kw_only=True):
    """Some of a person's directory details; "" clears a field, `None` a birth date.

    The same rules as a new person's details apply to the result
    (`PersonDetails.validated`), so this struct only shapes the input.
    """

    first_name: Name | msgspec.UnsetType = msgspec.UNSET
    last_name: Name | msgspec.UnsetType = msgspec.UNSET
    birth_date: date | msgspec.UnsetType | None = msgspec.UNSET
    workplace: ShortText | msgspec.UnsetType = msgspec.UNSET
    position: ShortText | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType = msgspec.UNSET
    mobile: Phone | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | msgspec.UnsetType = msgspec.UNSET
    fax: Phone | msgspec.UnsetType = msgspec.UNSET
    street_address: ShortText | msgspec.UnsetType = msgspec.UNSET
    postcode: ShortText | msgspec.UnsetType = msgspec.UNSET
    place: ShortText | msgspec.UnsetType = msgspec.UNSET
    hide_phone: bool | msgspec.UnsetType = msgspec.UNSET
    hide_mobile: bool | msgspec.UnsetType = msgspec.UNSET
    restrict_search: bool | msgspec.UnsetType = msgspec.UNSET

    @classmethod
    def schema_rules(cls) -> dict[str, Any]:
        return cls.at_least_one_of(PersonChange.__struct_fields__)

    def changes(self) -> dict[str, Any]:
        """The fields given, by name."""
        fields = PersonChange.__struct_fields__
        return {f: getattr(self, f) for f in fields if getattr(self, f) is not msgspec.UNSET}

    def applied_to(self, details: PersonDetails) -> PersonDetails:
        """`details` with the given fields replaced (not yet validated)."""
        return replace(details, **self.changes())
