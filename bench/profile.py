"""Sampling profiles of a running server: `py-spy record` beside a load, and a summary.

`sampling(pid, seconds, path)` records the process's stacks (py-spy's raw, collapsed
format: one line a stack, frames joined by ';', then the count of samples) while the
load runs; `summary(path)` prints the functions that hold the most samples, both where
the sample was taken (self) and anywhere on its stack (total), as shares of all samples.
py-spy (a dev dependency) samples from outside the process: nothing in Stafett changes.
"""

import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def sampling(pid: int, seconds: int, path: Path) -> Iterator[None]:
    """py-spy records `pid` for `seconds`: 100 samples/s of the thread holding the GIL
    (where Python code runs; a thread waiting on I/O or a lock is not sampled)."""
    spy = shutil.which("py-spy") or str(Path(__file__).parent.parent / ".venv/bin/py-spy")
    args = [spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "100", "--gil"]
    args += ["--format", "raw", "--output", str(path), "--nonblocking"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.wait(timeout=seconds + 60)


def _frame(frame: str) -> str:
    """`function (file.py:line)` → `function (file.py)`: lines of one function together."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else name


def summary(path: Path, top: int = 25) -> str:
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_frame(f) for f in stack.split(";")]
        n = int(count)
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            anywhere[frame] += n
    lines = [f"{samples} samples; self (where the sample was taken):"]
    lines += [f"  {100 * n / samples:5.1f} %  {f}" for f, n in own.most_common(top)]
    lines.append("total (anywhere on the stack):")
    lines += [f"  {100 * n / samples:5.1f} %  {f}" for f, n in anywhere.most_common(top)]
    return "\n".join(lines)
