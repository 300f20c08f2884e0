"""A PostgreSQL server of the test's own (initdb in a temporary folder, its own port),
for fault tests that restart or stop the server: the shared one serves other tests.

Debian's server binaries are used (`/usr/lib/postgresql/<version>/bin`); initdb refuses
to run as root, so as root the cluster belongs to the `postgres` user.
"""

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.pages import free_port


def server_binaries() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not versions:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
    return versions[-1].parent


class PrivatePostgres:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        self.bin = server_binaries()

    def _run(self, *command: str) -> None:
        as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_owner, *command], check=True, capture_output=True, timeout=120)

    def pg_ctl(self, *arguments: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.folder / "server.log"), "-w", *arguments,
        )  # fmt: skip

    def initdb(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "--no-sync", "--encoding=UTF8",
        )  # fmt: skip

    def restart(self, mode: str) -> float:
        """`pg_ctl restart -m immediate|fast`; seconds until it accepts connections."""
        started = time.monotonic()
        self.pg_ctl("restart", "-m", mode)
        return time.monotonic() - started


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    folder = Path(tempfile.mkdtemp(prefix="stafett-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    server = PrivatePostgres(folder, free_port())
    try:
        server.initdb()
        server.pg_ctl("start")
        yield server
    finally:
        try:
            server.pg_ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
