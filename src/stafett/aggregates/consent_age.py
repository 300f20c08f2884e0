"""The consent age (decision 0055): from which birthday a plan's owner decides over the
consent themself. Municipalities set it at 15 or 16 (product.md: a setting, not a
constant); `Settings.consent_age` holds it and the plan application passes it on."""

from datetime import date

CONSENT_AGES = (15, 16)
DEFAULT_CONSENT_AGE = 16
CONSENT_AGE_ENV = "STAFETT_CONSENT_AGE"


def age_on(born: date, day: date) -> int:
    """Whole years from `born` to `day` (someone born on 29 February turns a year older
    on 1 March in a year without one)."""
    had_birthday = (day.month, day.day) >= (born.month, born.day)
    return day.year - born.year - (0 if had_birthday else 1)


def has_reached(born: date | None, day: date, consent_age: int) -> bool | None:
    """Whether someone born on `born` has reached `consent_age` on `day`; None when the
    birth date is not known."""
    return None if born is None else age_on(born, day) >= consent_age


def consent_age_of(text: str | None) -> int:
    """The setting's value: 15 or 16 (the default when not set), or `ValueError`."""
    if text is None or not text.strip():
        return DEFAULT_CONSENT_AGE
    if text.strip() not in {str(age) for age in CONSENT_AGES}:
        raise ValueError(f"{CONSENT_AGE_ENV} must be 15 or 16")
    return int(text)
