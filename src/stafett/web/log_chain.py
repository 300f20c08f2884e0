"""The log lines' hash chain (SEC-LOG-07): a line edited, removed, inserted or moved in
the log sink shows.

Each process that logs JSON lines starts a chain of its own, named by a random
`chain_stream`; every line it writes gets the next `chain_seq` (from 1) first and its
`chain_hash` last: hₙ = SHA-256(hₙ₋₁ ‖ the line up to its hash), h₀ = SHA-256 of the
stream's name, the same construction as a sealed record's event chain
(`archive/chain.py`). Lines are numbered and hashed in the order they are written,
under one lock, whether structlog or the standard library's handler writes them.

`verify_log(lines)` checks every stream found in a log (the lines of several processes
may be interleaved), each from its line 1; a file that continues an older one (a rotated
log, `rotated=True`) from the first line it holds of each stream. What the chain cannot
show is the end of a stream cut off: the last lines of a process gone from the sink look
like a process that logged no more, which is why the lines are shipped to a separate
sink as they are written (docs/operations.md).
"""

import argparse
import hashlib
import secrets
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from uuid import UUID

import msgspec

from stafett.applications.access_log import AccessLog

_HASH_KEY = ',"chain_hash":"'
_HASH_TAIL = len(_HASH_KEY) + 64 + 2  # the key, 64 hex digits, '"}'


def chain_genesis(stream: str) -> bytes:
    return hashlib.sha256(f"stafett-log:{stream}".encode()).digest()


class ChainedLines:
    """The text stream the log lines go to, numbering and hashing each JSON line.

    Both writers of the log (structlog's and the standard library's handler) write one
    whole line a call; a call that is not one JSON object is written as it is.
    """

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self.stream = secrets.token_hex(8)
        self._head = chain_genesis(self.stream)
        self._seq = 0
        self._prefix = f'{{"chain_stream":"{self.stream}","chain_seq":'
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        if not text.endswith("}\n") or text[0] != "{" or "\n" in text[:-1] or len(text) < 4:
            return self.target.write(text)  # not one JSON object (or an empty one)
        with self._lock:
            self._seq += 1
            line = f"{self._prefix}{self._seq},{text[1:-1]}"
            self._head = head = hashlib.sha256(self._head + line.encode()).digest()
            return self.target.write(f'{line[:-1]}{_HASH_KEY}{head.hex()}"}}\n')

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()


@dataclass
class _Stream:
    head: bytes | None  # None: the file starts inside the stream, at `first`
    seq: int
    first: int
    lines: int = 0  # of this stream in the file


@dataclass
class LogVerdict:
    """What `verify_log` found: the chained streams, lines outside any chain, problems."""

    streams: dict[str, _Stream] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unchained_events: int = 0  # JSON lines with an event but no chain: inserted
    other_lines: int = 0  # not JSON objects (an interpreter's last words, say)

    @property
    def intact(self) -> bool:
        return not self.problems and self.unchained_events == 0


class _Chained(msgspec.Struct):
    chain_stream: str
    chain_seq: int
    chain_hash: str


def verify_log(lines: Iterable[str], *, rotated: bool = False) -> LogVerdict:
    """Check every chain in `lines` (a log sink's text, line by line): each must begin
    at its line 1, or, in a file that continues an older one (`rotated`), at any line,
    taken as it stands."""
    verdict = LogVerdict()
    for number, text in enumerate(lines, start=1):
        line = text.rstrip("\n")
        if not line.strip():
            continue
        try:
            chained = msgspec.json.decode(line, type=_Chained)
        except msgspec.DecodeError:
            problem = _unchained(line)
            if problem:
                verdict.unchained_events += 1
                verdict.problems.append(f"line {number}: {problem}")
            else:
                verdict.other_lines += 1
            continue
        problem = _check(verdict, chained, line, rotated=rotated)
        if problem:
            verdict.problems.append(f"line {number}: {problem}")
    return verdict


def _unchained(line: str) -> str:
    """Why a line outside every chain is a problem ("" if it is no log line at all)."""
    if not line.startswith("{"):
        return ""  # an interpreter's or a library's own text
    try:
        event = msgspec.json.decode(line, type=dict)
    except msgspec.DecodeError:
        return "a damaged log line"
    return "a log line outside any chain" if "event" in event else ""


def _check(verdict: LogVerdict, chained: _Chained, line: str, *, rotated: bool) -> str:
    if not line.endswith(f'{_HASH_KEY}{chained.chain_hash}"}}') or len(chained.chain_hash) != 64:
        return "its chain_hash is not where the chain puts it"
    stream = verdict.streams.get(chained.chain_stream)
    if stream is None:
        first = chained.chain_seq
        head = chain_genesis(chained.chain_stream) if first == 1 else None
        stream = verdict.streams[chained.chain_stream] = _Stream(head, first - 1, first)
    stream.lines += 1
    expected = stream.seq + 1
    stream.seq = chained.chain_seq
    body = line[:-_HASH_TAIL] + "}"
    if stream.head is None:  # the first line of a stream begun before this file
        stream.head = bytes.fromhex(chained.chain_hash)
        if rotated:
            return ""
        return f"stream {chained.chain_stream} begins at its line {chained.chain_seq}"
    if chained.chain_seq != expected:
        stream.head = bytes.fromhex(chained.chain_hash)
        return f"stream {chained.chain_stream}: line {expected} expected, {chained.chain_seq} found"
    head = hashlib.sha256(stream.head + body.encode()).digest()
    stream.head = bytes.fromhex(chained.chain_hash)
    if head.hex() != chained.chain_hash:
        return f"stream {chained.chain_stream}, line {chained.chain_seq}: the hash does not match"
    return ""


# ---------------------------------------------------------------- the command line


def add_log_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """`stafett logs verify FILE` (run by `stafett.__main__`)."""
    logs = commands.add_parser("logs", help="the log lines' hash chains").add_subparsers(
        dest="logs_command", required=True
    )
    verify = logs.add_parser(
        "verify", help="check the hash chain of every process in a log (exit 1 if altered)"
    )
    verify.add_argument("file", type=Path, help="the log's JSON lines ('-': standard input)")
    verify.add_argument(
        "--rotated",
        action="store_true",
        help="the file continues an older one: a process's lines may begin after its line 1",
    )


def verify_log_file(file: Path, *, rotated: bool = False) -> int:
    """Each chain's lines and where it begins, then `intact` (0) or every problem (1)."""
    try:
        if str(file) == "-":
            verdict = verify_log(sys.stdin, rotated=rotated)
        else:
            with file.open(encoding="utf-8") as lines:
                verdict = verify_log(lines, rotated=rotated)
    except (OSError, UnicodeDecodeError) as error:
        print(f"stafett: {error}", file=sys.stderr)
        return 2
    for name, stream in verdict.streams.items():
        begins = "" if stream.first == 1 else f" (begins at line {stream.first}: the rest is older)"
        print(f"stream {name}: {stream.lines} lines, up to line {stream.seq}{begins}")
    if verdict.other_lines:
        print(f"{verdict.other_lines} lines that are not log lines (not checked)")
    if not verdict.intact:
        for problem in verdict.problems:
            print(f"ALTERED  {problem}")
        return 1
    print(f"intact: {len(verdict.streams)} streams")
    return 0


class _Head(msgspec.Struct):
    event: str
    plan: str = ""
    seq: int = 0
    head: str = ""


def heads_against(access_log: AccessLog, plan_id: UUID, file: Path) -> list[str]:
    """The problems of a plan's access log against the heads its appends logged
    (`access_log_head`, decision 0047) in `file`, whose own chains must hold too: a
    table rewritten consistently after the fact no longer matches the log."""
    lines = file.read_text(encoding="utf-8").splitlines()
    verdict = verify_log(lines, rotated=True)
    problems = [f"the log: {problem}" for problem in verdict.problems]
    logged = []
    for line in lines:
        if '"access_log_head"' in line:
            head = msgspec.json.decode(line, type=_Head)
            if head.event == "access_log_head" and head.plan == str(plan_id):
                logged.append((head.seq, head.head))
    print(f"{len(logged)} heads of this plan in the log")
    return problems + access_log.anchored(plan_id, logged)
