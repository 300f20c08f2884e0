"""The two hash chains of a sealed record: over its events, and its access log.

Events: h₀ = SHA-256(the plan id as text), hᵢ = SHA-256(hᵢ₋₁ ‖ canonical(eventᵢ)),
the digests as 32 raw bytes; a line of `events.jsonl` is canonical(eventᵢ). The
manifest holds the head hₙ as hex, so an edited, swapped, removed, inserted or
truncated event changes it.

Access log: the plan's own chain (docs/decisions/0008-access-log.md), one row per
line of `access-log.jsonl`, each with its `prev_hash` and `hash`; the manifest holds
the last hash (the genesis value for a log without rows) and the number of rows.
"""

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from stafett.applications.access_log import GENESIS_HASH, AccessEntry, canonical, chain_hash
from stafett.archive.canonical import canonical as canonical_json
from stafett.persistence.recorders import to_micros


def chain_start(plan_id: UUID | str) -> bytes:
    return hashlib.sha256(str(plan_id).encode()).digest()


def chain_head(plan_id: UUID | str, lines: Iterable[bytes]) -> str:
    """hₙ as hex over the canonical lines of the events, oldest first."""
    head = chain_start(plan_id)
    for line in lines:
        head = hashlib.sha256(head + line).digest()
    return head.hex()


# ------------------------------------------------------------------- access log


def access_line(entry: AccessEntry, reader_name: str) -> bytes:
    """One line of `access-log.jsonl`: the row as stored (the hashed fields, `at` in µs
    since the epoch, and both hashes), and for people the instant and the reader's name,
    which the chain does not cover (the manifest's file hash does)."""
    return canonical_json(
        {
            "plan_id": entry.plan_id,
            "seq": entry.seq,
            "at": to_micros(entry.at),
            "reader_person_id": entry.reader_person_id,
            "role": entry.role,
            "sections": list(entry.sections),
            "grounds": entry.grounds,
            "prev_hash": entry.prev_hash,
            "hash": entry.hash,
            "instant": entry.at,
            "reader_name": reader_name,
        }
    )


def access_head(entries: Sequence[AccessEntry]) -> str:
    return entries[-1].hash if entries else GENESIS_HASH


def access_log_problems(plan_id: str, rows: Sequence[dict[str, Any]], head: str) -> list[str]:
    """Recompute the access log's chain from parsed lines; what is wrong, or nothing."""
    problems: list[str] = []
    prev_hash = GENESIS_HASH
    for number, row in enumerate(rows, start=1):
        try:
            if row["plan_id"] != plan_id:
                problems.append(f"row {number}: another plan's entry")
            if row["seq"] != number:
                problems.append(f"row {number}: seq {row['seq']}, expected {number}")
            if row["prev_hash"] != prev_hash:
                problems.append(f"row {number}: prev_hash does not match the row before")
            hashed = canonical(
                plan_id=UUID(row["plan_id"]),
                seq=row["seq"],
                at=row["at"],
                reader_person_id=UUID(row["reader_person_id"]),
                role=row["role"],
                sections=row["sections"],
                grounds=row["grounds"],
            )
            if chain_hash(row["prev_hash"], hashed) != row["hash"]:
                problems.append(f"row {number}: hash does not match the row")
            prev_hash = row["hash"]
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            problems.append(f"row {number}: malformed ({error!r})")
    if prev_hash != head:
        problems.append("the last row's hash is not the head the manifest names")
    return problems
