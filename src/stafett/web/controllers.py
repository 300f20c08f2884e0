"""Controllers that groups of routes share: their dependencies and their policy, said once.

A route gets the dependencies its parameters name (`web/params.py`) from its
controller's `dependencies` (a JSON API route: from `API_DEPENDENCIES`, `web/app.py`),
and is let through by the policy in its `opt` (`web/auth.py`; a route may name a
stricter one). A subclass sets its `path`, and `tags` for the API.
"""

from litestar import Controller

from stafett.web.auth import Policy, policy, provide_principal
from stafett.web.state import provide_reads, provided


class LoggedInRoutes(Controller):
    """Routes for anyone logged in (`Policy.AUTHENTICATED`); a route names a stricter policy
    where it needs one."""

    opt = policy(Policy.AUTHENTICATED)


class PlanReading(LoggedInRoutes):
    """Routes that read one plan's content for the logged-in person: each takes
    `reads` (`PlanReads`: authorized by the policy table and recorded in the access
    log) and `principal`."""

    dependencies = provided(provide_reads, provide_principal)
