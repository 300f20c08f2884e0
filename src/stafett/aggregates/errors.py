"""Domain errors shared by every aggregate.

The web layer maps each class to one HTTP status in a single table; nothing
below knows about HTTP.
"""

from enum import StrEnum


class DomainError(Exception):
    """A command was refused by a rule of the domain."""


class Refusal(StrEnum):
    """Why a value is refused, as a program tells it: the pages choose their words by it
    and the API gives it as a problem's `reason`. The English message beside it may be
    reworded; a reason keeps its name (clients and pages rely on it)."""

    INVALID = "invalid"  # the value is not one the field takes (the message says how)
    EMPTY = "empty"
    TOO_LONG = "too_long"  # `limit`: the most characters
    NOT_TEXT = "not_text"  # control, invisible or text-direction characters (text.py)
    NOT_A_DATE = "not_a_date"
    ENDS_BEFORE_START = "ends_before_start"  # an end, or a period's last day, too early
    IN_THE_FUTURE = "in_the_future"
    TOO_FAR_AHEAD = "too_far_ahead"  # a consent dated more than a year ahead
    TOO_LONG_AGO = "too_long_ago"  # a consent given more than two years ago
    PASSED = "passed"  # a consent that has already run out
    LASTS_TOO_LONG = "lasts_too_long"  # a consent for more than five years
    OWNER_IS_COORDINATOR = "owner_is_coordinator"
    NOT_IN_DIRECTORY = "not_in_directory"  # a person named by id who is not (or no longer)
    EMAIL_FORMAT = "email_format"
    PHONE_FORMAT = "phone_format"
    USERNAME_FORMAT = "username_format"
    USERNAME_TAKEN = "username_taken"
    NO_RECIPIENT = "no_recipient"
    CANNOT_READ = "cannot_read"  # a recipient or responsible who may not read that section
    NEEDS_MOBILE_FOR_SMS = "needs_mobile_for_sms"
    NEEDS_EMAIL_FOR_EMAIL_CODES = "needs_email_for_email_codes"
    NEEDS_MOBILE_OR_EMAIL = "needs_mobile_or_email"
    EMAIL_CODES_WITH_MOBILE = "email_codes_with_mobile"  # decision 0045
    MOBILE_NOT_CONFIRMED = "mobile_not_confirmed"
    TOO_SHORT = "too_short"  # `limit`: the fewest characters (a password, a name searched for)
    TOO_COMMON = "too_common"  # a password on the list of common ones
    NAMES_YOU = "names_you"  # a password with the person's name, username or the service
    EASY_TO_GUESS = "easy_to_guess"  # a password a guesser would try early
    SAME_AS_BEFORE = "same_as_before"  # a new password that is the current one
    PHOTO_FORMAT = "photo_format"
    PHOTO_TOO_LARGE = "photo_too_large"  # more bytes than we read
    PHOTO_TOO_MANY_PIXELS = "photo_too_many_pixels"
    PHOTO_BROKEN = "photo_broken"


COUNTED = frozenset({Refusal.TOO_LONG, Refusal.TOO_SHORT})  # the refusals with a `limit`


class ValidationError(DomainError):
    """A value given to a command is not acceptable; `field` names it, `reason` says why
    in a word a program can act on, `message` in words for a developer reading the API."""

    def __init__(
        self,
        field: str,
        message: str,
        reason: Refusal = Refusal.INVALID,
        *,
        limit: int | None = None,
    ) -> None:
        if (limit is None) != (reason not in COUNTED):
            # the words for a length say the number (web/pages/refusals.py)
            raise TypeError(f"{reason} takes a limit, and only it")
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.reason = reason
        self.limit = limit


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
