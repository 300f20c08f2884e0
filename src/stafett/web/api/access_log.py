"""Who has read the plan (innsyn, SEC-LOG-04): for the owner, relatives and the coordinator.

Anyone outside the plan gets 404, the same answer as for a plan that does not
exist; a provider in the plan who is not its coordinator gets 403. Reading the
log is itself a read of the plan and is recorded before the answer; when that
fails the answer is 503 with no entries (fail closed).
"""

from datetime import datetime
from uuid import UUID

import msgspec
from litestar import get

from stafett.web.controllers import LoggedInRoutes
from stafett.web.params import LoggedIn, PlanId, Reads


class ReaderOut(msgspec.Struct):
    person_id: UUID
    name: str
    role: str


class AccessEntryOut(msgspec.Struct):
    at: datetime
    reader: ReaderOut
    sections: list[str]
    grounds: str


class AccessLogController(LoggedInRoutes):
    path = "/api/v1/plans/{plan_id:uuid}/access-log"
    tags = ["access log"]  # noqa: RUF012

    @get("", sync_to_thread=True)
    def entries(
        self, *, reads: Reads, principal: LoggedIn, plan_id: PlanId
    ) -> list[AccessEntryOut]:
        """Every recorded read of the plan, newest first, this one included."""
        return [
            AccessEntryOut(
                at=named.entry.at,
                reader=ReaderOut(
                    person_id=named.entry.reader_person_id,
                    name=named.reader_name,
                    role=named.entry.role,
                ),
                sections=list(named.entry.sections),
                grounds=named.entry.grounds,
            )
            for named in reads.access_entries(plan_id, principal)
        ]
