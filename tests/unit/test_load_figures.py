"""The load run's arithmetic (bench/load.py): what it prints is what the users saw."""

from bench.load import RAMP_SECONDS, figures_of, rss_figures


def raw(
    statuses: dict[str, int],
    times: dict[str, list[tuple[float, float]]],
    failures: dict[str, int] | None = None,
) -> dict[str, object]:
    return {"statuses": statuses, "failures": failures or {}, "times_ms": times}


def test_every_5xx_and_task_error_of_the_run_is_counted_ramp_included() -> None:
    figures = figures_of(
        raw(
            {"200": 7, "503": 2, "500": 1, "404": 3, "0": 1},
            {"read": [(0.0, 1.0), (20.0, 2.0)]},
            {"login: password 503": 2, "task error RuntimeError": 2},
        ),
        steady_from=10,
    )

    assert figures["server_errors_5xx"] == 3
    assert figures["other_failures_4xx"] == 3
    assert figures["no_answer"] == 1
    assert figures["task_errors"] == 2


def test_throughput_and_percentiles_count_from_the_end_of_the_ramp() -> None:
    ramp = [(float(t), 5000.0) for t in range(10)]  # slow answers while users start
    steady = [(10.0 + t / 10, float(t + 1)) for t in range(101)]  # 1..101 ms over 10 s
    figures = figures_of(raw({"200": 111}, {"read": ramp + steady, "write": []}), steady_from=10)

    read = figures["kinds"]["read"]
    assert read["requests"] == 101
    assert read["per_s"] == 10.1
    assert read["p50_ms"] == 51.0
    assert read["p95_ms"] == 96.0
    assert read["p99_ms"] == 100.0
    assert figures["all"]["requests"] == 101
    assert figures["kinds"]["write"] == {"requests": 0}


def test_memory_is_judged_from_the_end_of_the_ramp_to_the_last_sample() -> None:
    rss = [400.0] * RAMP_SECONDS + [500.0, 520.0, 700.0, 510.0]

    figures = rss_figures(rss)

    assert figures["first"] == 400.0
    assert figures["after_ramp"] == 500.0
    assert figures["last"] == 510.0
    assert figures["max"] == 700.0
    assert figures["last_to_after_ramp"] == 1.02
