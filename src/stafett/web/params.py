"""What route handlers take, one name each: the request, a plan's id, and the dependencies.

A handler names a dependency by its parameter (`reads`, `principal`, ...) and says
what it is with one of these types; which provider gives it is said once for the whole
JSON API (`API_DEPENDENCIES`, `app.py`) and by a page controller's `dependencies =
provided(...)` (`state.py`). Pages and API routes use the same names, so a handler
reads the same wherever it is.
"""

from typing import Annotated, Any
from uuid import UUID

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import FromPath, PathParameter

from stafett.applications.accounts import AccountService, Principal
from stafett.applications.logins import ParticipantLogins
from stafett.applications.notice_sender import NoticeSender
from stafett.applications.plans import PlanApplication
from stafett.projections.plan_list import PlanListView
from stafett.web.reads import PlanReads
from stafett.web.writes import Commands

AnyRequest = Request[Any, Any, Any]
PlanId = FromPath[UUID]  # the `{plan_id:uuid}` of the path
PathId = FromPath[UUID]  # another id of the path: `{participant_id:uuid}`, `{person_id:uuid}`...
# One of my logins (`SessionInfo.handle`): anything else is refused before it is looked up.
SessionHandle = Annotated[str, PathParameter(pattern=r"^[0-9a-f]{24}$")]

LoggedIn = NamedDependency[Principal]  # the logged-in person: `provide_principal` (auth.py)
Accounts = NamedDependency[AccountService]  # `provide_accounts`
Plans = NamedDependency[PlanApplication]  # `provide_plans`
PlanList = NamedDependency[PlanListView]  # `provide_plan_list`
Reads = NamedDependency[PlanReads]  # reads of plan content, access-logged: `provide_reads`
Writes = NamedDependency[Commands]  # writes to plans: `provide_commands` (writes.py)
Logins = NamedDependency[ParticipantLogins]  # `provide_logins` (api/logins.py)
Notices = NamedDependency[NoticeSender]  # `provide_notices` (api/notices.py)
