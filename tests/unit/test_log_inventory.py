"""Every event the code logs has exactly one row in the log inventory (SEC-LOG-01).

docs/logs.md holds one table with a row per event name. This test reads every module
under src/stafett with `ast`, finds each call `log.<level>(event, ...)` and the event
names it can write, and compares them with the table's rows: the names, and for each
name its levels, its fields (the keyword names the calls pass) and its modules.

An event name given as a string literal is read as it stands. Other first arguments are
read only in the ways listed here: a conditional expression of literals, a module-level
string constant, or a parameter of a function named in `EVENT_PARAMETERS` (checked
against that function's callers). Any other first argument fails the test with its file
and line, so that no event can be written without a row.
"""

import ast
import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).parents[2]
SRC = ROOT / "src" / "stafett"
INVENTORY = ROOT / "docs" / "logs.md"

# A logger method, and the `level` its line carries (`exception` writes `error`).
LEVELS = {
    "debug": "debug",
    "info": "info",
    "warning": "warning",
    "error": "error",
    "exception": "error",
    "critical": "critical",
}
LOGGER = "log"  # every module's `log = structlog.get_logger(__name__)`
# (module, name): a logger of another name. The request log's (`_ConfiguredLogger`)
# writes `http_request` through its own proxy.
OTHER_LOGGERS = frozenset({("web/logging.py", "access_log")})
# Where loggers are made other than as `log = ...get_logger(...)`: the logging setup.
LOGGING_SETUP = "web/logging.py"
# (module, function): the event names its parameter, passed on as the event, is given.
# The test checks that the module's calls of the function pass exactly these literals.
EVENT_PARAMETERS: dict[tuple[str, str], frozenset[str]] = {
    ("applications/logins.py", "_logged"): frozenset(
        {"participant_login_given", "participant_activation_resent"}
    ),
    ("projections/runner.py", "_noted"): frozenset(
        {"projection_fault_not_recorded", "projection_fault_not_cleared"}
    ),
}
HEADER = ["event", "level", "written when", "fields", "module"]
NAME = re.compile(r"`([a-z][a-z0-9_]*)`")


@dataclass(frozen=True)
class Written:
    """One event name one call can write."""

    event: str
    level: str
    fields: tuple[str, ...]
    module: str
    line: int


@dataclass
class Walk:
    written: list[Written] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _literals(node: ast.expr) -> set[str] | None:
    """The names a literal or a conditional expression of literals can be; else None."""
    text = _literal(node)
    if text is not None:
        return {text}
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        if body is not None and orelse is not None:
            return body | orelse
    return None


def _module_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "text"` (or annotated), each assigned once."""
    seen: dict[str, list[str | None]] = defaultdict(list)
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    seen[target.id].append(_literal(statement.value))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            seen[statement.target.id].append(_literal(statement.value))
    return {name: values[0] for name, values in seen.items() if len(values) == 1 and values[0]}


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    arguments = function.args
    return [a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]]


def _bound_in(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names a function's parameters or assignments bind (they hide a module constant)."""
    stored = {
        node.id
        for node in ast.walk(function)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    return stored | set(_parameters(function))


def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    if position < len(call.args):
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_make_logger(call: ast.Call) -> bool:
    called = call.func
    name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
    return name in {"get_logger", "getLogger"}


class _Module(ast.NodeVisitor):
    """The log calls of one module."""

    def __init__(self, module: str, tree: ast.Module, walk: Walk) -> None:
        self.module = module
        self.tree = tree
        self.walk = walk
        self.constants = _module_constants(tree)
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.named_loggers: set[int] = set()  # ids of `log = get_logger(...)` calls

    def where(self, node: ast.AST) -> str:
        return f"src/stafett/{self.module}:{getattr(node, 'lineno', '?')}"

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node)
        self.generic_visit(node)
        self.functions.pop()

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.visit_FunctionDef(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if isinstance(node.value, ast.Call) and targets == [LOGGER]:
            self.named_loggers.add(id(node.value))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        called = node.func
        made_elsewhere = self.module != LOGGING_SETUP and id(node) not in self.named_loggers
        if _is_make_logger(node) and made_elsewhere:
            self.walk.problems.append(
                f"{self.where(node)}: a logger not named `{LOGGER}`: its events would not "
                "be found (name it `log`, or add it to OTHER_LOGGERS)"
            )
        if (
            isinstance(called, ast.Attribute)
            and called.attr in LEVELS
            and isinstance(called.value, ast.Name)
            and (called.value.id == LOGGER or (self.module, called.value.id) in OTHER_LOGGERS)
        ):
            self.log_call(node, LEVELS[called.attr])
        self.generic_visit(node)

    def log_call(self, call: ast.Call, level: str) -> None:
        fields = tuple(k.arg if k.arg is not None else "**" for k in call.keywords)
        first = call.args[0] if call.args else None
        names = self.names_of(first, call) if first is not None else None
        if names is None:
            shown = ast.unparse(first) if first is not None else "(none)"
            self.walk.problems.append(
                f"{self.where(call)}: the event name {shown} is not a string literal, a "
                "conditional expression of literals, a module constant or a parameter "
                "named in EVENT_PARAMETERS: give it a literal, or teach this test its values"
            )
            return
        if "**" in fields:
            self.walk.problems.append(f"{self.where(call)}: fields passed as **mapping")
        for name in sorted(names):
            self.walk.written.append(Written(name, level, fields, self.module, call.lineno))

    def names_of(self, first: ast.expr, call: ast.Call) -> set[str] | None:
        names = _literals(first)
        if names is not None or not isinstance(first, ast.Name):
            return names
        function = self.functions[-1] if self.functions else None
        if function is not None and first.id in _parameters(function):
            return self.parameter_names(function, first.id, call)
        if function is not None and first.id in _bound_in(function):
            return None
        constant = self.constants.get(first.id)
        return {constant} if constant is not None else None

    def parameter_names(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, parameter: str, call: ast.Call
    ) -> set[str] | None:
        """The names EVENT_PARAMETERS gives `function`, once its callers are seen to pass
        exactly those."""
        listed = EVENT_PARAMETERS.get((self.module, function.name))
        if listed is None:
            return None
        position = _parameters(function).index(parameter)
        passed: set[str] = set()
        for node in ast.walk(self.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == function.name
            ):
                given = _argument(node, position, parameter)
                names = _literals(given) if given is not None else None
                if names is None:
                    self.walk.problems.append(
                        f"{self.where(node)}: {function.name}() is called without a literal "
                        f"`{parameter}`: its event name cannot be checked"
                    )
                    continue
                passed |= names
        if passed != listed:
            self.walk.problems.append(
                f"{self.where(call)}: EVENT_PARAMETERS lists {sorted(listed)} for "
                f"{function.name}(), its callers pass {sorted(passed)}"
            )
        return set(listed)


@functools.cache
def walk_code() -> Walk:
    walk = Walk()
    for path in sorted(SRC.rglob("*.py")):
        module = path.relative_to(SRC).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        _Module(module, tree, walk).visit(tree)
    return walk


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


@functools.cache
def inventory_rows() -> list[list[str]]:
    """The cells of each row of the inventory's one table."""
    lines = INVENTORY.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("|") and _cells(line) == HEADER]
    assert len(starts) == 1, f"docs/logs.md needs exactly one table headed {HEADER}"
    rows = []
    for line in lines[starts[0] + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(_cells(line))
    return rows


def _names_in(cell: str) -> set[str]:
    """The backticked names of a cell separated by ", " (any other part as it stands)."""
    names = set()
    for part in cell.split(","):
        match = NAME.fullmatch(part.strip())
        names.add(match.group(1) if match else part.strip())
    return names


def documented() -> dict[str, list[str]]:
    """Each row by its event name."""
    by_name: dict[str, list[str]] = {}
    for row in inventory_rows():
        match = NAME.fullmatch(row[0])
        assert match, f"the first cell of a row is an event name in backticks, not {row[0]!r}"
        assert len(row) == len(HEADER), f"the row of {row[0]} has {len(row)} cells"
        assert match.group(1) not in by_name, f"{row[0]} has two rows in docs/logs.md"
        by_name[match.group(1)] = row
    return by_name


def test_every_log_call_names_its_event_in_a_way_this_test_reads() -> None:
    problems = walk_code().problems
    assert not problems, "\n".join(problems)


def test_the_request_log_line_is_found() -> None:
    found = {w.event: w for w in walk_code().written}
    assert "http_request" in found
    assert found["http_request"].module == "web/logging.py"


def test_the_inventory_lists_exactly_the_events_the_code_writes() -> None:
    in_code = {w.event for w in walk_code().written}
    in_doc = set(documented())
    missing = sorted(in_code - in_doc)
    never_written = sorted(in_doc - in_code)
    assert in_doc == in_code, (
        f"docs/logs.md lacks a row for {missing}; "
        f"it lists {never_written}, which the code never writes"
    )


def test_the_inventory_rows_are_sorted_by_event_name() -> None:
    names = list(documented())
    assert names == sorted(names)


def test_each_row_gives_the_levels_fields_and_modules_of_its_event() -> None:
    levels: dict[str, set[str]] = defaultdict(set)
    fields: dict[str, set[str]] = defaultdict(set)
    modules: dict[str, set[str]] = defaultdict(set)
    for w in walk_code().written:
        levels[w.event].add(w.level)
        fields[w.event].update(w.fields)
        modules[w.event].add(w.module)
    wrong = []
    for name, row in documented().items():
        if name not in levels:
            continue  # the test above names it
        _, level, _, field_cell, module_cell = row
        given_levels = {part.strip() for part in level.split(",")}
        if given_levels != levels[name]:
            wrong.append(f"{name}: level {sorted(given_levels)}, code {sorted(levels[name])}")
        given_fields = _names_in(field_cell)
        if given_fields != fields[name]:
            wrong.append(f"{name}: fields {sorted(given_fields)}, code {sorted(fields[name])}")
        given_modules = {part.strip().strip("`") for part in module_cell.split(",")}
        if given_modules != modules[name]:
            wrong.append(f"{name}: module {sorted(given_modules)}, code {sorted(modules[name])}")
    assert not wrong, "docs/logs.md does not match the code:\n" + "\n".join(wrong)
