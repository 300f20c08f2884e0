"""What a reader of a page sees as text, and a check that its sentences are apart.

Page text is put together from translated strings and template tags; with Jinja's
`trim_blocks` a line that ends with a block tag is joined to the next, so two strings can
run together ("for målet.Endringer"). `joined_sentences` finds such joins in a page's
visible text (script, style and what a form field holds left out, since they are not
read as prose): a lower-case letter or ")" followed straight by a sentence mark and an
upper-case letter, or a lower-case letter straight before a capitalised word.
"""

import html
import re

_HIDDEN = re.compile(r"<(script|style|textarea)\b.*?</\1>", re.S | re.I)
# Tags after which a browser starts a new line or box: their text does not run on.
_BLOCK = re.compile(
    r"</?(?:p|div|li|ul|ol|h\d|section|article|dt|dd|dl|tr|td|th|table|label|legend|option"
    r"|br|summary|details|form|fieldset|nav|header|footer|main|input|select|button)\b[^>]*>",
    re.I,
)
_TAG = re.compile(r"<[^>]+>")
_JOIN = re.compile(r"[a-zæøå)][.!?:;,][A-ZÆØÅ]|[a-zæøå][A-ZÆØÅ][a-zæøå]{2}")


def visible_text(page: str) -> str:
    return html.unescape(_TAG.sub("", _BLOCK.sub("\n", _HIDDEN.sub(" ", page))))


def joined_sentences(page: str) -> list[str]:
    """Each place where two pieces of text run together, with some text around it."""
    text = visible_text(page)
    return [text[max(0, m.start() - 30) : m.end() + 20] for m in _JOIN.finditer(text)]
