"""What the account tables hold past its use, deleted on a clock (decision 0040).

Each of these rows is also refused or deleted when it is next asked for, but a row that
is never asked for again stayed: the text of a form kept for a person who never logged
in again, a reset link nobody opened, a session whose browser was closed.
`sweep_account_tables` deletes them all; the runners call it every
`housekeeping_seconds` (`bootstrap.py`).

A logged-in session past its timeouts is kept `ENDED_SESSION_KEPT` longer: while its
row is there, a form sent with its cookie is still known as that person's and kept for
them (decision 0039), such as one typed into a tab left open overnight.
"""

from datetime import datetime, timedelta

import structlog

from stafett.applications.accounts import PRE_AUTH_TIMEOUT
from stafett.applications.own_account import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from stafett.applications.principal import Stage
from stafett.persistence.recorders import to_micros
from stafett.persistence.sessions import SessionStore, Swept

ENDED_SESSION_KEPT = timedelta(days=1)
log = structlog.get_logger(__name__)


def sweep_account_tables(sessions: SessionStore, now: datetime) -> Swept:
    """Delete what `sessions`' tables hold past its use at `now`; log how much."""
    swept = sessions.sweep(
        at=now,
        logged_in=Stage.DONE.value,
        ended=Stage.ENDED.value,
        started_before=to_micros(now - PRE_AUTH_TIMEOUT),
        seen_before=to_micros(now - IDLE_TIMEOUT - ENDED_SESSION_KEPT),
        authenticated_before=to_micros(now - ABSOLUTE_TIMEOUT - ENDED_SESSION_KEPT),
    )
    if any((swept.sessions, swept.reset_links, swept.kept_forms, swept.rate_hits)):
        log.info(
            "account_tables_swept",
            sessions=swept.sessions,
            reset_links=swept.reset_links,
            kept_forms=swept.kept_forms,
            rate_hits=swept.rate_hits,
        )
    return swept
