"""The plan group's pages: the participants tab, a participant's details, adding a
participant and giving one a login (issue 10, items 4 and 10).

Every read goes through `PlanReads` (the permitted view; a participant's full details
only for those who may edit them, and for the participant themself), every write
through `Commands` with the API's own structs (`AddParticipant`, `ChangeParticipant`)
or, for a login, through the same application as `POST …/participants/{pid}/account`.
What a person may do is asked of the policy table with their standing and rights from
the permitted view (`may`); a form is shown only when it lets them, and the
application checks the write anyway.
"""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from litestar import get, post
from litestar.di import NamedDependency
from litestar.response import Redirect

from stafett.aggregates.errors import DuplicateError, NotFoundError, Refusal, ValidationError
from stafett.aggregates.person import SHARED_FIELDS, Person
from stafett.aggregates.policy import Action
from stafett.aggregates.values import Rights
from stafett.applications.accounts import Principal
from stafett.applications.commands import ChangeParticipant
from stafett.applications.logins import NewLogin, ParticipantLogins
from stafett.applications.permitted import MemberOut, PlanOut
from stafett.applications.photos import PersonPhotos
from stafett.applications.results import VersionConflictError
from stafett.web.api.logins import provide_logins
from stafett.web.i18n import _
from stafett.web.pages.forms import FormError, decode, form_of
from stafett.web.pages.kept import given_back, keeps_page
from stafett.web.pages.notice_choices import notice_rows
from stafett.web.pages.participant_add import (
    NO_MATCHES,
    add_context,
    addition_of,
    likely_duplicates,
)
from stafett.web.pages.participant_values import (
    RIGHT_NAMES,
    SECTIONS,
    current_values,
    rights_fields,
    text,
    typed,
)
from stafett.web.pages.person_edits import FLAGS, TEXTS, edits_of, shown_field
from stafett.web.pages.plan_parts import InOnePlan, heading_context, may, withdrawal
from stafett.web.pages.refusals import Own, said
from stafett.web.pages.render import SAVED, Page, in_thread, page, see_other
from stafett.web.params import AnyRequest, LoggedIn, Logins, PathId, PlanId, Plans, Reads, Writes
from stafett.web.reads import PlanReads
from stafett.web.state import ACCOUNTS, provided

T = TypeVar("T")

# Where a form sent after the session ended is kept, and the page it is given back on.
DETAILS_PAGE = "/plans/{plan_id}/participants/{participant_id}"
DETAILS_KEPT = "participant:{plan_id}:{participant_id}"
ADD_KEPT = "add-participant:{plan_id}"
LOGIN_FIELDS = ("username", "otp_channel")  # the form that gives a participant a login

SAVED["participant_added"] = lambda: _("The participant is added to the plan group.")
SAVED["participant_saved"] = lambda: _("The changes are saved.")
SAVED["login_given"] = lambda: _(
    "The login is made. A link to choose a password is on its way to the participant."
)
SAVED["activation_resent"] = lambda: _(
    "A new link to choose a password is on its way to the participant. The earlier link "
    "no longer works."
)


# ------------------------------------------------------------ the policy, asked


def may_edit_person(view: PlanOut) -> bool:
    return may(view, Action.EDIT_PERSON)


def member_of(view: PlanOut, participant_id: UUID) -> MemberOut:
    for member in view.participants:
        if member.participant_id == participant_id:
            return member
    raise NotFoundError("no such participant in this plan")


def ordered(view: PlanOut) -> list[MemberOut]:
    """The coordinator first, then the owner, relatives and providers, by name."""
    rank = {"owner": 1, "relative": 2, "provider": 3}
    return sorted(
        view.participants,
        key=lambda m: (0 if m.is_coordinator else rank[m.role.value], m.name.casefold()),
    )


# ------------------------------------------------------- forms into commands


def change_of(
    fields: Mapping[str, Any], participant_id: UUID, edited: Collection[str] = ()
) -> ChangeParticipant | None:
    """The details form as the API's `ChangeParticipant`: the `edited` person details
    (`person_edits.py`; an emptied field as empty, or no birth date; an unticked box as
    no), and the responsibility and rights the form held. None if it changes nothing."""
    given: dict[str, Any] = {}
    for name in (*(n for n in TEXTS if n in edited), "responsibility"):
        if name in fields:
            value = text(fields, name)
            given[name] = value if value.strip() else None if name == "birth_date" else ""
    given |= {flag: flag in fields for flag in FLAGS if flag in edited}
    if f"rights.{SECTIONS[0]}" in fields:
        given["rights"] = rights_fields(fields)
    if "role" in fields:
        given["role"] = text(fields, "role")
    if not given:
        return None
    given |= {
        "participant_id": str(participant_id),
        "expected_version": text(fields, "expected_version") or None,
    }
    return decode(ChangeParticipant, given, blanks=True)


def refusal(error: Exception, known: Callable[[str], bool]) -> tuple[dict[str, str], int]:
    """A write's refusal as the form's messages (a field of the form, or the form), and
    the status of the page that shows them: 409 for a stale version, else 422."""
    if isinstance(error, VersionConflictError):
        return {"": conflict_message()}, 409
    return _refusal_messages(error, known), 422


def _refusal_messages(error: Exception, known: Callable[[str], bool]) -> dict[str, str]:
    if isinstance(error, FormError):
        return error.errors
    if isinstance(error, DuplicateError):
        return {"": _("This is already so: the person is in the plan group, or has a login.")}
    assert isinstance(error, ValidationError)
    field = error.field if known(error.field) else ""
    return {field: said(error, THEIRS)}


# The participants' pages speak of someone else's account.
THEIRS: Own = {
    Refusal.EMAIL_CODES_WITH_MOBILE: lambda e: _(
        "The participant has a mobile number, so the codes go by SMS."
    ),
    Refusal.NEEDS_MOBILE_OR_EMAIL: lambda e: _(
        "The participant needs a mobile number or an e-mail address first."
    ),
}


def conflict_message() -> str:
    return _(
        "Someone changed the plan while you were writing. What it holds now is shown; "
        "your text is kept. Check it and save again."
    )


REFUSALS = (FormError, ValidationError, VersionConflictError, DuplicateError)


@dataclass(frozen=True, slots=True)
class DetailsPage:
    """One participant's details page, as the logged-in person may see it (`context`)."""

    reads: PlanReads
    logins: ParticipantLogins
    principal: Principal
    plan_id: UUID
    participant_id: UUID

    @property
    def here(self) -> str:
        return f"/plans/{self.plan_id}/participants/{self.participant_id}"

    def context(self) -> dict[str, Any]:
        return details_context(
            self.reads, self.logins, self.principal, self.plan_id, self.participant_id
        )

    def person(self) -> Person:
        """The participant's directory details (for those who may edit them; recorded)."""
        return self.reads.person(self.plan_id, self.principal, self.participant_id)


def provide_details_page(
    reads: Reads, logins: Logins, principal: LoggedIn, plan_id: PlanId, participant_id: PathId
) -> DetailsPage:
    return DetailsPage(reads, logins, principal, plan_id, participant_id)


Details = NamedDependency[DetailsPage]


# ------------------------------------------------------------------ the pages


class ParticipantPages(InOnePlan):
    path = "/plans/{plan_id:uuid}/participants"
    dependencies = InOnePlan.dependencies | provided(provide_logins, provide_details_page)

    @get("", sync_to_thread=False)
    def group(
        self, *, request: AnyRequest, reads: Reads, principal: LoggedIn, plan_id: PlanId
    ) -> Page:
        """The plan group: role, responsibility and shared contact details of each."""
        view = reads.plan(plan_id, principal)
        return page(
            request,
            "participants/list.html",
            plan=view,
            **heading_context(plan_id, view, principal, "participants"),
            members=ordered(view),
            may_manage=may(view, Action.MANAGE),
            withdrawal=withdrawal(reads, view),
            consent_age=reads.plans.consent_age,
        )

    # -------------------------------------------------------------- details

    @get("/{participant_id:uuid}", sync_to_thread=True)
    def details(self, request: AnyRequest, details_page: Details) -> Page:
        context = details_page.context()
        place = DETAILS_KEPT.format(**request.path_params)
        kept = given_back(request, request.app.state[ACCOUNTS], details_page.principal, place)
        if kept is not None and "username" in kept.fields:  # the login form, as typed
            context["login_values"] = {k: text(kept.fields, k) for k in LOGIN_FIELDS}
            context["kept"] = True
        elif kept is not None:  # after a login: the details form as typed then
            context["values"] |= typed(kept.fields, context["values"])
            if "first_name" in kept.fields and context["person"] is not None:
                context["values"] |= edits_of(kept.fields, context["person"].details).refill
                context["shown"] = str(kept.fields.get("shown", context["shown"]))
            context["kept"] = True
        return page(request, "participants/details.html", **context)

    @post("/{participant_id:uuid}", opt=keeps_page(DETAILS_KEPT, DETAILS_PAGE))
    async def save_details(
        self, request: AnyRequest, details_page: Details, commands: Writes
    ) -> Page | Redirect:
        """The details form: the person's details, responsibility and rights, in one save.

        Of the person's details only those edited in the form are sent; one that someone
        else changed meanwhile and this form edited too is shown again, not saved."""
        fields = await form_of(request)
        edits = None
        if "first_name" in fields:  # the form holds the person's details
            person = await in_thread(details_page.person)
            edits = edits_of(fields, person.details)
        edited = edits.edited if edits is not None else frozenset()
        if edits is not None and edits.clashes:
            errors, status = edits.messages(), 409
        else:
            try:
                change = change_of(fields, details_page.participant_id, edited)
                if change is not None:
                    await in_thread(commands, details_page.plan_id, change)
                return see_other(details_page.here, saved="participant_saved")
            except REFUSALS as error:
                errors, status = refusal(error, lambda name: name in fields or name in RIGHT_NAMES)
        context = await in_thread(details_page.context)
        context["values"] |= typed(fields, context["values"])
        if edits is not None:  # what it shows and what it says it showed, from one read
            context["values"] |= edits.refill
            context["shown"] = edits.shown
        context["errors"] = errors
        return page(request, "participants/details.html", status=status, **context)

    @post("/{participant_id:uuid}/account", opt=keeps_page(DETAILS_KEPT, DETAILS_PAGE))
    async def give_login(self, request: AnyRequest, details_page: Details) -> Page | Redirect:
        """The coordinator gives a participant without an account a login."""
        fields = await form_of(request)
        try:
            login = decode(NewLogin, fields)
            await in_thread(
                details_page.logins.give_login,
                details_page.plan_id,
                details_page.participant_id,
                login,
                by=details_page.principal.person_id,
            )
            return see_other(details_page.here, saved="login_given")
        except REFUSALS as error:
            known = ("username", "otp_channel", "mobile", "email")
            messages = refusal(error, lambda name: name in known)[0]  # the page stays 422
            errors = {
                ("otp_channel" if k in ("mobile", "email") else k): v for k, v in messages.items()
            }
        context = await in_thread(details_page.context)
        context["login_values"] = {k: text(fields, k) for k in LOGIN_FIELDS}
        context["login_errors"] = errors
        return page(request, "participants/details.html", status=422, **context)

    @post("/{participant_id:uuid}/account/activation")
    async def resend_activation(self, details_page: Details) -> Redirect:
        """A new link to choose a password, for a login the participant has not used yet."""
        await in_thread(
            details_page.logins.resend_activation,
            details_page.plan_id,
            details_page.participant_id,
            by=details_page.principal.person_id,
        )
        return see_other(details_page.here, saved="activation_resent")

    # ------------------------------------------------------------------ add

    @get("/new", sync_to_thread=True)
    def add_form(
        self,
        *,
        request: AnyRequest,
        reads: Reads,
        plans: Plans,
        principal: LoggedIn,
        plan_id: PlanId,
    ) -> Page:
        """Find the person in the directory, or register a new one; then role and rights."""
        name = request.query_params.get("name")
        kept = given_back(
            request, request.app.state[ACCOUNTS], principal, ADD_KEPT.format(plan_id=plan_id)
        )
        how = request.query_params.get("how", "")
        if kept is not None:  # after a login: the form as typed when the session ended
            how = "directory" if text(kept.fields, "how") == "directory" else "new"
            name = text(kept.fields, "name") if how == "directory" else None
        context = add_context(reads, plans, principal, plan_id, name)
        if kept is not None:
            context |= {"how": how, "values": typed(kept.fields, {}), "kept": True}
        if how == "new" or not context["may_search"]:
            context["how"] = "new"
        return page(request, "participants/add.html", **context)

    @post("/new", opt=keeps_page(ADD_KEPT, "/plans/{plan_id}/participants/new"))
    async def add(
        self,
        *,
        request: AnyRequest,
        reads: Reads,
        plans: Plans,
        commands: Writes,
        principal: LoggedIn,
        plan_id: PlanId,
    ) -> Page | Redirect:
        """Add the person found or registered; a new person whom the directory seems to
        hold already first comes back with the matches to choose from (`participant_add`)."""
        fields = await form_of(request)
        matches, status = NO_MATCHES, 200
        errors: dict[str, str] = {}
        try:
            addition = addition_of(fields)
            matches = await in_thread(
                likely_duplicates, plans, principal, plan_id, addition, fields
            )
            if not matches.persons:
                result = await in_thread(commands, plan_id, addition)
                added = f"/plans/{plan_id}/participants/{result.created_id}"
                return see_other(added, saved="participant_added")
        except REFUSALS as error:
            errors, status = refusal(error, lambda name: name in fields or name in RIGHT_NAMES)
        how = "directory" if text(fields, "how") == "directory" else "new"
        search = text(fields, "name") if how == "directory" else None
        context = await in_thread(
            add_context, reads, plans, principal, plan_id, search, matches=matches
        )
        context |= {"how": how, "errors": errors, "values": typed(fields, {})}
        return page(request, "participants/add.html", status=status, **context)


def details_context(
    reads: PlanReads,
    logins: ParticipantLogins,
    principal: Principal,
    plan_id: UUID,
    participant_id: UUID,
) -> dict[str, Any]:
    """What the details page shows the reader, and which of its forms they may use."""
    view = reads.plan(plan_id, principal)
    member = member_of(view, participant_id)
    own = member.person_id == principal.person_id
    edits_person = may_edit_person(view)
    manages = may(view, Action.MANAGE)
    person = reads.person(plan_id, principal, participant_id) if edits_person or own else None
    login = logins.login_state(plan_id, participant_id, by=principal.person_id) if manages else None
    return {
        "plan": view,
        **heading_context(plan_id, view, principal, "participants"),
        "member": member,
        "own": own,
        "person": person,
        "edits_person": edits_person,
        "manages": manages,
        "edits_rights": manages and not member.is_coordinator,
        # Decision 0054: not the owner's, nor while the baton is offered to them.
        "changes_role": manages
        and not member.is_coordinator
        and member.role.value != "owner"
        and view.baton_offered_to != participant_id,
        "rights_shown": member.rights if isinstance(member.rights, Rights) else None,
        "login": login,
        "has_photo": PersonPhotos(reads.plans).has_photo(member.person_id),
        "photo_errors": {},
        "values": current_values(member, person),
        "shown": shown_field(person.details) if person is not None else "",
        "errors": {},
        "login_errors": {},
        "login_values": {"otp_channel": "sms"},
        "shared_fields": SHARED_FIELDS,
        "sections": SECTIONS,
        "notices": notice_rows(member),
        "kept": False,
    }


__all__ = ["ParticipantPages", "may_edit_person"]
