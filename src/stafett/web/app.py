"""The litestar application factory."""

from typing import Any

from litestar import Litestar, Request, Response, Router
from litestar.datastructures import State
from litestar.exceptions import MethodNotAllowedException, NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.plugins.problem_details import ProblemDetailsException

from stafett.applications.access_log import AccessLog
from stafett.applications.accounts import AccountService
from stafett.applications.notice_sender import NoticeSender
from stafett.applications.plans import PlanApplication
from stafett.archive.service import Archives
from stafett.projections.plan_list import PlanListView
from stafett.web.api.access_log import AccessLogController
from stafett.web.api.archives import ArchiveController, archive_keys
from stafett.web.api.audit import AuditController
from stafett.web.api.export import ExportController
from stafett.web.api.history import HistoryController
from stafett.web.api.lists import ReportController
from stafett.web.api.log_control import LogControlController
from stafett.web.api.logins import LoginController, provide_logins
from stafett.web.api.notices import NoticeAdminController, provide_notices
from stafett.web.api.persons import PersonController
from stafett.web.api.photos import PhotoController, provide_photos
from stafett.web.api.plan_view import PlanViewController
from stafett.web.api.plans import PlanController
from stafett.web.api.session import SessionController
from stafett.web.audit import provide_audit
from stafett.web.auth import check_policies, policy_guard, provide_principal
from stafett.web.contract import (
    SECURITY_SCHEMES,
    allow_every_method,
    document_answers,
    refine_schema,
)
from stafett.web.edge import InputEdgeMiddleware
from stafett.web.errors import internal_error_handler, problem_details_plugin
from stafett.web.headers import SecurityHeadersMiddleware
from stafett.web.health import HEALTH, HealthStatus, health_route
from stafett.web.idempotency import KeptAnswerMiddleware, replay_or_claim
from stafett.web.logging import RequestLogMiddleware
from stafett.web.loop_reads import (
    ReadsOnTheLoopMiddleware,
    check_after_request,
    record_reads_before_answering,
)
from stafett.web.pages import is_page_path, page_routes, static_routes
from stafett.web.pages.errors import page_error
from stafett.web.pages.kept import keep_for_step_up
from stafett.web.pages.render import template_config
from stafett.web.schema_page import LocalSwaggerPlugin
from stafett.web.state import (
    ACCESS_LOG,
    ACCOUNTS,
    ARCHIVES,
    CSRF_KEY,
    NOTICES,
    PLAN_LIST,
    PLANS,
    provide_accounts,
    provide_archives,
    provide_plan_list,
    provide_plans,
    provide_read_your_writes,
    provide_reads,
    provided,
)
from stafett.web.writes import provide_commands

# What a JSON API route takes, it names (web/params.py) and gets from this one set; a
# route asks only for what it uses, so the others cost it nothing.
API_DEPENDENCIES = provided(
    provide_accounts,
    provide_archives,
    provide_commands,
    provide_logins,
    provide_notices,
    provide_photos,
    provide_plan_list,
    provide_plans,
    provide_principal,
    provide_reads,
    audit=provide_audit,
    caught_up=provide_read_your_writes,
)


def create_app(
    plans: PlanApplication,
    accounts: AccountService,
    *,
    access_log: AccessLog,
    plan_list: PlanListView | None = None,
    archives: Archives | None = None,
    notices: NoticeSender | None = None,
    secret_key: str,
    expose_schema: bool = True,
    health_every: float = 0.0,
) -> Litestar:
    """The web app around the applications, which the caller owns and closes.

    `access_log` records every read of plan content before it is answered;
    `archives` seals plans and hands out their records (without it, those routes
    answer 503).

    The OpenAPI schema is public only where `expose_schema` (development) says so.
    `/health` computes its answer at most every `health_every` seconds (web/health.py).
    Without `plan_list` the list and report routes answer 503 and writes do not
    wait for the view.
    """
    state = State(
        {PLANS: plans, ACCOUNTS: accounts, ACCESS_LOG: access_log, PLAN_LIST: plan_list}
        | {ARCHIVES: archives, NOTICES: notices}
        | {CSRF_KEY: secret_key.encode()}  # web/auth.py binds CSRF tokens to sessions
        | {HEALTH: HealthStatus(every=health_every)}
    )
    api = Router(
        path="/",
        dependencies=API_DEPENDENCIES,
        route_handlers=[
            SessionController,
            HistoryController,
            ExportController,
            AccessLogController,
            ArchiveController,
            archive_keys,
            PersonController,
            PhotoController,
            PlanController,
            LoginController,
            NoticeAdminController,
            PlanViewController,
            ReportController,
            LogControlController,
            AuditController,
        ],
    )
    # Every route passes the policy guard (deny by default), except the public reads
    # that need nothing from it: `/health`, which load balancers call many times a
    # second, and static files. litestar copies a route's handler for each guard call
    # (a tenth of `/health`'s time). `check_policies` refuses any other route outside.
    guarded = Router(path="/", guards=[policy_guard], route_handlers=[api, page_routes()])
    app = Litestar(
        route_handlers=[health_route(state), static_routes(), guarded],
        template_config=template_config(),
        state=state,
        before_request=replay_or_claim,  # Idempotency-Key (web/idempotency.py)
        after_request=record_reads_before_answering,  # reads on the loop (web/loop_reads.py)
        after_exception=[keep_for_step_up],  # a form waiting for a step-up (pages/kept.py)
        logging_config=None,  # configure_logging owns logging; litestar must not reset it
        plugins=[problem_details_plugin()],
        exception_handlers={
            Exception: _internal,
            NotFoundException: _not_found,
            MethodNotAllowedException: _not_found,
        },
        openapi_config=OpenAPIConfig(
            title="Stafett",
            version="0.1.0",
            path="/schema",
            render_plugins=[LocalSwaggerPlugin()],
            components=SECURITY_SCHEMES,
        )
        if expose_schema
        else None,
    )
    check_policies(app)
    check_after_request(app)
    allow_every_method(app)
    if expose_schema:  # the OpenAPI schema tells what every route takes and answers
        document_answers(app)
        refine_schema(app)
    # Route middleware runs only after routing and never sees 404/405: wrap the whole handler.
    app.asgi_handler = RequestLogMiddleware(
        SecurityHeadersMiddleware(
            InputEdgeMiddleware(KeptAnswerMiddleware(ReadsOnTheLoopMiddleware(app.asgi_handler)))
        )
    )
    return app


def _not_found(
    request: Request[Any, Any, Any], exc: NotFoundException | MethodNotAllowedException
) -> Response[Any]:
    """An address that is no route, or not for this method: a page for people (a form's
    address opened in the browser, or reloaded: 405), a problem for API clients."""
    status = exc.status_code
    if is_page_path(request.url.path):
        response = page_error(request, exc)
    else:
        title = "Not Found" if status == 404 else "Method Not Allowed"
        problem = ProblemDetailsException(
            status_code=status, title=title, detail=title, type_=f"/problems/{status}"
        )
        response = problem.to_response(request)
    if exc.headers:  # a 405's Allow
        response.headers.update(exc.headers)
    return response


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return internal_error_handler(request, exc)
