"""The figures tests report, printed at the end of the run (`make test`, `make fuzz`).

A test hands a figure to `record_property("figure", text)`; pytest carries it on the
test's report, also from a pytest-xdist worker to the controller, where this plugin
gathers them and prints them under "figures" after the summary.
"""

import pytest

FIGURES: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        FIGURES.extend(str(value) for name, value in report.user_properties if name == "figure")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("figures")
        for figure in FIGURES:
            terminalreporter.write_line(figure)
