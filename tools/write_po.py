"""Add bokmål translations to an area's catalog: `python tools/write_po.py table.py <area>`.

`table.py` defines `T = {"English message id": "bokmål", ...}` (start from what
`python -m tests.page_strings` prints). Entries already in the catalog are kept
unless the table gives them anew.
"""

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

source, area = sys.argv[1], sys.argv[2]
table: dict[str, str] = runpy.run_path(source)["T"]
target = Path("src/stafett/web/locale/nb/LC_MESSAGES") / f"{area}.po"
entries: dict[str, str] = {}
if target.exists():
    with target.open("rb") as existing:
        entries = {m.id: m.string for m in read_po(existing, locale="nb") if m.id}
entries.update(table)
catalog = Catalog(locale="nb", domain="messages", project="Stafett", charset="utf-8", fuzzy=False)
for msgid, msgstr in sorted(entries.items()):
    catalog.add(msgid, msgstr)
with target.open("wb") as out:
    write_po(out, catalog, omit_header=False, width=100, sort_output=True)
print(target, len(entries))
