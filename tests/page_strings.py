"""The page strings Babel extracts, and the bokmål catalogs that must translate them.

`python -m tests.page_strings` prints, as .po entries, every string that bokmål
does not translate yet (to paste into an area's catalog and translate).
"""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "src" / "stafett" / "web"
CATALOGS = WEB / "locale" / "nb" / "LC_MESSAGES"
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**.py", "python"),
]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def extracted() -> dict[str, list[str]]:
    """msgid → where it is used (plural forms by their singular)."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        WEB, METHODS, options_map=OPTIONS, keywords={"_": None, "gettext": None, "ngettext": (1, 2)}
    ):
        singular = message[0] if isinstance(message, tuple) else message
        if singular:
            found.setdefault(singular, []).append(f"{filename}:{lineno}")
    return found


def bokmal() -> dict[str, tuple[str, bool, Path]]:
    """msgid → (translation, fuzzy, catalog file) over every bokmål catalog."""
    entries: dict[str, tuple[str, bool, Path]] = {}
    for path in sorted(CATALOGS.glob("*.po")):
        with path.open("rb") as po:
            catalog = read_po(po, locale="nb")
        for message in catalog:
            if not message.id:
                continue
            msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
            text = (
                message.string[0] if isinstance(message.string, (tuple, list)) else message.string
            )
            entries[msgid] = (text or "", message.fuzzy, path)
    return entries


def disagreements() -> list[str]:
    """Message ids two catalogs translate differently (the merge would pick one silently)."""
    seen: dict[str, tuple[str, Path]] = {}
    found = []
    for path in sorted(CATALOGS.glob("*.po")):
        with path.open("rb") as po:
            catalog = read_po(po, locale="nb")
        for message in catalog:
            if not message.id or not message.string:
                continue
            msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
            text = (
                message.string[0] if isinstance(message.string, (tuple, list)) else message.string
            )
            if msgid in seen and seen[msgid][0] != text:
                found.append(f"{msgid!r}: {seen[msgid][1].name} and {path.name} differ")
            seen.setdefault(msgid, (text, path))
    return found


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


if __name__ == "__main__":
    known = bokmal()
    for msgid, where in sorted(extracted().items()):
        if not known.get(msgid, ("", False, None))[0]:
            print(f'#: {where[0]}\nmsgid "{_escape(msgid)}"\nmsgstr ""\n')
