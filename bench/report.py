"""The benchmark report: every figure the issues ask for, from var/bench/results.json.

`make bench` ends with `python -m bench.report`, which writes `var/bench/report.md`
and its PNG plots beside it (`var/bench/report/`). Each figure stands beside its
baseline from the same run and its goal with PASS or MISS; a figure the results do
not hold is shown as "not measured" and never worked out from other figures. The
machine (CPU, cores, load averages, Python, store versions) heads the page, since the
machine the figures come from is shared.
"""

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

RESULTS = Path("var/bench/results.json")
REPORT = Path("var/bench/report.md")
STORES = ("sqlite", "postgres")
NOT_MEASURED = "not measured"

GOALS = Path(__file__).with_name("report_goals.tsv")
_SELECT = re.compile(r"\[(\w+)=([^\]]*)\]")
_BOUND = re.compile(r"(≥|≤|<)\s*([\d.]+)\s*(×)?")


def dig(results: Any, path: str) -> Any:
    """The value at `path` (keys joined by '.'; `[field=x]` picks the item of a list whose
    field is x), or None where any step of it is missing."""
    value = results
    for key in re.findall(r"\[[^\]]*\]|[^.]+", path):
        select = _SELECT.fullmatch(key)
        if select and isinstance(value, list):
            field, wanted = select.groups()
            value = next(
                (v for v in value if isinstance(v, dict) and str(v.get(field)) == wanted), None
            )
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
        if value is None:
            return None
    return value


def number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def _passes(goal: str, value: float, ratio: float | None) -> str:
    """PASS or MISS by the bound in the goal's words; "—" where they hold none."""
    bound = _BOUND.search(goal)
    if bound is None:
        return "—"
    sign, limit, times = bound.groups()
    checked = ratio if times else value
    if checked is None:
        return NOT_MEASURED
    met = {"≥": checked >= float(limit), "≤": checked <= float(limit), "<": checked < float(limit)}
    return "PASS" if met[sign] else "**MISS**"


@dataclass(frozen=True)
class Goal:
    """A figure, the baseline it is measured against, and the issue's goal for it."""

    issue: str
    figure: str
    value: str
    unit: str
    baseline: str
    baseline_label: str
    goal: str

    def row(self, results: dict[str, Any]) -> list[str]:
        value = dig(results, self.value)
        base = dig(results, self.baseline) if self.baseline else None
        base_text = ""
        if self.baseline:
            shown = number(base) if isinstance(base, int | float) else NOT_MEASURED
            base_text = f"{self.baseline_label}: {shown}"
        if not isinstance(value, int | float):
            return [self.issue, self.figure, NOT_MEASURED, base_text, "", self.goal, "—"]
        ratio = value / base if isinstance(base, int | float) and base else None
        return [
            self.issue,
            self.figure,
            f"{number(value)} {self.unit}".strip(),
            base_text,
            f"{ratio:.3f}×" if ratio is not None else "",
            self.goal,
            _passes(self.goal, value, ratio),
        ]


def goals(results: dict[str, Any]) -> list[Goal]:
    """The lines of `report_goals.tsv`, those naming a store once for each store."""
    rows: list[Goal] = []
    for line in GOALS.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        for store in STORES if any("{s}" in cell for cell in cells) else ("",):
            names = {
                "s": store,
                "events": dig(results, f"projection.{store}.events") or "?",
                "readers": dig(results, "access_log.sizes.threads") or 8,
            }
            rows.append(Goal(*(cell.format(**names) for cell in cells)))
    return rows


# ------------------------------------------------------------------ the plots


Line = tuple[str, list[float], list[float], str]
"""One line of a plot: label, x values, y values, matplotlib style."""


def _series(results: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], list[Line]]]:
    """(heading, file name, axes settings, lines) of each plot the results have data for."""
    charts: list[tuple[str, str, dict[str, Any], list[Line]]] = []
    length: list[Line] = []
    throughput: list[Line] = []
    sealed: list[Line] = []
    for store in STORES:
        points = dig(results, f"{store}.by_plan_length") or []
        events = [p["events"] for p in points]
        if points:
            length.append((f"{store}: latest state", events, [p["load_ms"] for p in points], "o-"))
            length.append(
                (f"{store}: as of (view)", events, [p["as_of_ms"] for p in points], "s--")
            )
        new, long = (
            dig(results, f"{store}.command_per_s"),
            dig(results, f"{store}.command_per_s_long_plan"),
        )
        long_events = dig(results, f"{store}.long_plan_events")
        if all(isinstance(x, int | float) for x in (new, long, long_events)):
            throughput.append((store, [2, long_events], [new, long], "o-"))
        archive = dig(results, f"archive.{store}") or {}
        sizes = sorted((k for k in archive if k.isdigit()), key=int)
        if sizes:
            ms = [archive[k]["seal_and_verify_ms"] for k in sizes]
            sealed.append((store, [int(k) for k in sizes], ms, "o-"))
    axes: dict[str, Any]  # a chart's axes: labels, scale, ticks
    by_length = {"xlabel": "plan length, events", "ylabel": "ms (median)"}
    if length:
        axes = by_length | {"title": "Load time by plan length"}
        charts.append(
            ("Load latency against plan length", "latency-by-plan-length.png", axes, length)
        )
    if throughput:
        axes = {
            "xlabel": "plan length, events (new plans: 2)",
            "ylabel": "commands/s (median)",
            "title": "Command throughput by plan length",
            "xscale": "log",
        }
        name = "throughput-by-plan-length.png"
        charts.append(("Command throughput against plan length", name, axes, throughput))
    if sealed:
        axes = by_length | {"title": "Seal + verify of a plan's record by plan length"}
        name = "seal-by-plan-length.png"
        charts.append(("Seal and verify latency against plan length", name, axes, sealed))
    connections = dig(results, "pages.by_connections")
    if connections:
        xs = [p["connections"] for p in connections]
        by_connections = {
            "xlabel": "connections (wrk)",
            "xscale": "log",
            "xticks": xs,
            "xticklabels": [str(x) for x in xs],
        }
        rate = [("requests/s", xs, [p["requests_per_s"] for p in connections], "o-")]
        axes = by_connections | {"ylabel": "requests/s", "title": "GET /api/v1/plans/{id}, SQLite"}
        charts.append(
            (
                "Plan view throughput against concurrency",
                "throughput-by-connections.png",
                axes,
                rate,
            )
        )
        latency = [
            ("p50", xs, [p["p50_ms"] for p in connections], "o-"),
            ("p99", xs, [p["p99_ms"] for p in connections], "s--"),
        ]
        axes = by_connections | {"ylabel": "ms", "title": "Plan view latency by concurrency"}
        charts.append(
            ("Plan view latency against concurrency", "latency-by-connections.png", axes, latency)
        )
    return charts


def plots(results: dict[str, Any], directory: Path) -> list[tuple[str, str]]:
    """PNGs of the series the results hold: (heading, file name) of each one drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = []
    for heading, name, axes, lines in _series(results):
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
        for label, xs, ys, style in lines:
            ax.plot(xs, ys, style, label=label)
        ax.set(**axes)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize="small")
        directory.mkdir(parents=True, exist_ok=True)
        fig.tight_layout()
        fig.savefig(directory / name, dpi=100, metadata={"Software": None})
        plt.close(fig)
        drawn.append((heading, name))
    return drawn


# ------------------------------------------------------------------ the page


def machine_lines(results: dict[str, Any], note: str) -> list[str]:
    info = results.get("machine") or {}
    packages = ", ".join(f"{k} {v}" for k, v in (info.get("packages") or {}).items())
    started = info.get("loadavg")
    pages_load = dig(results, "pages.loadavg")
    stores = [
        f"SQLite {dig(results, 'sqlite.detail.settings.version') or NOT_MEASURED}",
        "PostgreSQL "
        + str(dig(results, "postgres.detail.settings.server_version") or NOT_MEASURED),
    ]
    lines = [
        "## Machine",
        "",
        f"- CPU: {info.get('cpu') or NOT_MEASURED}; cores: {info.get('nproc') or NOT_MEASURED}",
        f"- Python: {info.get('python') or NOT_MEASURED}; {info.get('platform') or ''}".rstrip(
            "; "
        ),
        f"- Stores: {', '.join(stores)}; packages: {packages or NOT_MEASURED}",
        "- Load average (1, 5, 15 min): "
        + f"at the start of `python -m bench`: {_load(started)}; "
        + f"after the page benchmark: {_load(pages_load)}; "
        + f"when this report was written: {_load(os.getloadavg())}",
    ]
    if note:
        lines.append(f"- {note}")
    return [*lines, ""]


def _load(value: Any) -> str:
    if isinstance(value, list | tuple) and len(value) == 3:
        return ", ".join(f"{v:.2f}" for v in value)
    return NOT_MEASURED


def render(results: dict[str, Any], plot_dir: Path, link_dir: str, note: str = "") -> str:
    """The report as Markdown; the plots written into `plot_dir`, linked as `link_dir/...`."""
    mode = results.get("mode", NOT_MEASURED)
    lines = [
        "# Stafett benchmark report",
        "",
        "Written by `python -m bench.report` from `var/bench/results.json` (the last "
        f"`make bench`; the store benchmark's mode: {mode}). Each figure stands beside its "
        "baseline measured in the same run; a figure the run did not measure says so. "
        "The goals are those of issues 13 and 14 (`bench/report_goals.tsv`); issue '—' is "
        "a goal a benchmark states of its own.",
        "",
        *machine_lines(results, note),
        "## Figures and goals",
        "",
        "| issue | figure | value | baseline (same run) | ratio | goal | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    rows = [goal.row(results) for goal in goals(results)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    passed = sum(row[-1] == "PASS" for row in rows)
    missed = sum(row[-1] == "**MISS**" for row in rows)
    unmeasured = sum(row[2] == NOT_MEASURED for row in rows)
    lines += [
        "",
        f"{passed} goals met, {missed} missed; {unmeasured} figures not measured by this run.",
        "",
    ]
    errors = {
        f"{section}/{store}": error
        for section, value in results.items()
        if isinstance(value, dict)
        for store, error in (value.get("errors") or {}).items()
    } | {f"bench/{k}": v for k, v in (results.get("errors") or {}).items()}
    if errors:
        lines += ["## Failed runs", ""] + [f"- {k}: {v}" for k, v in errors.items()] + [""]
    drawn = plots(results, plot_dir)
    lines += ["## Plots", ""]
    if not drawn:
        lines += ["No series in the results: no plots.", ""]
    for title, name in drawn:
        lines += [f"### {title}", "", f"![{title}]({link_dir}/{name})", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--out", type=Path, default=REPORT, help="the Markdown file to write")
    parser.add_argument("--note", default="", help="a line about the run, under the machine")
    args = parser.parse_args(argv)
    if not args.results.exists():
        print(f"{args.results} does not exist: run `make bench` first", file=sys.stderr)
        return 1
    results = msgspec.json.decode(args.results.read_bytes())
    plot_dir = args.out.parent / args.out.stem  # report.md -> report/*.png
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(results, plot_dir, args.out.stem, args.note) + "\n")
    print(f"written to {args.out} (plots in {plot_dir})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
