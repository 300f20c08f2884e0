"""Auditors find plans: a search over every plan of the deployment, itself logged.

An auditor stands outside every plan group, so their plan list is empty; this is how
they find the plan to reconstruct (by the owner's name, birth date, the plan's status
and the period it was active in), from the plan-list projection
(`PlanListView.plans_matching`). Only accounts the policy table lets search every
plan (`AccountAction.SEARCH_PLANS`: auditors) may; the route's gate asks the same row,
and so does `search` again (deny by default).

Each search is recorded before anything is answered:

- in the auditor's account facts (`account_facts`, kind `audit_search`): which kinds of
  terms were given and how many plans were found — never the terms themselves;
- in the access log of every plan found (section `search`, grounds `audit`): the
  result shows the owner's name and birth date and the plan's name and dates, so the
  family sees that an auditor found their plan;
- as a log line `audit_search` with the auditor's id, the kinds and the count.

A search must name the owner, their birth date or a period: a status alone would list
every plan. At most `MAX_FOUND` plans are answered (`more` says there were more).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from litestar.datastructures import State

from stafett.aggregates.errors import NotPermittedError, Refusal, ValidationError
from stafett.aggregates.policy import AccountAction, Standing, account_may
from stafett.applications.access_log import AUDIT_GROUNDS, AccessLog
from stafett.applications.accounts import Principal
from stafett.persistence.accounts import AccountStore
from stafett.projections.plan_list import FoundPlan, PlanListView, PlanSearch
from stafett.web.state import ACCESS_LOG, ACCOUNTS, PLANS, provide_plan_list

MAX_FOUND = 50
NARROWING = ("first_name", "last_name", "birth_date", "active_from", "active_to")
SEARCH_FACT = "audit_search"
log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Found:
    plans: list[FoundPlan]
    more: bool  # more plans matched than `plans` holds: narrow the search


@dataclass(frozen=True, slots=True)
class AuditReads:
    plan_list: PlanListView
    access_log: AccessLog
    facts: AccountStore
    clock: Callable[[], datetime]

    def search(self, principal: Principal, search: PlanSearch) -> Found:
        """The plans matching `search`, recorded as the module's text says."""
        if not account_may(AccountAction.SEARCH_PLANS, principal.roles):
            raise NotPermittedError("not permitted: search_plans")
        kinds = search.kinds
        if not any(kind in NARROWING for kind in kinds):
            raise ValidationError("search", "give the owner's name, birth date or a period")
        if search.active_from and search.active_to and search.active_from > search.active_to:
            raise ValidationError("to", "must not be before from", Refusal.ENDS_BEFORE_START)
        rows = self.plan_list.plans_matching(search, limit=MAX_FOUND + 1)
        found = Found(rows[:MAX_FOUND], more=len(rows) > MAX_FOUND)
        now = self.clock()
        detail = f"{','.join(kinds)} found={len(found.plans)}{'+' if found.more else ''}"
        self.facts.record_fact(principal.person_id, at=now, kind=SEARCH_FACT, detail=detail)
        for plan in found.plans:  # before the answer; a failure answers nothing (503)
            self.access_log.record(
                plan.id,
                reader_person_id=principal.person_id,
                role=Standing.AUDITOR.value,
                sections=["search"],
                grounds=AUDIT_GROUNDS,
                at=now,
            )
        log.info(
            SEARCH_FACT,
            actor=str(principal.person_id),
            terms=",".join(kinds),
            found=len(found.plans),
            more=found.more,
        )
        return found


def provide_audit(state: State) -> AuditReads:
    """An auditor's reads over every plan (the plan list must be running)."""
    return AuditReads(
        plan_list=provide_plan_list(state),
        access_log=state[ACCESS_LOG],
        facts=state[ACCOUNTS].accounts,
        clock=state[PLANS].clock,
    )
