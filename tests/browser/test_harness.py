"""The harness can fail: each check is shown a page that breaks it.

A check that never fails proves nothing, so each is given what it must catch
here: an unlabelled field for axe, an injected event handler (which the CSP
blocks and the console reports), a call to `alert`, a text-direction override
without isolation, and screenshots of the two widths.
"""

import pytest
from PIL import Image
from playwright.sync_api import Page

from tests.browser.harness import Watch, axe, flush, screenshot, tab_to
from tests.browser.xss import assert_inert, injected


def test_axe_fails_on_a_field_without_a_label(page: Page) -> None:
    page.goto("/login")
    axe(page)
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML(
             "beforeend", '<input class="ds-input" name="unlabelled">')"""
    )
    with pytest.raises(AssertionError, match=r"label \(critical\)"):
        axe(page)


def test_an_injected_event_handler_is_caught_twice(page: Page, watch: Watch) -> None:
    page.goto("/login")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML(
             "beforeend", '<img src="/static/favicon.svg" onload="__xss(1)" data-xss>')"""
    )
    page.locator("img[data-xss]").wait_for(state="attached")
    flush(page)
    found = injected(page)
    assert any(f.startswith("element from input") for f in found)
    assert any(f.startswith("event-handler attribute") for f in found)
    assert watch.csp, "the CSP blocked the handler and said so on the console"
    assert watch.xss == []  # blocked, so it did not run
    with pytest.raises(AssertionError, match="CSP violation"):
        assert_inert(page, watch)
    watch.csp.clear()


def test_a_call_to_alert_is_recorded_and_no_dialog_opens(page: Page, watch: Watch) -> None:
    page.goto("/login")
    page.evaluate("() => alert('hei')")
    flush(page)
    assert watch.xss == ["alert(hei) on /login"]
    assert watch.dialogs == []
    watch.xss.clear()


def test_a_direction_override_must_be_alone_in_its_box(page: Page) -> None:
    page.goto("/login")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML("beforeend",
             '<p id="shared">Navn: <b>Ola \\u202egnp.exe</b>, født 2016</p>'
             + '<p>Navn: <bdi>Ola \\u202egnp.exe</bdi>, født 2016</p>'
             + '<p>Ola \\u202egnp.exe</p>')"""
    )
    found = injected(page)
    assert len(found) == 1, found
    assert 'id="shared"' in found[0]


def test_screenshots_come_at_both_widths(page: Page) -> None:
    page.goto("/login")
    paths = screenshot(page, "harness-check")
    widths = []
    for path in paths:
        with Image.open(path) as image:
            widths.append(image.size[0])
    assert widths == [360, 1280]
    assert page.viewport_size == {"width": 1280, "height": 800}
    for path in paths:
        path.unlink()


def test_tab_to_fails_where_the_focus_does_not_show(page: Page) -> None:
    """A control without a ring fails; a checkbox counts its field's ring (Designsystemet
    rings the field, box and label, rather than the box)."""
    page.goto("/login")
    page.evaluate(
        """() => {
             document.querySelector("main").insertAdjacentHTML("beforeend",
               '<div class="ds-field"><input class="ds-input" type="checkbox" id="box">'
               + '<label class="ds-label" for="box">Boks</label></div>'
               + '<button id="bare" class="ds-button">Uten ring</button>');
             const bare = document.getElementById("bare");  // CSSOM: the CSP allows it
             bare.style.outline = "none";
             bare.style.boxShadow = "none";
           }"""
    )
    tab_to(page, "#box")
    with pytest.raises(AssertionError, match="focus not shown"):
        tab_to(page, "#bare", limit=1)
