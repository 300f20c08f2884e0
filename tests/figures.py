"""A plugin: fault tests print their figures (security-reference.md §6 words each) at the end of
the run, also when they ran on pytest-xdist workers: each test hands its line over as
the report's `figure` property."""

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    figures = [
        value
        for report in terminalreporter.stats.get("passed", [])
        for name, value in getattr(report, "user_properties", [])
        if name == "figure" and report.when == "call"
    ]
    if figures:
        terminalreporter.section("fault-test figures")
        for line in figures:
            terminalreporter.write_line(str(line))
