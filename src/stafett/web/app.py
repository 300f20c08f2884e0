"""The litestar application factory."""

from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from stafett.applications.plans import PlanApplication
from stafett.web.api.history import HistoryController
from stafett.web.errors import RETRY_AFTER_SECONDS, internal_error_handler, problem_details_plugin
from stafett.web.state import PLANS


@get("/health", sync_to_thread=True, tags=["operations"])
def health(state: State) -> Response[dict[str, Any]]:
    """Liveness and store reachability, for load balancers and operators."""
    plans: PlanApplication = state[PLANS]
    try:
        plans.recorder.max_notification_id()
    except Exception:
        return Response(
            {"status": "unavailable"},
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    return Response({"status": "ok"})


def create_app(plans: PlanApplication, *, development: bool) -> Litestar:
    """The web app around one plan application, which the caller owns and closes."""
    handlers: list[Any] = [health]
    if development:
        handlers.append(HistoryController)
    return Litestar(
        route_handlers=handlers,
        state=State({PLANS: plans}),
        plugins=[problem_details_plugin()],
        exception_handlers={Exception: _internal},
        openapi_config=OpenAPIConfig(
            title="Stafett",
            version="0.1.0",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
        ),
    )


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return internal_error_handler(request, exc)
