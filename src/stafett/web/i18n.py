"""Page languages: Norwegian bokmål by default, English on request (gettext with Babel).

Page strings are written in English in the templates and the page code (the
message ids) and translated to bokmål in `locale/nb/LC_MESSAGES/*.po`: one
catalog per area of the pages, merged when first used, so that no area's work
touches another's file. A test extracts every string with Babel and fails when
bokmål lacks one (`tests/unit/test_page_catalogs.py`).

The language of the page being built is a context variable: the page router's
`before_request` sets it from the person's choice (account, else cookie), and
templates render in the same task, so every `_()` and `{% trans %}` uses it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("nb", "en")
DEFAULT_LANGUAGE = "nb"
SOURCE_LANGUAGE = "en"  # the language of the message ids
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("page_language", default=DEFAULT_LANGUAGE)


def chosen(value: str | None) -> str:
    """A supported language from a cookie or account value; bokmål otherwise."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def set_language(language: str | None) -> str:
    chosen_language = chosen(language)
    _current.set(chosen_language)
    return chosen_language


def current_language() -> str:
    return _current.get()


@contextmanager
def language(value: str) -> Iterator[None]:
    """Render in `value` inside the block (mails, tests)."""
    token = _current.set(chosen(value))
    try:
        yield
    finally:
        _current.reset(token)


@cache
def translations(language: str) -> NullTranslations:
    """The merged catalogs of one language; the source language needs none."""
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    merged = Translations(domain=DOMAIN)
    for path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as po:
            catalog = read_po(po, locale=language)
        buffer = BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        merged.merge(Translations(buffer, domain=DOMAIN))
    return merged


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def _(message: str) -> str:
    """Mark and translate a page string in Python code (Babel extracts `_`)."""
    return gettext(message)
