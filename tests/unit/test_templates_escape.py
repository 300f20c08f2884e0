"""Nothing in a page is marked safe but what the service itself made (SEC-VAL-03).

The templates autoescape; this is the lint rule the requirement asks for beside the
stored-XSS corpus of the browser tests (tests/browser/test_stored_xss.py): every use of
Jinja's `safe` filter, every `{% autoescape false %}` and every `Markup(...)` in the
code is listed here with why what it marks cannot hold a person's input. A new one
fails this test until it is reviewed and named.
"""

import ast
from pathlib import Path

from jinja2 import nodes

from stafett.web.pages.render import TEMPLATES, environment

SRC = Path(__file__).parents[2] / "src" / "stafett"

# (template, the expression marked safe): why it holds no input.
SAFE_IN_TEMPLATES = {
    ("profile/authenticator.html", "qr"): "an SVG that segno draws of the otpauth URI "
    "(geometry and the page's own title), made by qr_svg in web/pages/profile.py",
}
# (module, line's code): why it holds no input.
MARKUP_IN_CODE = {
    ("web/pages/render.py", "_formatted"): "a translated page string of our catalogs, "
    "formatted with no variables",
    ("web/pages/render.py", "_page_gettext"): "a translated page string of our catalogs; "
    "the variables `%` puts in are escaped by Markup's own formatting",
}


def marked_safe(tree: nodes.Template) -> list[str]:
    found = [node.node for node in tree.find_all(nodes.Filter) if node.name == "safe"]
    for node in tree.find_all((nodes.MarkSafe, nodes.MarkSafeIfAutoescape)):
        assert isinstance(node, (nodes.MarkSafe, nodes.MarkSafeIfAutoescape))
        found.append(node.expr)
    names = []
    for expression in found:
        names.append(
            expression.name if isinstance(expression, nodes.Name) else type(expression).__name__
        )
    return names


def test_only_reviewed_expressions_are_marked_safe_in_templates() -> None:
    env = environment()
    marked: set[tuple[str, str]] = set()
    unescaped: list[str] = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        tree = env.parse(path.read_text(encoding="utf-8"), name=name)
        marked |= {(name, expression) for expression in marked_safe(tree)}
        for modifier in tree.find_all(nodes.EvalContextModifier):
            for keyword in modifier.options:
                if keyword.key == "autoescape" and not (
                    isinstance(keyword.value, nodes.Const) and keyword.value.value is True
                ):
                    unescaped.append(name)
    assert marked == set(SAFE_IN_TEMPLATES)
    assert unescaped == []
    assert env.autoescape is True


class MarkupCalls(ast.NodeVisitor):
    """Each call of `Markup(...)`, by the function it stands in."""

    def __init__(self) -> None:
        self.within = ["<module>"]
        self.found: list[str] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.within.append(node.name)
        self.generic_visit(node)
        self.within.pop()

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.visit_FunctionDef(node)

    def visit_Call(self, node: ast.Call) -> None:
        called = node.func
        name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", "")
        if name == "Markup":
            self.found.append(self.within[-1])
        self.generic_visit(node)


def test_markup_is_made_only_where_reviewed() -> None:
    made: set[tuple[str, str]] = set()
    for path in sorted(SRC.rglob("*.py")):
        calls = MarkupCalls()
        calls.visit(ast.parse(path.read_text(encoding="utf-8")))
        made |= {(path.relative_to(SRC).as_posix(), where) for where in calls.found}
    assert made == set(MARKUP_IN_CODE)
