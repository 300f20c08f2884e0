"""The plan list, creating a plan, and the organisation reports: the guide's first screens.

`GET /plans` is `GET /api/v1/plans` as a page: the same read of the plan-list
projection (`api/lists.plans_of`), so a person sees exactly the plans the API lists.
`/plans/new` decodes its form into the API's `CreatePlan` and gives it to `Commands`;
the owner is found with the directory search of `GET /api/v1/persons`, and a new
owner whom the directory already seems to hold (the same name and birth date) is
only registered once the coordinator has seen them and confirmed. `GET /reports` is
`GET /api/v1/reports` as tables. The account rules (who may create plans, search the
directory, read reports, search every plan) are the policy table's, asked through
`account_may`. An auditor's plans page carries the search over every plan
(`GET /api/v1/audit/plans`, `audit_search.py`) in place of the own-plan search.
"""

import contextlib
from collections.abc import Sequence
from datetime import date
from typing import Annotated
from uuid import UUID

import anyio
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect

from stafett.aggregates.errors import ConsentNotValidError, ValidationError
from stafett.aggregates.policy import AccountAction, account_may
from stafett.aggregates.values import local_date
from stafett.applications.accounts import Principal
from stafett.applications.log_control import LogControl
from stafett.applications.plans import PlanApplication
from stafett.applications.results import PersonNotFoundError, PlanNotFoundError
from stafett.web.api.lists import INACTIVE_DAYS, NameQuery, organisation_reports, plans_of
from stafett.web.api.log_control import log_control_for
from stafett.web.api.persons import MAX_NAME_LENGTH, PersonOut, search_directory, shown_to
from stafett.web.audit import AuditReads, provide_audit
from stafett.web.auth import Policy, policy, provide_principal
from stafett.web.i18n import _
from stafett.web.pages.audit_search import AuditSearchForm, audit_search
from stafett.web.pages.forms import FormError, form_of
from stafett.web.pages.kept import given_back, keeps_page
from stafett.web.pages.new_plan import (
    CONFIRM,
    SEARCH,
    PlanForm,
    command_of,
    consent_not_in_force,
    refusal_of,
)
from stafett.web.pages.plan_parts import level_choices
from stafett.web.pages.render import SAVED, Page, page, see_other
from stafett.web.params import AnyRequest, LoggedIn, PlanList, Plans, Writes
from stafett.web.state import (
    ACCESS_LOG,
    ACCOUNTS,
    provide_plan_list,
    provide_plans,
    provide_read_your_writes,
    provided,
)
from stafett.web.writes import Commands, provide_commands

Typed = Annotated[str | None, QueryParameter(max_length=MAX_NAME_LENGTH)]

SAVED["plan_created"] = lambda: _("The plan is created, and you are its coordinator.")


# The log control's period as typed in the reports page's form (said at the field if wrong).
FirstDayText = Annotated[str | None, QueryParameter(name="from", max_length=40)]
LastDayText = Annotated[str | None, QueryParameter(name="to", max_length=40)]


class PlanListPages(Controller):
    path = "/"
    dependencies = provided(
        provide_plans, provide_plan_list, provide_principal, audit=provide_audit
    )

    @get("/plans", sync_to_thread=False, opt=policy(Policy.AUTHENTICATED))
    def plan_list(  # the guide's search and an auditor's
        self,
        *,
        request: AnyRequest,
        plans: Plans,
        plan_list: PlanList,
        principal: LoggedIn,
        audit: NamedDependency[AuditReads],
        first_name: NameQuery = None,
        last_name: NameQuery = None,
        include_closed: FromQuery[bool] = False,
        search: Typed = None,
        birth_date: Typed = None,
        status: Typed = None,
        active_from: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
        active_to: Annotated[str | None, QueryParameter(name="to", max_length=40)] = None,
    ) -> Page:
        """The plans the person is in and may open today, with the guide's columns; for an
        auditor, the search over every plan too (`search=all` runs it)."""
        may_audit = account_may(AccountAction.SEARCH_PLANS, principal.roles)
        audited: AuditSearchForm | None = None
        if search is not None:  # refused (403) unless the policy table lets them
            terms = {"first_name": first_name, "last_name": last_name, "status": status}
            terms |= {"birth_date": birth_date, "from": active_from, "to": active_to}
            audited = audit_search(audit, principal, terms)
        rows = []
        if audited is None:
            rows = plans_of(
                plans,
                plan_list,
                principal,
                first_name=first_name,
                last_name=last_name,
                include_closed=include_closed,
            )
        return page(
            request,
            "plans/list.html",
            status=422 if audited is not None and audited.errors else 200,
            rows=rows,
            may_audit=may_audit,
            audit=audited,
            search={
                "first_name": first_name or "",
                "last_name": last_name or "",
                "include_closed": include_closed,
            },
            searched=bool(first_name or last_name),
            may_create=account_may(AccountAction.CREATE_PLAN, principal.roles),
            quiet_after=INACTIVE_DAYS,  # a plan the reader manages, this quiet, says so
        )

    @get("/reports", sync_to_thread=True, opt=policy(Policy.READ_REPORTS))
    def reports(
        self,
        *,
        request: AnyRequest,
        plans: Plans,
        plan_list: PlanList,
        principal: LoggedIn,
        first_day: FirstDayText = None,
        last_day: LastDayText = None,
    ) -> Page:
        """The organisation's four reports, as `GET /api/v1/reports` gives them, and the
        log control of a period (the last full week unless `from` and `to` are given); a
        period it cannot take is said at its field, kept as typed, and the last full week
        shown."""
        access_log = request.app.state[ACCESS_LOG]
        accounts = request.app.state[ACCOUNTS].accounts
        typed = {"from": first_day or "", "to": last_day or ""}
        errors: dict[str, str] = {}
        try:
            first, last = _day("from", first_day), _day("to", last_day)
            found = log_control_for(
                plans, access_log, accounts, principal, first_day=first, last_day=last
            )
        except ValidationError as error:
            errors[error.field] = _(
                "Give the first and the last day of the period, the last on or after the "
                "first, at most a year apart."
            )
            found = log_control_for(
                plans, access_log, accounts, principal, first_day=None, last_day=None
            )
        return page(
            request,
            "plans/reports.html",
            status=422 if errors else 200,
            reports=organisation_reports(plans, plan_list, principal),
            control=found,
            names=log_control_names(plans, found),
            period=typed if first_day or last_day else {},
            period_errors=errors,
        )


NEW_PLAN = "new-plan"  # where a form to create a plan is kept (kept.py)


class NewPlanPages(Controller):
    path = "/plans/new"
    dependencies = provided(
        provide_plans,
        provide_principal,
        provide_plan_list,
        provide_commands,
        caught_up=provide_read_your_writes,
    )
    opt = policy(Policy.CREATE_PLAN)

    @get("/", sync_to_thread=True)
    def new_plan_form(
        self,
        request: AnyRequest,
        plans: Plans,
        principal: LoggedIn,
        owner_search: NameQuery = None,
    ) -> Page:
        """An empty form (consent first); `?owner_search=` already lists directory matches.
        After a login, `?kept=1`: the form as typed when the session had ended (kept.py)."""
        kept = given_back(request, request.app.state[ACCOUNTS], principal, NEW_PLAN)
        if kept is not None:
            return _form_page(request, plans, principal, PlanForm.typed(kept.fields), kept=True)
        form = PlanForm.blank(local_date(plans.clock()).isoformat())
        form.values[SEARCH] = owner_search or ""
        return _form_page(request, plans, principal, form)

    @post("/", opt=keeps_page(NEW_PLAN, "/plans/new"))
    async def create_plan(
        self, request: AnyRequest, plans: Plans, principal: LoggedIn, commands: Writes
    ) -> Page | Redirect:
        """Search the directory (the form comes back as typed), or create the plan."""
        fields = await form_of(request)
        form = PlanForm.typed(fields)
        if fields.get("action") == "search":
            if not form.values[SEARCH].strip():
                form.errors[SEARCH] = _("Type at least 2 letters of the name.")
            return await anyio.to_thread.run_sync(_form_page, request, plans, principal, form)
        return await anyio.to_thread.run_sync(_create, request, plans, principal, commands, form)


def _create(
    request: AnyRequest,
    plans: PlanApplication,
    principal: Principal,
    commands: Commands,
    form: PlanForm,
) -> Page | Redirect:
    """The plan, made by `Commands`; else the form again, with what to correct or confirm."""
    try:
        command = command_of(form)
        owner = command.owner.ref()
        if not isinstance(owner, UUID) and not form.confirmed_new:
            duplicates = shown_to(principal, plans.likely_duplicates(owner))
            if duplicates:
                return _form_page(
                    request, plans, principal, form, duplicates=duplicates, born=owner.birth_date
                )
        result = commands.create_plan(command)
    except FormError as wrong:
        form.errors = wrong.errors
    except ValidationError as refused:
        form.errors = refusal_of(refused)
    except ConsentNotValidError:
        form.errors = consent_not_in_force()
    else:
        return see_other(f"/plans/{result.plan_id}", saved="plan_created")
    return _form_page(request, plans, principal, form, status=422)


def _form_page(
    request: AnyRequest,
    plans: PlanApplication,
    principal: Principal,
    form: PlanForm,
    *,
    duplicates: Sequence[PersonOut] = (),
    born: date | None = None,
    status: int = 200,
    kept: bool = False,
) -> Page:
    """The form as typed, with the directory's matches for the owner search, the owner
    already chosen, and likely duplicates of a new owner (born on `born`) if there are."""
    warned = {p.person_id for p in duplicates}
    found = [p for p in _directory_matches(plans, principal, form) if p.person_id not in warned]
    chosen = form.chosen_owner
    if chosen is not None and chosen not in warned | {p.person_id for p in found}:
        found = [*_person(plans, principal, chosen), *found]
    return page(
        request,
        "plans/new.html",
        status=status,
        form=form.values,
        errors=form.errors,
        found=found,
        duplicates=duplicates,
        born=born,
        may_search=account_may(AccountAction.SEARCH_DIRECTORY, principal.roles),
        confirm=CONFIRM,
        levels=level_choices(),
        consent_age=plans.consent_age,  # who gives the consent (decision 0056)
        kept=kept,
    )


def _directory_matches(
    plans: PlanApplication, principal: Principal, form: PlanForm
) -> list[PersonOut]:
    """The directory search of `GET /api/v1/persons` for the owner search field."""
    name = form.values[SEARCH].strip()[:MAX_NAME_LENGTH]
    if not name or not account_may(AccountAction.SEARCH_DIRECTORY, principal.roles):
        return []
    try:
        return search_directory(plans, principal, name)
    except ValidationError:
        form.errors.setdefault(SEARCH, _("Type at least 2 letters of the name."))
        return []


def _person(plans: PlanApplication, principal: Principal, person_id: UUID) -> list[PersonOut]:
    """The owner chosen earlier, as the directory shows them (nothing if they are gone)."""
    try:
        return shown_to(principal, [plans.get_person(person_id)])
    except PersonNotFoundError:
        return []


def _day(field: str, text: str | None) -> date | None:
    """A day typed in the period's form (ISO, as the date field sends it); None if empty."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(field, "not a date") from None


def log_control_names(plans: PlanApplication, found: LogControl) -> dict[UUID, str]:
    """The names the log control's findings show: each reader's (from the directory; a
    person erased since shows as deleted), each plan's short name."""
    readers = {b.reader_person_id for b in found.busy_readers}
    flagged = (*found.off_hours, *found.outside_consent)
    readers |= {r.reader_person_id for r in flagged}
    readers |= {a.person_id for a in found.dormant_accounts}
    people = plans.directory.get_many(readers)
    names = {pid: f"{p.details.first_name} {p.details.last_name}" for pid, p in people.items()}
    for plan_id in {r.plan_id for r in flagged}:
        with contextlib.suppress(PlanNotFoundError):
            names[plan_id] = plans.get_plan(plan_id).short_name
    return names
