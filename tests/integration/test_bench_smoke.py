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
