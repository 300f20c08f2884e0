"""The log lines' hash chain (SEC-LOG-07), checked as the sealed records' chains are
(REL-SEAL): intact logs verify, and every alteration of a line is found."""

import io
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import msgspec
import pytest
import structlog

from stafett.__main__ import main
from stafett.web.log_chain import verify_log
from tests.e2e.test_logging import captured_logs

LINES_PER_PROCESS = 30


def process_log() -> AbstractContextManager[io.StringIO]:
    """The log of one process: JSON lines to a stream, as `stafett serve` writes them;
    structlog and the standard library's loggers restored afterwards."""
    return captured_logs(json_lines=True)


def logged_by_two_processes() -> list[str]:
    """The lines of two processes interleaved in one sink, our lines and a library's."""
    logs = []
    for process in range(2):
        with process_log() as stream:
            for n in range(LINES_PER_PROCESS):
                if n % 3:
                    structlog.get_logger("stafett.test").info("thing_done", n=n, who=process)
                else:
                    logging.getLogger("uvicorn.error").warning("Shutting down %s", n)
        logs.append(stream.getvalue().splitlines())
    return [line for pair in zip(*logs, strict=True) for line in pair]


def test_lines_written_at_once_by_both_writers_from_many_threads_verify() -> None:
    def work(thread: int) -> None:
        for n in range(100):
            structlog.get_logger("stafett.test").info("thing_done", n=n, thread=thread)
            logging.getLogger("uvicorn.error").warning("a library's line %s", n)

    with process_log() as stream:
        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    lines = stream.getvalue().splitlines()
    verdict = verify_log(lines)
    assert verdict.intact, verdict.problems[:5]
    [chain] = verdict.streams.values()
    assert (chain.first, chain.seq, chain.lines) == (1, 800, 800)
    seqs = [msgspec.json.decode(line)["chain_seq"] for line in lines]
    assert seqs == list(range(1, 801))  # numbered in the order they were written


def test_two_processes_interleaved_verify_and_a_rotated_file_from_its_first_line() -> None:
    lines = logged_by_two_processes()
    verdict = verify_log(["Traceback (most recent call last):", *lines])
    assert verdict.intact, verdict.problems
    assert sorted((s.first, s.seq) for s in verdict.streams.values()) == [(1, 30), (1, 30)]
    assert verdict.other_lines == 1
    rotated = verify_log(lines[20:], rotated=True)
    assert rotated.intact, rotated.problems
    assert sorted(s.first for s in rotated.streams.values()) == [11, 11]
    assert not verify_log(lines[20:]).intact  # unless said, a process's lines begin at 1


def _flip(line: str) -> str:
    """One character of the line's content changed (not its chain fields)."""
    at = line.index('"ts":"') + len('"ts":"2026-')
    return line[:at] + ("1" if line[at] != "1" else "2") + line[at + 1 :]


MUTATIONS: dict[str, Callable[[list[str], int], list[str]]] = {
    "a character changed": lambda log, i: [*log[:i], _flip(log[i]), *log[i + 1 :]],
    "a line removed": lambda log, i: log[:i] + log[i + 1 :],
    "a line repeated": lambda log, i: [*log[: i + 1], log[i], *log[i + 1 :]],
    "two lines of one process swapped": lambda log, i: [
        *log[:i],
        log[i + 2],
        log[i + 1],
        log[i],
        *log[i + 3 :],
    ],
    "a line cut short": lambda log, i: [*log[:i], log[i][: len(log[i]) // 2], *log[i + 1 :]],
    "a line inserted": lambda log, i: [
        *log[:i],
        '{"event":"authn_login_success","level":"info","actor":"x"}',
        *log[i:],
    ],
    "a line moved to another process": lambda log, i: [
        *log[:i],
        log[i].replace('"chain_stream":"', '"chain_stream":"0', 1),
        *log[i + 1 :],
    ],
    "a line's number changed": lambda log, i: [
        *log[:i],
        log[i].replace('"chain_seq":', '"chain_seq":9', 1),
        *log[i + 1 :],
    ],
}


def test_every_alteration_of_a_line_is_found() -> None:
    """Each kind of alteration at every line but the last two of each process (lines
    i and i + 2 are one process's, the log being two processes' lines interleaved)."""
    log = logged_by_two_processes()
    assert verify_log(log).intact
    done = found = 0
    for name, mutate in MUTATIONS.items():
        for i in range(len(log) - 4):
            altered = mutate(log, i)
            assert altered != log
            done += 1
            verdict = verify_log(altered)
            if not verdict.intact:
                found += 1
            else:
                pytest.fail(f"{name} at line {i + 1} was not found")
    print(f"log chain: {done} alterations, {found} found")
    assert done == found == len(MUTATIONS) * (len(log) - 4)


def test_what_the_chain_alone_cannot_show_is_a_process_s_last_lines_cut_off() -> None:
    """Why the lines go to a separate sink as they are written (docs/operations.md)."""
    log = logged_by_two_processes()
    assert verify_log(log[:-2]).intact  # each process's last line gone


def test_the_command_line_says_intact_or_altered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = logged_by_two_processes()
    intact = tmp_path / "stafett.log"
    intact.write_text("\n".join(log) + "\n")
    assert main(["logs", "verify", str(intact)]) == 0
    said = capsys.readouterr().out
    assert "intact: 2 streams" in said
    assert said.count(f"{LINES_PER_PROCESS} lines, up to line {LINES_PER_PROCESS}") == 2

    altered = tmp_path / "altered.log"
    altered.write_text("\n".join([*log[:5], _flip(log[5]), *log[6:]]) + "\n")
    assert main(["logs", "verify", str(altered)]) == 1
    said = capsys.readouterr().out
    assert "ALTERED  line 6:" in said
    assert "the hash does not match" in said

    assert main(["logs", "verify", str(tmp_path / "absent.log")]) == 2

    later = tmp_path / "stafett.log.1"
    later.write_text("\n".join(log[10:]) + "\n")
    assert main(["logs", "verify", str(later)]) == 1
    assert "begins at its line 6" in capsys.readouterr().out
    assert main(["logs", "verify", "--rotated", str(later)]) == 0
    assert "(begins at line 6: the rest is older)" in capsys.readouterr().out
