"""GET /api/v1/plans/{id}/export: the caller's permitted view, downloaded (decision 0024).

Not in api.md: a route of our own, documented in docs/architecture.md. The policy
table's `export_plan` row decides (the `print` right; a provider also needs valid
consent); someone outside the plan gets the 404 of a plan that does not exist. The
answer is the same permitted view `GET /api/v1/plans/{id}` gives the caller, as it is
now: `?format=pdf` (the default) lays it out as a PDF/A document that says it is an
export as seen by the caller at that instant, not a sealed record
(`archive/export.py`); `?format=json` answers the view itself. `?language=nb|en`
chooses the PDF's language (bokmål by default). Each download is recorded in the
plan's access log, with the parts it carries and `export`, before it is sent.
"""

from datetime import UTC, datetime
from typing import Literal

import msgspec
from litestar import Response, get
from litestar.params import FromQuery

from stafett.applications.permitted import PlanOut
from stafett.applications.step_up import require_step_up
from stafett.archive.export import export_pdf
from stafett.web.controllers import LoggedInRoutes
from stafett.web.params import LoggedIn, PlanId, Reads

MEDIA_TYPES = {"pdf": "application/pdf", "json": "application/json"}


class ExportController(LoggedInRoutes):
    path = "/api/v1/plans/{plan_id:uuid}"
    tags = ["plans"]  # noqa: RUF012

    @get("/export", sync_to_thread=True, opt={"media_types": tuple(MEDIA_TYPES.values())})
    def export(
        self,
        *,
        reads: Reads,
        principal: LoggedIn,
        plan_id: PlanId,
        format: FromQuery[Literal["pdf", "json"]] = "pdf",
        language: FromQuery[Literal["nb", "en"]] = "nb",
    ) -> Response[bytes]:
        """The plan as the caller may see it now, to keep: a PDF (default) or JSON."""

        def download(view: PlanOut, at: datetime) -> Response[bytes]:
            if format == "json":
                data = msgspec.json.encode(view)
            else:
                data = export_pdf(view, at=at, language=language)
            name = f"stafett-{plan_id}-{at.astimezone(UTC):%Y%m%dT%H%M%SZ}.{format}"
            return Response(
                data,
                media_type=MEDIA_TYPES[format],
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )

        require_step_up(principal)
        return reads.export(plan_id, principal, download)
