"""The parts of a sealed record's format: canonical JSON, keys, the fold, the verifier's
refusals of what is not a record."""

import io
import string
import zipfile
from typing import TypeAlias

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from stafett.archive.canonical import canonical, parse
from stafett.archive.fold import FoldError, fold
from stafett.archive.keys import KeyFormatError, PublicKey, SigningKey
from stafett.archive.verify import CHECKS, verify_record
from tests.sealing import OTHER_KEY, TEST_KEY, TEST_RENDERERS

Json: TypeAlias = bool | int | str | list["Json"] | dict[str, "Json"] | None

# A sealed record's JSON: ASCII member names, any text, integers within ±2^53, no floats.
names = st.text(alphabet=string.ascii_letters + string.digits + "_-", max_size=12)
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(names, inner, max_size=5),
    max_leaves=40,
)


@given(values)
def test_canonical_json_is_what_the_rfc_8785_reference_writes(value: Json) -> None:
    assert canonical(value) == rfc8785.dumps(value)
    assert parse(canonical(value)) == value


def test_canonical_json_escapes_only_what_rfc_8785_escapes() -> None:
    text = '\x00\x1f\b\t\n\f\r"\\/\x7f\u2028é😀'
    assert canonical({"b": 1, "a": text}) == rfc8785.dumps({"a": text, "b": 1})
    assert canonical("/é") == '"/é"'.encode()


def test_keys_are_ed25519_named_by_their_public_key_and_never_shown() -> None:
    message = b"manifest"
    signature = TEST_KEY.sign(message)
    assert len(signature) == 64
    assert TEST_KEY.public.verifies(signature, message)
    assert not TEST_KEY.public.verifies(signature, message + b"!")
    assert not OTHER_KEY.public.verifies(signature, message)
    assert len(TEST_KEY.id) == 16
    assert TEST_KEY.id != OTHER_KEY.id
    assert PublicKey.from_text(TEST_KEY.public.text) == TEST_KEY.public
    assert "seed" not in repr(TEST_KEY)
    assert TEST_KEY.id in repr(TEST_KEY)
    for bad in ("not base64!", "AAAA"):
        with pytest.raises(KeyFormatError):
            PublicKey.from_text(bad)
        with pytest.raises(KeyFormatError):
            SigningKey.from_text(bad)


def created(version: int = 1) -> dict[str, object]:
    return {
        "version": version,
        "instant": "2026-03-02T09:00:00Z",
        "actor": {"id": "a", "name": "Kari", "role": "coordinator"},
        "type": "Created",
        "data": {
            "plan_type": "SL",
            "short_name": "Plan",
            "owner_person_id": "o",
            "owner_participant_id": "op",
            "coordinator_person_id": "a",
            "coordinator_participant_id": "ap",
            "start_date": "2026-03-02",
            "end_date": None,
            "consent": {"status": "active"},
        },
    }


def test_the_fold_refuses_what_no_plan_could_have_recorded() -> None:
    state = fold("p", [created()])
    assert [p["role"] for p in state["participants"]] == ["owner", "provider"]
    assert state["status"] == "open"
    assert state["version"] == 1
    goal = {**created(2), "type": "GoalEvaluated", "data": {"goal_id": "g", "evaluation": {}}}
    cases = {
        "no events": [],
        "not Created": [{**created(), "type": "GoalSet"}],
        "unknown event type": [created(), {**created(2), "type": "PlanShredded"}],
        "no goal g": [created(), goal],
        "malformed": [created(), {**created(2), "type": "ConsentChanged", "data": {}}],
    }
    for said, entries in cases.items():
        with pytest.raises(FoldError, match=said):
            fold("p", entries)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_what_is_not_a_record_fails_its_checks_without_raising() -> None:
    not_zip = verify_record(b"plain text", schema_errors=TEST_RENDERERS.schema_errors)
    assert [(c.name, c.passed) for c in not_zip.checks] == [("zip", False)]
    assert not not_zip.intact

    odd = verify_record(
        zipped({"manifest.json": b"[1]", "evil.sh": b"rm -rf /"}),
        schema_errors=TEST_RENDERERS.schema_errors,
    )
    assert [c.name for c in odd.checks] == list(CHECKS)
    assert all(not c.passed for c in odd.checks)
    zip_check = odd.checks[0]
    assert any("evil.sh" in p for p in zip_check.problems)
    assert any("manifest.sig" in p for p in zip_check.problems)
