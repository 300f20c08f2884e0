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


def of_age_on(born: date, consent_age: int) -> date:
    """The day someone born on `born` reaches `consent_age`: the first day `age_on`
    counts it (born on 29 February: 1 March in a year without one)."""
    try:
        return born.replace(year=born.year + consent_age)
    except ValueError:  # 29 February, in a year without one
        return date(born.year + consent_age, 3, 1)


def given_before_of_age(given_on: date, of_age: date | None, today: date) -> bool:
    """Whether a consent given on `given_on` predates the owner's coming of age on
    `of_age`, a day that has come by `today` (decision 0056): the owner now decides over
    what was consented to for them. False when the birth date is not known (None)."""
    return of_age is not None and given_on < of_age <= today


def consent_age_of(text: str | None) -> int:
    """The setting's value: 15 or 16 (the default when not set), or `ValueError`."""
    if text is None or not text.strip():
        return DEFAULT_CONSENT_AGE
    if text.strip() not in {str(age) for age in CONSENT_AGES}:
        raise ValueError(f"{CONSENT_AGE_ENV} must be 15 or 16")
    return int(text)
