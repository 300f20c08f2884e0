"""A full disk and a read-only database under SQLite (issue 14 item 4), with `stafett
serve` running and never restarted.

- Full: the database file lives on a small tmpfs of its own (mounted by the test, as
  root, and always unmounted again), filled to the last byte; then the filler is
  deleted.
- Read-only: Linux will not remount a filesystem read-only while a process holds a
  file on it open for writing (EBUSY), which is what a running service does. What a
  writer meets on a filesystem that turned read-only under it (ext4's
  errors=remount-ro) is EROFS from every write; strace, attached to the web process,
  makes each of its file writes (pwrite64, which SQLite uses) fail with EROFS, and
  detaching it makes the filesystem writable again.

Each time:
- writes answer 503 with Retry-After and a problem-details body, never another 5xx;
- nothing is half-written: no refused write is in the store, every write answered 201
  is there once, versions have no gaps, and a refused write sent again with its
  Idempotency-Key once the fault is gone ends as exactly one goal;
- reads answer as they can: 200, or 503 where the read must write first (plan content
  is shown only once the access log has recorded the read);
- once the fault is gone, writes succeed again by themselves, and the plan list
  catches up.
"""

import errno
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID, uuid4

import httpx

from stafett.aggregates.plan_events import GoalSet
from tests.faults.served import Record, Served, environment, open_store, prepare, session_headers

FILESYSTEM_BYTES = 48 * 1_048_576
MAX_WRITES_TO_REFUSAL = 4_000  # writes until the full disk refuses one (WAL space is reused)
REFUSALS = 5  # refused writes each fault must answer before space returns
RECOVERY_SECONDS = 30.0
INJECT_EROFS = ("-e", "trace=pwrite64", "-e", "inject=pwrite64:error=EROFS")
READS = ("/health", "/api/v1/me", "/api/v1/plans/{plan_id}", "/api/v1/plans/{plan_id}/timeline")


@contextmanager
def read_only_writes(pid: int, log: Path) -> Iterator[None]:
    """Every pwrite64 of process `pid` fails with EROFS until the block is left."""
    tracer = subprocess.Popen(
        ["strace", "-f", "-qq", "-p", str(pid), "-o", str(log), *INJECT_EROFS]
    )
    try:
        yield
    finally:
        tracer.send_signal(signal.SIGINT)  # strace detaches and lets the process run on
        tracer.wait(timeout=30)


@contextmanager
def small_filesystem(where: Path, size: int) -> Iterator[Path]:
    """A tmpfs of `size` bytes at `where`, unmounted again whatever happens."""
    where.mkdir()
    assert os.geteuid() == 0, "mounting a small tmpfs needs root (as on the project's machines)"
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(filler: Path) -> int:
    """Write `filler` until the filesystem has no byte left; the bytes written."""
    written, chunk = 0, b"\0" * 65_536
    with filler.open("wb", buffering=0) as out:
        while len(chunk) > 0:
            try:
                written += out.write(chunk)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                chunk = chunk[: len(chunk) // 2]
    return written


@dataclass
class Writes:
    """Every goal write sent: its key, and what it was answered."""

    acked: dict[tuple[UUID, str], int] = field(default_factory=dict)  # → version
    refused: list[tuple[UUID, str, str]] = field(default_factory=list)  # 503: plan, title, key
    statuses: Counter[int] = field(default_factory=Counter)
    bad_503s: int = 0  # without Retry-After or without a problem-details body

    def send(self, client: httpx.Client, base: str, plan_id: UUID) -> int:
        title, key = f"disk {uuid4().hex}", uuid4().hex
        answer = client.post(
            f"{base}/api/v1/plans/{plan_id}/goals",
            json={"title": title},
            headers={"Idempotency-Key": key},
        )
        self.statuses[answer.status_code] += 1
        if answer.status_code == 201:
            self.acked[(plan_id, title)] = answer.json()["version"]
        elif answer.status_code == 503:
            self.refused.append((plan_id, title, key))
            problem = answer.headers.get("content-type", "").startswith("application/problem+json")
            self.bad_503s += "retry-after" not in answer.headers or not problem
        return answer.status_code


def reads_now(client: httpx.Client, base: str, plan_id: UUID) -> dict[str, int]:
    return {path: client.get(base + path.format(plan_id=plan_id)).status_code for path in READS}


def until_refused(writes: Writes, client: httpx.Client, base: str, plan_id: UUID) -> None:
    """Write until the fault refuses `REFUSALS` writes (bounded)."""
    before = len(writes.refused)
    for _ in range(MAX_WRITES_TO_REFUSAL):
        writes.send(client, base, plan_id)
        if len(writes.refused) - before >= REFUSALS:
            return
    raise AssertionError(f"the fault never refused a write: {writes.statuses}")


def until_written(writes: Writes, client: httpx.Client, base: str, plan_id: UUID) -> float:
    """Seconds until a write succeeds again."""
    started = time.monotonic()
    while time.monotonic() - started < RECOVERY_SECONDS:
        if writes.send(client, base, plan_id) == 201:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"writes did not recover: {writes.statuses}")


def test_a_full_or_read_only_disk_refuses_writes_with_503_and_the_service_recovers(
    tmp_path: Path, record_property: Record
) -> None:
    with small_filesystem(tmp_path / "disk", FILESYSTEM_BYTES) as disk:
        env = environment(tmp_path, f"sqlite:///{disk / 'stafett.sqlite'}")
        setup = prepare(env, 2)
        plan_id = setup.plan_ids[0]
        server = Served(env, tmp_path / "server.log")
        writes, reads = Writes(), {}
        try:
            server.start()
            pid = server.process.pid if server.process else None
            headers = session_headers(server, setup, tmp_path / "outbox")
            with httpx.Client(timeout=30, headers=headers) as client:
                assert writes.send(client, server.base, plan_id) == 201
                filled = fill(disk / "filler")
                until_refused(writes, client, server.base, plan_id)
                reads = reads_now(client, server.base, plan_id)
                (disk / "filler").unlink()
                full_recovery = until_written(writes, client, server.base, plan_id)
                refused_full = len(writes.refused)

                assert pid is not None
                with read_only_writes(pid, tmp_path / "strace.log"):
                    until_refused(writes, client, server.base, plan_id)
                    reads_read_only = reads_now(client, server.base, plan_id)
                read_only_recovery = until_written(writes, client, server.base, plan_id)

                with open_store(env) as store:
                    found = [e for e in store.events.get(plan_id) if isinstance(e, GoalSet)]
                committed_refused = sum(
                    1 for _, title, _ in writes.refused if any(e.title == title for e in found)
                )
                for refused_plan, title, key in writes.refused:  # sent again, with its key
                    again = client.post(
                        f"{server.base}/api/v1/plans/{refused_plan}/goals",
                        json={"title": title},
                        headers={"Idempotency-Key": key},
                    )
                    assert again.status_code == 201, again.text
                server.caught_up(timeout=RECOVERY_SECONDS)
            assert server.process is not None
            assert server.process.pid == pid
            assert server.process.poll() is None, "the web process died"
        finally:
            server.stop()

        with open_store(env) as store:
            events = list(store.events.get(plan_id))
    versions = [e.originator_version for e in events]
    titles = Counter(e.title for e in events if isinstance(e, GoalSet))
    once_each = all(titles[title] == 1 for _, title, _ in writes.refused)

    assert set(writes.statuses) <= {201, 503}, writes.statuses
    assert writes.bad_503s == 0
    assert versions == list(range(1, len(versions) + 1))
    assert all(titles[title] == 1 for (_, title) in writes.acked)
    assert committed_refused == 0, "a write answered 503 was in the store"
    assert once_each
    for answered in (reads, reads_read_only):
        assert set(answered.values()) <= {200, 503}, answered
        assert answered["/health"] == answered["/api/v1/me"] == 200, answered
    assert "EROFS" in (tmp_path / "strace.log").read_text(), "no write met the read-only fault"
    figure = (
        f"DISK-FULL / READ-ONLY (sqlite): a {FILESYSTEM_BYTES // 1_048_576} MiB tmpfs filled "
        f"to the last byte ({filled // 1024} KiB of filler), then EROFS on every database "
        f"write; writes answered {dict(writes.statuses)}: every 503 with Retry-After and "
        f"problem details, 0 other 5xx, 0 of {len(writes.refused)} refused writes "
        f"({refused_full} full, {len(writes.refused) - refused_full} read-only) in the store "
        f"(0 half-written), 0 version gaps, each sent again with its key → 1 goal; "
        f"reads while full {reads}, while read-only {reads_read_only}; writes back without "
        f"a restart {full_recovery:.2f} s after space returned, {read_only_recovery:.2f} s "
        f"after the filesystem was writable again"
    )
    record_property("figure", figure)
