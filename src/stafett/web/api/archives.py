"""Sealed records (docs/archive-format.md): seal now, list, download; the public keys.

Sealing is the coordinator's (`record_archive`); a plan is also sealed when it is
closed. Anyone who may open the plan lists its records. Downloading one is the
coordinator's (`read_archive`: it holds the whole history and the access log) and
is recorded in the plan's access log before the zip is sent. The public keys that
records are signed with are published for anyone, so a record can be verified
without an account (`stafett archive verify --public-key`).
"""

import base64
import hashlib
from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_201_CREATED

from stafett.applications.accounts import Principal
from stafett.applications.results import CommandResult
from stafett.applications.step_up import require_step_up
from stafett.archive.service import Archives
from stafett.web.auth import Policy, policy
from stafett.web.controllers import LoggedInRoutes
from stafett.web.reads import PlanReads
from stafett.web.state import ReadYourWrites


class ArchiveOut(msgspec.Struct):
    archive_id: UUID
    sealed_at: datetime
    digest: str


class KeyOut(msgspec.Struct):
    key_id: str
    algorithm: Literal["Ed25519"]
    public_key: str  # base64 of the 32 raw bytes
    current: bool


class KeysOut(msgspec.Struct):
    keys: list[KeyOut]


class ArchiveController(LoggedInRoutes):
    path = "/api/v1"
    tags = ["archive"]  # noqa: RUF012

    @post("/plans/{plan_id:uuid}/archives", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def seal(
        self,
        *,
        archives: NamedDependency[Archives],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
    ) -> ArchiveOut:
        """Seal the plan as it stands now into a new record (its coordinator)."""
        require_step_up(principal)
        sealed = archives.seal(plan_id, by=principal.person_id)
        caught_up(CommandResult(plan_id, sealed.version, sealed.notification_id))
        return ArchiveOut(sealed.archive_id, sealed.sealed_at, sealed.digest)

    @get("/plans/{plan_id:uuid}/archives", sync_to_thread=True)
    def records(
        self,
        *,
        reads: NamedDependency[PlanReads],
        principal: NamedDependency[Principal],
        plan_id: FromPath[UUID],
    ) -> list[ArchiveOut]:
        """The plan's sealed records, oldest first."""
        return [
            ArchiveOut(a.archive_id, a.archived_at, a.digest)
            for a in reads.archive_list(plan_id, principal)
        ]

    @get("/archives/{archive_id:uuid}", sync_to_thread=True, media_type="application/zip")
    def download(
        self,
        *,
        reads: NamedDependency[PlanReads],
        principal: NamedDependency[Principal],
        archive_id: FromPath[UUID],
    ) -> Response[bytes]:
        """The sealed record: a zip to keep and verify (`stafett archive verify`)."""
        require_step_up(principal)
        release = reads.archive(archive_id, principal)
        day = release.archive.archived_at.date().isoformat()
        return Response(
            release.data,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="stafett-{day}-{archive_id}.zip"',
                # RFC 3230: the zip's SHA-256, base64 (the plan's event holds it as hex).
                "Digest": "sha-256="
                + base64.b64encode(hashlib.sha256(release.data).digest()).decode(),
            },
        )


@get(
    "/api/v1/archive-keys",
    sync_to_thread=False,
    tags=["archive"],
    opt=policy(Policy.PUBLIC),
)
def archive_keys(archives: NamedDependency[Archives]) -> KeysOut:
    """The public keys sealed records are signed with (anyone may fetch them)."""
    return KeysOut(
        [KeyOut(key.id, "Ed25519", key.text, current) for key, current in archives.public_keys()]
    )
