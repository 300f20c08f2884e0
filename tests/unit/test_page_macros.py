"""The form macros write well-formed tags: each attribute apart from the next.

Jinja's `trim_blocks`/`lstrip_blocks` eat the line break and indent between two
conditional attributes written on separate lines, so `required` and `aria-invalid`
once came out as one word (`requiredaria-invalid="true"`), which a browser reads as
a single unknown attribute: the field was then neither required nor marked invalid.
"""

import itertools
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from stafett.web.pages.render import environment

FIELD = '{% import "macros.html" as m with context %}{{ m.field("x", "X", **kw) }}'
TEXTAREA = '{% import "macros.html" as m with context %}{{ m.textarea("x", "X", **kw) }}'
CHECKBOX = (
    '{% import "participants/macros.html" as p with context %}{{ p.checkbox("x", "X", **kw) }}'
)
GLUED = re.compile(r'="[^"]*"[^\s/>]')  # a quoted value with no space before the next
KNOWN = {
    "class",
    "id",
    "name",
    "type",
    "value",
    "rows",
    "for",
    "required",
    "checked",
    "autocomplete",
    "aria-invalid",
    "aria-describedby",
    "maxlength",
    "data-color",
}


class Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("input", "textarea"):
            self.fields.append(dict(attrs))


def rendered(template: str, **kw: Any) -> tuple[str, dict[str, str | None]]:
    html = environment().from_string(template).render(_=str, csrf_token="t", kw=kw)
    parser = Attributes()
    parser.feed(html)
    assert len(parser.fields) == 1, html
    return html, parser.fields[0]


def combinations(**options: tuple[Any, ...]) -> list[dict[str, Any]]:
    names = list(options)
    return [
        dict(zip(names, values, strict=True)) for values in itertools.product(*options.values())
    ]


@pytest.mark.parametrize(
    "kw",
    combinations(
        required=(False, True),
        autocomplete=(None, "off"),
        description=(None, "Hjelpetekst"),
        errors=({}, {"x": "Feil"}),
        attrs=({}, {"maxlength": 5}),
    ),
)
def test_a_field_has_each_attribute_apart(kw: dict[str, Any]) -> None:
    html, attrs = rendered(FIELD, **kw)
    assert not GLUED.search(html), html
    assert set(attrs) <= KNOWN, html
    assert ("required" in attrs) == kw["required"]
    assert attrs.get("autocomplete") == kw["autocomplete"]
    if kw["errors"]:
        assert attrs["aria-invalid"] == "true"
        assert attrs["aria-describedby"] == "f-x-error"
    elif kw["description"]:
        assert attrs["aria-describedby"] == "f-x-desc"


@pytest.mark.parametrize("kw", combinations(required=(False, True), errors=({}, {"x": "Feil"})))
def test_a_textarea_has_each_attribute_apart(kw: dict[str, Any]) -> None:
    html, attrs = rendered(TEXTAREA, **kw)
    assert not GLUED.search(html), html
    assert set(attrs) <= KNOWN, html
    assert ("required" in attrs) == kw["required"]
    assert ("aria-invalid" in attrs) == bool(kw["errors"])


@pytest.mark.parametrize(
    "kw",
    combinations(checked=(False, True), errors=({}, {"x": "Feil"}), description=(None, "Om")),
)
def test_a_checkbox_has_each_attribute_apart(kw: dict[str, Any]) -> None:
    html, attrs = rendered(CHECKBOX, **kw)
    assert not GLUED.search(html), html
    assert set(attrs) <= KNOWN, html
    assert ("checked" in attrs) == kw["checked"]
    assert ("aria-invalid" in attrs) == bool(kw["errors"])
