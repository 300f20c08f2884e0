"""A stored-XSS corpus, the canary it calls, and how to tell that it stayed inert.

Tests enter each `CORPUS` text wherever a person can type (a name, a goal, a
comment, a search), visit every page that shows it, and call
`assert_inert(page, watch)` on each. A payload betrays itself in one of these ways:

- it runs: every script payload calls `__xss(...)` or `alert(...)`. `CANARY`, an
  init script in every context (conftest.py), makes `alert`, `confirm`, `prompt`
  and `print` call `__xss` too, and `__xss` reports to `Watch.xss` through a
  Playwright binding. Dialogs are recorded as well, should a frame escape it.
- it became markup: every HTML payload carries a `data-xss` attribute, so an
  element with one means the text was not escaped, even where the CSP stopped
  its script (the violation is then recorded as well);
- an element carries an event-handler attribute (`on…`): our templates have none
  (the CSP forbids them), so one on the page came from input;
- a link, form or frame points at `javascript:`;
- a text-direction override (U+202E) turns around the text after it, up to the
  end of the nearest isolating box (`<bdi>`, or any block: p, li, td, div).
  The text rule (aggregates/text.py) refuses overrides in every text, so they
  should never be stored; should one be shown all the same, it must be alone
  in such a box (wrap it in `<bdi>`). A form control's value is a box of its own.

Template injection (`{{7*7}}`) shows up as "49" instead of the text: check with
`shown_verbatim(page, text)` where the page should show what was typed.
"""

from dataclasses import dataclass

from playwright.sync_api import Page

from tests.browser.harness import XSS_MARK, Watch, flush

BINDING = "__xssHit"
CANARY = f"""
(() => {{
  const report = (how, args) => {{
    const text = how + "(" + Array.from(args).map(String).join(", ") + ") on "
      + location.pathname;
    const hit = window.{BINDING};
    if (typeof hit === "function") {{ hit(text); }} else {{ console.error("{XSS_MARK} " + text); }}
  }};
  window.__xss = function () {{ report("__xss", arguments); }};
  for (const name of ["alert", "confirm", "prompt", "print"]) {{
    window[name] = function () {{ report(name, arguments); }};
  }}
}})();
"""
"""The init script every test context runs before any page script."""


@dataclass(frozen=True)
class Payload:
    name: str
    text: str


RTL_OVERRIDE = "\u202e"
CORPUS: tuple[Payload, ...] = (
    Payload("script-tag", '<script>__xss("script")</script>'),
    Payload("img-onerror", '<img src=x onerror=__xss("img") data-xss>'),
    Payload("svg-onload-breakout", '"><svg onload=__xss("svg") data-xss>'),
    Payload("single-quote-breakout", "'><svg onload=alert('svg2') data-xss>"),
    Payload("attribute-onfocus", '" autofocus onfocus="__xss(\'onfocus\')" data-xss="'),
    Payload("javascript-anchor", "<a href=\"javascript:__xss('a')\" data-xss>klikk her</a>"),
    Payload("javascript-url", 'javascript:__xss("url")'),
    Payload("textarea-breakout", '</textarea><script>__xss("textarea")</script>'),
    Payload("title-breakout", '</title><script>__xss("title")</script>'),
    Payload("iframe-srcdoc", "<iframe srcdoc=\"<script>parent.__xss('f')</script>\" data-xss>"),
    Payload("htmx-attributes", '<div hx-post="/logout" hx-trigger="load" data-xss>x</div>'),
    Payload("style-tag", "<style>*{display:none}</style><b data-xss>fet</b>"),
    Payload("markdown-link", "[klikk](javascript:__xss('md'))"),
    Payload("template-injection", "{{7*7}} {% raw %}${7*7} #{7*7} {{ config }}"),
    Payload("rtl-override", f"Ola {RTL_OVERRIDE}gnp.exe Nordmann"),
    Payload("norwegian-entities", "Ærlig & «Øystein» <Ås> &amp; &lt;b&gt;"),
)
"""Short enough (≤ 100 characters) for a name field; each entry stands alone."""

_INJECTED = """
() => {
  const found = [];
  const describe = (el) => el.outerHTML.slice(0, 160);
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.trim().toLowerCase();
      if (name === "data-xss") found.push("element from input: " + describe(el));
      else if (name.startsWith("on")) found.push("event-handler attribute: " + describe(el));
      else if (["href", "src", "action", "formaction", "xlink:href"].includes(name)
               && value.startsWith("javascript:")) found.push("javascript: URL: " + describe(el));
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.includes("\\u202e")) continue;
    // The nearest box that isolates its text (`<bdi>`, and by the HTML rendering rules
    // every block such as p, div, li and td): the override reaches to its end.
    let box = node.parentElement;
    while (box && box !== document.body && box.localName !== "bdi"
           && !["isolate", "isolate-override", "plaintext"].includes(
                getComputedStyle(box).unicodeBidi)) box = box.parentElement;
    if (box.textContent.trim() !== node.data.trim()) {
      found.push("a text-direction override turns the text after it around: "
                 + describe(box));
    }
  }
  return found;
}
"""


def injected(page: Page) -> list[str]:
    """What on the page came from input as markup rather than text."""
    found: list[str] = page.evaluate(_INJECTED)
    return found


def assert_inert(page: Page, watch: Watch) -> None:
    """Nothing typed ran or became markup on this page (and nothing misbehaved before)."""
    flush(page)
    problems = injected(page) + watch.problems()
    assert not problems, f"on {page.url}:\n  " + "\n  ".join(problems)


def shown_verbatim(page: Page, text: str) -> bool:
    """Whether the page shows `text` as typed: in its text or in a form field's value."""
    shown: bool = page.evaluate(
        """(text) => document.body.innerText.includes(text)
             || [...document.querySelectorAll("input, textarea")].some(f => f.value === text)""",
        text,
    )
    return shown
