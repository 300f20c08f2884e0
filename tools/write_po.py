"""Write a bokmål catalog from a {msgid: msgstr} dict in a Python file: `python tools/write_po.py
src.py area` (for catalogs started from `python -m tests.page_strings`)."""

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

source, area = sys.argv[1], sys.argv[2]
table = runpy.run_path(source)["T"]
catalog = Catalog(locale="nb", domain="messages", project="Stafett", charset="utf-8", fuzzy=False)
for msgid, msgstr in sorted(table.items()):
    catalog.add(msgid, msgstr)
target = Path("src/stafett/web/locale/nb/LC_MESSAGES") / f"{area}.po"
with target.open("wb") as out:
    write_po(out, catalog, omit_header=False, width=100, sort_output=True)
print(target, len(table))
