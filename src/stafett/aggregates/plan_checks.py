"""The rules on values a plan keeps whole, shared by its creation and its later
commands: its details (period, BTI level, review date) and its consent."""

from dataclasses import replace
from datetime import date, timedelta

from stafett.aggregates.errors import ConflictingValueError, Refusal, ValidationError
from stafett.aggregates.values import Consent, clean_name, clean_text, plausible_date

CONSENT_GIVEN_AT_MOST_AGO = timedelta(days=2 * 366)
CONSENT_GIVEN_AT_MOST_AHEAD = timedelta(days=366)
CONSENT_LONGEST = timedelta(days=5 * 366)
BTI_LEVELS = range(4)  # the BTI model's levels of collaboration around a child, 0–3


def check_details(
    start_date: date, end_date: date | None, level: int | None, review_on: date | None
) -> None:
    """A plan's period in order, its BTI level one of 0–3, its review date plausible:
    within the years dates may have, and not before the plan starts."""
    if end_date is not None and end_date < start_date:
        raise ValidationError(
            "end_date", "must not be before start_date", Refusal.ENDS_BEFORE_START
        )
    if level is not None and (isinstance(level, bool) or level not in BTI_LEVELS):
        raise ValidationError("level", "must be 0, 1, 2 or 3")
    if review_on is not None:
        plausible_date("review_on", review_on)
        if review_on < start_date:
            raise ValidationError(
                "review_on", "must not be before start_date", Refusal.ENDS_BEFORE_START
            )


def checked_consent(consent: Consent, *, today: date) -> Consent:
    """Consent dated near today that has not run out and runs for a plausible while.

    A consent dated 1900 or running to 9999 is a typing error, and a "renewal"
    that has already run out would lock every provider, and the coordinator's own
    writes, out of the plan at once.
    """
    if consent.given_on > today + CONSENT_GIVEN_AT_MOST_AHEAD:  # both: as of today
        raise ConflictingValueError(
            "given_on", "must be within the coming year", Refusal.TOO_FAR_AHEAD
        )
    if consent.given_on < today - CONSENT_GIVEN_AT_MOST_AGO:
        raise ConflictingValueError(
            "given_on", "must be within the last two years", Refusal.TOO_LONG_AGO
        )
    if consent.expires_on <= consent.given_on:
        raise ValidationError("expires_on", "must be after given_on", Refusal.ENDS_BEFORE_START)
    if consent.expires_on < today:
        raise ValidationError("expires_on", "must not have passed already", Refusal.PASSED)
    if consent.expires_on > consent.given_on + CONSENT_LONGEST:
        raise ValidationError(
            "expires_on", "must be at most five years after given_on", Refusal.LASTS_TOO_LONG
        )
    return replace(
        consent,
        given_by=clean_name("given_by", consent.given_by),
        scope=clean_text("scope", consent.scope, required=True),
    )
