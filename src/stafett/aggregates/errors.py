"""Domain errors shared by every aggregate.

The web layer maps each class to one HTTP status in a single table; nothing
below knows about HTTP.
"""


class DomainError(Exception):
    """A command was refused by a rule of the domain."""


class ValidationError(DomainError):
    """A value given to a command is not acceptable; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ConflictingValueError(ValidationError):
    """A value that is refused because of what is stored or of today's date (a username
    taken, the owner named for removal, a consent date outside the window around today),
    not for what it is alone, so a schema cannot say it (HTTP 409, where a
    `ValidationError` is 422)."""


class NotPermittedError(DomainError):
    """The acting person may not do this in this plan."""


class NotAParticipantError(DomainError):
    """The acting person is not (or no longer) in the plan group."""


class PlanClosedError(DomainError):
    """The plan is closed and takes no further changes."""


class ConsentNotValidError(DomainError):
    """The plan's consent has expired, been reset or withdrawn."""


class NotFoundError(DomainError):
    """A referenced item (participant, goal, activity, …) does not exist."""


class DuplicateError(DomainError):
    """The thing to add is already there."""
