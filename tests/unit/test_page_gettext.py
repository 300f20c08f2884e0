"""The pages' `_()` and macros called past Jinja's `Context.call` (`PageContext`): the same
text, in a loop and outside, with and without variables, escaped as before, macros with
and without a caller; and the look skipped."""

from datetime import date
from typing import Any

import pytest
from jinja2.runtime import Context, Macro

from stafett.web import i18n
from stafett.web.pages import render

TEMPLATE = (
    '{{ _("No") }}|{% for n in numbers %}{{ _("Yes") }}'
    '{{ _("expires in %(days)s days", days=n) }}{% endfor %}|'
    '{% set label = _("Owner") %}{{ label }}|{{ _("expires in %(days)s days", days=hostile) }}'
)
HOSTILE = '<script>alert("x")</script>'


def _rendered(env: Any) -> str:
    with i18n.language("nb"):
        return str(env.from_string(TEMPLATE).render(numbers=[1, 2], hostile=HOSTILE))


def test_the_direct_call_renders_what_jinjas_own_call_renders() -> None:
    direct = render.environment()
    jinjas = render.environment()
    jinjas.context_class = Context
    assert _rendered(direct) == _rendered(jinjas)
    text = _rendered(direct)
    assert text.startswith("Nei|Ja")
    assert "utgår om 2 dager" in text
    assert "&lt;script&gt;" in text
    assert "<script>" not in text


def test_the_pages_gettext_does_not_take_jinjas_look(monkeypatch: pytest.MonkeyPatch) -> None:
    looked: list[object] = []
    original = Context.call

    def counted(self: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        looked.append(obj)
        return original(self, obj, *args, **kwargs)

    monkeypatch.setattr(Context, "call", counted)
    env = render.environment()
    with i18n.language("nb"):
        looping = "{% macro box() %}[{{ caller() }}]{% endmacro %}{% for n in [1, 2] %}"
        looping += '{{ _("Yes") }}{{ "x"|upper }}{% call box() %}{{ n }}{% endcall %}{% endfor %}'
        assert env.from_string(looping).render() == "Ja[1]Ja[2]".replace("Ja", "JaX")
        env.from_string("{{ range(2)|list }}{{ dict(a=1) }}").render()
    assert render._page_gettext not in looked
    assert not any(isinstance(obj, Macro) for obj in looked)
    assert looked  # every other call still takes Jinja's way


MACROS = """{% import "macros.html" as m with context %}{% import "plans/parts.html" as p %}
{% for n in numbers %}{{ p.yes_no(n) }}{{ p.consent_expires(on, n) }}{% endfor %}
{{ m.field("x", "X", value=hostile, errors={"x": hostile}) }}
{% macro box(title) %}<div>{{ title }}{{ caller(title) }}</div>{% endmacro %}
{% call(t) box(hostile) %}[{{ t }}]{% endcall %}"""


def test_macros_render_as_through_jinjas_own_call() -> None:
    def rendered(env: Any) -> str:
        with i18n.language("nb"):
            template = env.from_string(MACROS)
            return str(
                template.render(numbers=[-1, 0, 1, 5, 40], on=date(2027, 1, 2), hostile=HOSTILE)
            )

    jinjas = render.environment()
    jinjas.context_class = Context
    direct = rendered(render.environment())
    assert direct == rendered(jinjas)
    assert "utgår om 5 dager" in direct
    assert "<script>" not in direct
