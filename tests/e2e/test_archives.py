"""Sealed records over HTTP, on both stores: seal on close or on request, list, download,
the published keys, and who may do which (the policy table's `record_archive`,
`open` and `read_archive`)."""

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from uuid import UUID, uuid4

import pytest

from stafett.aggregates.values import Consent, PlanType, local_date
from stafett.applications.commands import AddParticipant
from stafett.applications.parts import ConsentIn, CreatePlan, PersonIn
from stafett.archive.keys import PublicKey
from stafett.archive.verify import verify_record
from stafett.persistence.archives import StoredRecord
from tests.e2e.conftest import Web
from tests.sealing import TEST_KEY, TEST_RENDERERS

PLANS = "/api/v1/plans"


@dataclass(frozen=True)
class Cast:
    plan_id: UUID
    ids: dict[str, UUID]

    def url(self, suffix: str = "") -> str:
        return f"{PLANS}/{self.plan_id}{suffix}"


@pytest.fixture
def cast(web: Web) -> Cast:
    ids = {
        "kari": web.create_user("kari", coordinator=True),
        "ola": web.create_user("ola"),
        "anne": web.create_user("anne"),
        "per": web.create_user("per"),
        "stranger": web.create_user("stranger", coordinator=True),
        "revisor": web.create_user("revisor", auditor=True),
    }
    today = local_date(web.plans.clock())
    plan_id = web.plans.create_plan(
        CreatePlan(
            type=PlanType.RELAY_LOG,
            short_name="Ola – skole og fritid",
            start_date=today,
            owner=PersonIn.of(ids["ola"]),
            consent=ConsentIn.of(Consent("Mor", today, today + timedelta(days=200), "Alt deles")),
        ),
        by=ids["kari"],
    ).plan_id
    role: Literal["relative", "provider"]
    for name, role in (("anne", "relative"), ("per", "provider")):
        web.plans.handle(
            plan_id, AddParticipant(person=PersonIn.of(ids[name]), role=role), by=ids["kari"]
        )
    return Cast(plan_id, ids)


def as_user(web: Web, name: str) -> dict[str, str]:
    web.client.cookies.clear()
    web.login(name)
    return web.csrf_headers()


def sealed_core_digest(web: Web, archive_id: str, downloaded: bytes) -> str:
    """The digest of the record's stored core (which its `Archived` event names), after
    checking that the download is that core with its rendition (decision 0026)."""
    assert web.archives is not None
    stored = web.archives.store.get(UUID(archive_id))
    assert stored is not None
    with zipfile.ZipFile(io.BytesIO(stored.data)) as core:
        held = {name: core.read(name) for name in core.namelist()}
    with zipfile.ZipFile(io.BytesIO(downloaded)) as complete:
        assert {name: complete.read(name) for name in held} == held
        assert len(complete.namelist()) == len(held) + 4  # rendition.json, .sig, PDF, Noark
    return "sha256:" + hashlib.sha256(stored.data).hexdigest()


def intact(data: bytes) -> bool:
    result = verify_record(data, schema_errors=TEST_RENDERERS.schema_errors, public_key=None)
    return result.intact


def test_closing_a_plan_seals_it_and_the_coordinator_downloads_a_record_that_verifies(
    web: Web, cast: Cast
) -> None:
    headers = as_user(web, "kari")
    web.client.post(cast.url("/goals"), json={"title": "Trives på skolen"}, headers=headers)
    closed = web.client.post(
        cast.url("/close"), json={"ended_on": str(local_date(web.clock()))}, headers=headers
    )
    assert closed.status_code == 200, closed.text

    listed = web.client.get(cast.url("/archives"))
    assert listed.status_code == 200
    [record] = listed.json()
    downloaded = web.client.get(f"/api/v1/archives/{record['archive_id']}")
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"] == "application/zip"
    assert "attachment" in downloaded.headers["content-disposition"]
    assert record["digest"] == sealed_core_digest(web, record["archive_id"], downloaded.content)
    sha = base64.b64encode(hashlib.sha256(downloaded.content).digest()).decode()
    assert downloaded.headers["digest"] == f"sha-256={sha}"

    keys = web.client.get("/api/v1/archive-keys").json()["keys"]
    assert keys == [
        {
            "key_id": TEST_KEY.id,
            "algorithm": "Ed25519",
            "public_key": TEST_KEY.public.text,
            "current": True,
        }
    ]
    published = PublicKey.from_text(keys[0]["public_key"])
    result = verify_record(
        downloaded.content, schema_errors=TEST_RENDERERS.schema_errors, public_key=published
    )
    assert result.intact, result.failed()
    assert result.manifest is not None
    assert result.manifest["status"] == "closed"
    # The close is the record's last event; the Archived event follows it.
    view = web.plans.get_plan(cast.plan_id)
    assert result.manifest["event_count"] == view.version - 1
    assert [str(a.archive_id) for a in view.archives] == [record["archive_id"]]
    row = next(r for r in web.client.get(PLANS + "?include_closed=true").json())
    assert row["last_archived_at"] is not None

    last = web.access_log.entries(cast.plan_id)[-1]
    assert (last.reader_person_id, last.sections, last.role) == (
        cast.ids["kari"],
        ("archive",),
        "coordinator",
    )


def test_sealing_on_request_answers_the_record_and_each_seal_is_a_new_record(
    web: Web, cast: Cast
) -> None:
    headers = as_user(web, "kari")
    first = web.client.post(cast.url("/archives"), headers=headers)
    assert first.status_code == 201, first.text
    assert set(first.json()) == {"archive_id", "sealed_at", "digest"}
    web.clock.advance()
    second = web.client.post(cast.url("/archives"), headers=headers)
    assert second.status_code == 201
    assert second.json()["archive_id"] != first.json()["archive_id"]
    listed = web.client.get(cast.url("/archives")).json()
    assert [r["archive_id"] for r in listed] == [
        first.json()["archive_id"],
        second.json()["archive_id"],
    ]
    data = web.client.get(f"/api/v1/archives/{second.json()['archive_id']}").content
    assert intact(data)
    assert sealed_core_digest(web, second.json()["archive_id"], data) == second.json()["digest"]


def test_only_the_coordinator_seals_and_downloads_others_are_refused_by_the_policy_table(
    web: Web, cast: Cast
) -> None:
    sealed = web.archives
    assert sealed is not None
    archive_id = sealed.seal(cast.plan_id, by=cast.ids["kari"]).archive_id
    download = f"/api/v1/archives/{archive_id}"
    entries_before = len(web.access_log.entries(cast.plan_id))
    for name, seal_status, list_status, download_status in (
        ("ola", 403, 200, 403),
        ("anne", 403, 200, 403),
        ("per", 403, 200, 403),
        ("stranger", 404, 404, 404),
        ("revisor", 404, 404, 404),
    ):
        headers = as_user(web, name)
        assert web.client.post(cast.url("/archives"), headers=headers).status_code == seal_status
        assert web.client.get(cast.url("/archives")).status_code == list_status, name
        refused = web.client.get(download)
        assert refused.status_code == download_status, name
        assert not refused.content.startswith(b"PK")
    assert len(web.access_log.entries(cast.plan_id)) == entries_before  # nothing was handed out
    web.client.cookies.clear()
    assert web.client.get(download).status_code == 401
    assert web.client.get("/api/v1/archive-keys").status_code == 200  # public


def test_a_record_no_archived_event_names_is_never_served_nor_listed(web: Web, cast: Cast) -> None:
    assert web.archives is not None
    orphan = uuid4()
    web.archives.store.put(StoredRecord(orphan, cast.plan_id, 0, "sha256:00", b"PK orphan"))
    as_user(web, "kari")
    assert web.client.get(f"/api/v1/archives/{orphan}").status_code == 404
    assert web.client.get(f"/api/v1/archives/{uuid4()}").status_code == 404
    assert web.client.get(cast.url("/archives")).json() == []


def test_a_stored_record_that_no_longer_has_its_digest_is_refused(web: Web, cast: Cast) -> None:
    assert web.archives is not None
    store = web.archives.store
    archive_id = web.archives.seal(cast.plan_id, by=cast.ids["kari"]).archive_id
    stored = store.get(archive_id)
    assert stored is not None
    store.discard(archive_id)
    store.put(StoredRecord(archive_id, cast.plan_id, stored.sealed_at, stored.digest, b"PK x"))
    as_user(web, "kari")
    answer = web.client.get(f"/api/v1/archives/{archive_id}")
    assert answer.status_code == 500
    assert b"PK" not in answer.content
