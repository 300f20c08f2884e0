"""The benchmark report shows what the results hold, beside its baseline and goal, and
invents nothing: a figure the results lack reads "not measured"."""

import json
from pathlib import Path
from typing import Any

from bench.report import NOT_MEASURED, main

PNG = b"\x89PNG\r\n\x1a\n"


def small_results() -> dict[str, Any]:
    return {
        "mode": "quick",
        "machine": {
            "nproc": 2,
            "cpu": "Test CPU 9000",
            "loadavg": [3.25, 2.5, 1.75],
            "python": "CPython 3.11.9",
            "platform": "Linux",
            "packages": {"eventsourcing": "9.5.0"},
        },
        "sqlite": {
            "raw_insert_per_s": 1000.0,
            "command_per_s": 400.0,  # 0.4× raw: a miss
            "command_per_s_long_plan": 360.0,  # 0.9× new: a pass
            "load_latest_10k_ms": 7.5,  # > 5 ms: a miss
            "load_latest_10k_no_snapshot_ms": 900.0,
            "as_of_5k_ms": 12.25,  # ≤ 20 ms: a pass
            "long_plan_events": 2000,
            "by_plan_length": [
                {"events": 1000, "load_ms": 2.0, "as_of_ms": 4.0},
                {"events": 2000, "load_ms": 3.0, "as_of_ms": 6.0},
            ],
            "detail": {
                "settings": {"version": "3.46.1"},
                "long_plan_storage": {"snapshot_and_chunk_bytes": 1500, "event_bytes": 1000},
            },
        },
        "pages": {
            "loadavg": [4.0, 3.0, 2.0],
            "targets": [
                {"name": "bare litestar /health", "requests_per_s": 10000.0},
                {"name": "stafett /health", "requests_per_s": 6000.0},
                # The plan list's page has no figure: its row must say "not measured".
            ],
            "by_connections": [
                {"connections": 1, "requests_per_s": 300.0, "p50_ms": 3.0, "p99_ms": 5.0},
                {"connections": 32, "requests_per_s": 250.0, "p50_ms": 120.0, "p99_ms": 300.0},
            ],
        },
        "projection": {"sqlite": {"catch_up_per_s": 7777.0}},  # no log read: no baseline
    }


def row(report: str, figure: str) -> list[str]:
    rows = [
        [cell.strip() for cell in line.strip("|").split(" | ")]
        for line in report.splitlines()
        if line.startswith("| ")
    ]
    found = [cells for cells in rows if cells[1] == figure]
    assert len(found) == 1, (figure, found)
    return found[0]


def write_report(tmp_path: Path, results: dict[str, Any]) -> str:
    source = tmp_path / "results.json"
    source.write_text(json.dumps(results))
    out = tmp_path / "docs" / "report.md"
    assert main(["--results", str(source), "--out", str(out), "--note", "Shared machine."]) == 0
    return out.read_text()


def test_each_figure_stands_beside_its_baseline_with_its_verdict(tmp_path: Path) -> None:
    report = write_report(tmp_path, small_results())

    health = row(report, "Stafett /health, req/s")
    assert health[2:] == ["6 000", "bare /health: 10 000", "0.600×", "≥ 0.5× bare", "PASS"]
    assert row(report, "sqlite: commands/s")[4:] == ["0.400×", "≥ 0.5× raw", "**MISS**"]
    assert row(report, "sqlite: commands/s on the 10,000-event plan")[4:] == [
        "0.900×",
        "≥ 0.8× new",
        "PASS",
    ]
    latest = row(report, "sqlite: latest state of the 10,000-event plan, ms")
    assert latest[2:4] == ["7.50 ms", "replay without snapshots: 900"]
    assert latest[-1] == "**MISS**"
    assert row(report, "sqlite: as of version 5,000, ms")[-1] == "PASS"
    assert row(report, "sqlite: snapshot and chunk bytes of the 10,000-event plan")[4:] == [
        "1.500×",
        "≤ 2× event bytes",
        "PASS",
    ]
    connections = row(report, "plan view, 32 connections, req/s")
    assert connections[3:] == [
        "1 connection: 300",
        "0.833×",
        "32 never slower than 1 (≥ 1×)",
        "**MISS**",
    ]


def test_a_figure_the_results_lack_is_not_measured_and_not_worked_out(tmp_path: Path) -> None:
    report = write_report(tmp_path, small_results())

    assert row(report, "plan list, req/s")[2:] == [
        NOT_MEASURED,
        "bare /health: 10 000",
        "",
        "≥ 0.25× bare",
        "—",
    ]
    for store_figure in (
        "postgres: commands/s",
        "postgres: latest state of the 10,000-event plan, ms",
    ):
        assert row(report, store_figure)[2] == NOT_MEASURED
    # A figure without its baseline gets no ratio and no verdict on one.
    catch_up = row(report, "sqlite: projection catch-up, events/s")
    assert catch_up[2:] == [
        "7 777",
        f"log read: {NOT_MEASURED}",
        "",
        "≥ 0.5× log read",
        NOT_MEASURED,
    ]
    assert "PostgreSQL not measured" in report
    assert "goals met" in report


def test_the_machine_and_the_plots_of_the_series_are_in_the_report(tmp_path: Path) -> None:
    report = write_report(tmp_path, small_results())

    assert "Test CPU 9000; cores: 2" in report
    assert "at the start of `python -m bench`: 3.25, 2.50, 1.75" in report
    assert "after the page benchmark: 4.00, 3.00, 2.00" in report
    assert "SQLite 3.46.1" in report
    assert "- Shared machine." in report
    plots = tmp_path / "docs" / "report"
    drawn = sorted(p.name for p in plots.iterdir())
    assert drawn == [
        "latency-by-connections.png",
        "latency-by-plan-length.png",
        "throughput-by-connections.png",
        "throughput-by-plan-length.png",
    ]
    for name in drawn:
        assert (plots / name).read_bytes().startswith(PNG)
        assert f"](report/{name})" in report


def test_results_without_series_give_no_plots_and_say_so(tmp_path: Path) -> None:
    report = write_report(tmp_path, {"machine": {}})

    assert "No series in the results: no plots." in report
    assert not (tmp_path / "docs" / "report").exists()
    assert "0 goals met, 0 missed" in report
