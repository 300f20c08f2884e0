"""The benchmark runs end to end (on SQLite, at tiny sizes), so it cannot rot.

No timings are asserted: only that every figure is there and positive.
"""

import json
from pathlib import Path

import pytest
from bench.run import KEYS, Sizes, main

TINY = Sizes(
    plans=3,
    raw_block=5,
    rounds=1,
    long_events=300,
    long_block=10,
    as_of=150,
    load_runs=1,
    replay_runs=1,
)


def test_quick_bench_on_sqlite_reports_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.json"

    assert main(["--quick", "--only", "sqlite", "--out", str(out)], quick_sizes=TINY) == 0

    results = json.loads(out.read_text())
    assert "postgres" not in results
    sqlite = results["sqlite"]
    for key in (*KEYS, "command_over_raw", "long_over_command"):
        assert isinstance(sqlite[key], float), key
        assert sqlite[key] > 0, key
    storage = sqlite["detail"]["long_plan_storage"]
    assert storage["snapshots"] == 3
    assert storage["latest_snapshot_version"] == 300
    printed = capsys.readouterr().out
    assert all(key in printed for key in KEYS)


def test_projection_bench_on_sqlite_reports_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import projection

    out = tmp_path / "results.json"
    out.write_text('{"sqlite": {"kept": true}}')
    tiny = projection.Sizes(plans=12, user_plans=5, query_runs=3, baseline_runs=1)

    assert (
        projection.main(["--quick", "--only", "sqlite", "--out", str(out)], quick_sizes=tiny) == 0
    )

    results = json.loads(out.read_text())
    assert results["sqlite"] == {"kept": True}  # merged, not overwritten
    figures = results["projection"]["sqlite"]
    assert figures["events"] == 12 * projection.EVENTS_PER_PLAN
    assert figures["tracking_id"] is not None
    for _, key, _ in projection.ROWS:
        assert figures[key] > 0, key
    assert "projection catch-up, events/s" in capsys.readouterr().out


def test_plan_view_bench_on_sqlite_reports_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import plan_view

    out = tmp_path / "results.json"
    tiny = plan_view.Sizes(goals=3, comments=10, runs=2)

    assert plan_view.main(["--quick", "--only", "sqlite", "--out", str(out)], quick_sizes=tiny) == 0

    figures = json.loads(out.read_text())["plan_view"]["sqlite"]
    for key in ("load_ms", "view_coordinator_ms", "view_relative_without_goals_ms"):
        assert figures[key]["median_ms"] > 0, key
    assert figures["sizes"] == {"goals": 3, "comments": 10, "runs": 2}
    assert "view as coordinator" in capsys.readouterr().out


def test_as_participant_bench_on_sqlite_reports_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import as_participant

    out = tmp_path / "results.json"
    tiny = as_participant.Sizes(events=300, runs=3)

    assert (
        as_participant.main(["--quick", "--only", "sqlite", "--out", str(out)], quick_sizes=tiny)
        == 0
    )

    figures = json.loads(out.read_text())["as_participant"]["sqlite"]
    for _, key in as_participant.ROWS:
        assert figures[key]["median_ms"] > 0, key
    low, high = figures["versions_drawn"]
    assert 1 <= low <= high <= 300
    assert "as a participant at a random instant" in capsys.readouterr().out


def test_archive_bench_on_sqlite_reports_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import archive

    out = tmp_path / "results.json"
    tiny = archive.Sizes(events=(120,), runs=1)

    assert archive.main(["--quick", "--only", "sqlite", "--out", str(out)], quick_sizes=tiny) == 0

    figures = json.loads(out.read_text())["archive"]["sqlite"]["120"]
    for key in ("seal_ms", "verify_ms", "seal_and_verify_ms", "record_kb"):
        assert figures[key] > 0, key
    printed = capsys.readouterr().out
    assert "120 events: seal + verify, ms" in printed
    assert "goal seal + verify < 1000 ms at 120 events, sqlite" in printed


def test_notifications_bench_on_sqlite_reports_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import notifications

    out = tmp_path / "results.json"
    tiny = notifications.Sizes(plans=4)

    assert (
        notifications.main(["--quick", "--only", "sqlite", "--out", str(out)], quick_sizes=tiny)
        == 0
    )

    figures = json.loads(out.read_text())["notifications"]["sqlite"]
    assert figures["events"] == 4 * notifications.EVENTS_PER_PLAN
    assert figures["outbox_rows"] == 4 * 16  # four content events, each told twice by two channels
    assert figures["rows_after_rebuild"] == figures["outbox_rows"]
    for _, key, _ in notifications.ROWS:
        assert figures[key] > 0, key
    assert "notice fan-out, outbox rows/s" in capsys.readouterr().out
