"""Inside one plan: its home page, the plan itself, and every write the plan's forms make.

Both pages read the person's permitted view through `PlanReads.plan` (authorised by
the policy table, recorded in the access log, the visit noted): a part the person
may not read is absent from it, and so from the page, heading and all. A form is
shown only where the view says the person may write (`me.writable`, or the policy
table's answer for commenting); the application checks every write again.

Each form posts to its own route here, which decodes it into the API's command
(`plan_forms.py`), gives it to `Commands` and goes back to the plan with the write
confirmed (303, `?saved=<key>#<the item>`). What was typed that the command refuses
(422), and a plan changed since the page was shown (409), show the page again: the
plan as it is now, the form as the person filled it in (after a conflict, field by
field against what changed: `plan_clashes.py`), and what to do.

A message's reply link is the plan again with `?reply=<message id>`: the new-message
form filled in as the answer to it (its sender ticked where they may receive messages,
its subject as "Sv: …"), sent as any new message is. Only a message of the reader's
permitted view not sent by themselves, and only for a reader who may write messages;
any other id gives the form as always.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal
from uuid import UUID

import anyio
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery
from litestar.response import Redirect

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.policy import Action
from stafett.aggregates.values import ActivityStatus, CommentTarget, GoalStatus, Message, Section
from stafett.applications.accounts import Principal
from stafett.applications.commands import PlanCommand
from stafett.applications.permitted import PlanOut
from stafett.applications.results import CommandResult, KeyInUseError, VersionConflictError
from stafett.applications.step_up import require_step_up
from stafett.web.i18n import _
from stafett.web.idempotency import form_receipt
from stafett.web.pages import plan_forms as forms
from stafett.web.pages.forms import FormError, form_of
from stafett.web.pages.kept import KEPT, given_back, keeps, taken_back
from stafett.web.pages.plan_clashes import shown_back
from stafett.web.pages.plan_forms import FORM_KEY, Failed, form_state
from stafett.web.pages.plan_parts import (
    BATON_KEPT,
    COMMENTED_ITEM,
    COMMENTS_SHOWN,
    MESSAGES_SHOWN,
    PARTS,
    InOnePlan,
    baton_offer,
    came_of_age,
    comments_of,
    heading_context,
    labels,
    may,
    member_names,
    parts_context,
    present,
)
from stafett.web.pages.refusals import said
from stafett.web.pages.render import SAVED, Page, page, see_other
from stafett.web.pages.step_up import PLAN_DOWNLOAD
from stafett.web.params import AnyRequest, LoggedIn, PathId, PlanId, Reads, Writes
from stafett.web.reads import PlanReads, Visit
from stafett.web.state import ACCOUNTS, provided
from stafett.web.writes import Commands

Response = Page | Redirect
HOME_ITEMS = 5  # calendar entries and messages on the home page

SAVED.update(
    {
        "goal_added": lambda: _("The goal is added."),
        "goal_revised": lambda: _("The goal is changed."),
        "goal_evaluated": lambda: _("The evaluation is saved."),
        "activity_added": lambda: _("The activity is added."),
        "activity_changed": lambda: _("The activity is changed."),
        "activity_completed": lambda: _("The activity is marked as completed."),
        "minutes_recorded": lambda: _("The minutes are saved."),
        "comment_posted": lambda: _("Your comment is posted."),
        "message_sent": lambda: _("The message is sent."),
        "calendar_entry_added": lambda: _("The calendar entry is added."),
    }
)


# ------------------------------------------------------------------ contexts


def home_context(visit: Visit, principal: Principal, reads: PlanReads) -> dict[str, Any]:
    """Home: what is new since the last visit, my activities, what comes next, messages to
    me; for the coordinator, an owner who came of age since the consent was given."""
    view = visit.view
    me = view.me.participant_id
    previous = visit.previous
    activities = present(view, "activities")
    calendar = present(view, "calendar")
    messages = present(view, "messages")
    to_me = [m for m in messages or () if me in m.recipient_ids]
    return {
        **heading_context(view.id, view, principal, "home"),
        "view": view,
        "names": member_names(view),
        "previous": previous,
        "changed": visit.changed,  # in what this reader may read (decision 0050)
        "new_comments": [c for c in comments_of(view) if previous and c.posted_at > previous],
        "items": _item_titles(view),
        "my_activities": None
        if activities is None
        else sorted(
            (a for a in activities if a.responsible_participant_id == me),
            key=lambda a: (a.status is ActivityStatus.COMPLETED, a.due_on is None, a.due_on),
        ),
        "next_entries": None
        if calendar is None
        else sorted((e for e in calendar if e.ends_at >= visit.at), key=lambda e: e.starts_at)[
            :HOME_ITEMS
        ],
        "messages_to_me": None
        if messages is None
        else sorted(to_me, key=lambda m: m.sent_at, reverse=True)[:HOME_ITEMS],
        # a reply opens the plan's new-message form filled in (`plan_context`'s `reply_to`)
        "may_reply": Section.MESSAGES in view.me.writable,
        "baton_offer": baton_offer(view),  # decision 0052: the card's forms are baton.py's
        "came_of_age": came_of_age(reads, view),  # decision 0056
    }


def plan_context(
    view: PlanOut,
    principal: Principal,
    failed: Failed | None,
    opened: str | None = None,
    *,
    all_messages: bool = False,
    all_comments_on: str | None = None,
    also_kept: Sequence[Failed] = (),
    reply_to: UUID | None = None,
) -> dict[str, Any]:
    """The plan: every part the view carries, and the forms the person may use; an item's
    own forms (comment, evaluate, change) are links until asked for (`opened`), so a long
    plan's page does not carry a form for every item. Of the messages, the newest
    `MESSAGES_SHOWN` unless `all_messages`, with a link to the rest; of each item's
    comments, the newest `COMMENTS_SHOWN` but on the item `all_comments_on` ("goal-<id>"),
    with a link to the rest. `also_kept`: forms
    given back after the login besides `failed` (sent to the plan from other tabs), each
    open in its place as typed. `reply_to`: the message the new-message form answers."""
    writable = set(view.me.writable)
    words = labels()
    can = {
        "goals": Section.GOALS in writable,
        "activities": Section.ACTIVITIES in writable,
        "calendar": Section.ACTIVITIES in writable,
        "minutes": Section.MINUTES in writable,
        "messages": Section.MESSAGES in writable,
    }
    recipients = [
        (str(p.participant_id), p.name)
        for p in view.participants
        if p.participant_id != view.me.participant_id and Section.MESSAGES in p.addressed_in
    ]
    replied = _replied(view, reply_to) if can["messages"] else None
    filled: dict[str, Mapping[str, Any]] = {}
    if replied is not None:
        filled["message-new"] = forms.reply(replied, {value for value, _name in recipients})
    return {
        **heading_context(view.id, view, principal, "plan"),
        "view": view,
        "names": member_names(view),
        "members": view.participants,
        "me": view.me.participant_id,
        **parts_context({part: present(view, part) for part in PARTS}, comments_of(view)),
        "can": can,
        "may_export": may(view, Action.EXPORT_PLAN),
        "may_comment": {
            CommentTarget.GOAL.value: may(view, Action.COMMENT, Section.GOALS),
            CommentTarget.ACTIVITY.value: may(view, Action.COMMENT, Section.ACTIVITIES),
            CommentTarget.MINUTES.value: may(view, Action.COMMENT, Section.MINUTES),
        },
        "goal_options": [(s.value, words["goal"][s]) for s in GoalStatus],
        "activity_options": [(s.value, words["activity"][s]) for s in ActivityStatus],
        "member_options": [(str(p.participant_id), p.name) for p in view.participants],
        "responsible_options": [
            (str(p.participant_id), p.name)
            for p in view.participants
            if Section.ACTIVITIES in p.addressed_in
        ],
        "recipient_options": recipients,
        "replying_to": replied,  # the message the new-message form answers, if any
        "state": form_state(view.version, failed, opened, also_kept, filled),
        "failed": failed,
        "kept_written": [
            text for kept in (*also_kept, failed) if kept and kept.kept for text in kept.written
        ],
        "kept_count": len(also_kept) + 1,
        "readonly": False,
        "messages_shown": None if all_messages else MESSAGES_SHOWN,
        "comments_shown": COMMENTS_SHOWN,
        "all_comments_on": all_comments_on,
    }


def _replied(view: PlanOut, message_id: UUID | None) -> Message | None:
    """The message a reply answers: one of the reader's permitted view (so only one they
    may read), and not their own; None for any other id, which the page does not tell
    apart from one that does not exist."""
    for message in present(view, "messages") or ():
        if message.message_id == message_id:
            return message if message.sender_participant_id != view.me.participant_id else None
    return None


def _item_titles(view: PlanOut) -> dict[str, str]:
    """What a comment is on, by "kind-id", as the home page names it."""
    titles: dict[str, str] = {}
    for goal in present(view, "goals") or ():
        titles[f"goal-{goal.goal_id}"] = goal.title
    for activity in present(view, "activities") or ():
        titles[f"activity-{activity.activity_id}"] = activity.title
    for minutes in present(view, "minutes") or ():
        titles[f"minutes-{minutes.minutes_id}"] = minutes.met_on.strftime("%d.%m.%Y")
    return titles


# --------------------------------------------------------------------- pages

Build = Callable[[Mapping[str, Any]], PlanCommand]
Anchor = Callable[[Mapping[str, Any], CommandResult], str]
Key = str | Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True, slots=True)
class Form:
    """One of the plan's forms: its key on the page, how it becomes a command, the
    confirmation of its write and the item the page goes back to."""

    key: Key
    build: Build
    saved: str
    anchor: Anchor


@dataclass(frozen=True, slots=True)
class PlanWriter:
    """A form's write as the logged-in person, and the plan page again if it is refused."""

    reads: PlanReads
    principal: Principal
    commands: Commands

    async def write(self, request: AnyRequest, plan_id: UUID, form: Form) -> Response:
        """Decode the form, write it and go back to the plan with the write confirmed;
        or show the plan again with the form as typed. A form already saved (its token
        kept) goes where its first sending went, saving nothing again."""
        fields = await form_of(request)
        form_key = form.key if isinstance(form.key, str) else form.key(fields)

        def back(result: CommandResult) -> str:
            return f"/plans/{plan_id}/plan?saved={form.saved}#{form.anchor(fields, result)}"

        keys = self.commands.plans.idempotency
        receipt = form_receipt(keys, self.principal.person_id, fields, back)
        if receipt is not None and (went := await anyio.to_thread.run_sync(receipt.went)):
            return see_other(went)
        command: PlanCommand | None = None
        try:
            command = form.build(fields)
            result = await anyio.to_thread.run_sync(
                self.commands.over_changes, plan_id, command, receipt
            )
        except FormError as refused:
            failed = Failed(form_key, forms.typed(fields), _named(refused.errors, fields))
        except ValidationError as refused:
            field = forms.field_of(refused.field, fields)
            failed = Failed(form_key, forms.typed(fields), {field: said(refused)})
        except VersionConflictError as moved:
            unseen = moved.actual - (moved.expected or moved.actual)
            failed = Failed(form_key, forms.typed(fields), {}, conflict=True, changes_since=unseen)
        except KeyInUseError:  # its twin, sent at the same moment, saved it first
            assert receipt is not None
            went = await anyio.to_thread.run_sync(receipt.went)
            return see_other(went or f"/plans/{plan_id}/plan")
        else:
            return see_other(back(result))
        view = await anyio.to_thread.run_sync(self.reads.plan, plan_id, self.principal)
        if failed.conflict and command is not None:  # field by field, as it now is
            history = self.commands.plans
            back_as = partial(shown_back, reader=self.principal.person_id)
            failed = await anyio.to_thread.run_sync(
                back_as, history, plan_id, failed, command, view
            )
        context = plan_context(view, self.principal, failed)
        return page(request, "plan/plan.html", status=_refused_status(request, failed), **context)


def provide_writer(reads: Reads, principal: LoggedIn, commands: Writes) -> PlanWriter:
    return PlanWriter(reads, principal, commands)


Writer = NamedDependency[PlanWriter]


def _created(kind: str) -> Anchor:
    return lambda _fields, result: f"{kind}-{result.created_id}"


def _at(anchor: str) -> Anchor:
    return lambda _fields, _result: anchor


def adding(kind: str, build: Build, saved: str, anchor: str) -> Form:
    """The form that adds a `kind` (key "<kind>-new"); the page goes back to the new item."""
    return Form(f"{kind}-new", build, saved, _created(anchor))


def item_form(
    kind: str, item_id: UUID, action: str, make: Callable[[Any, UUID], Any], saved: str
) -> Form:
    """The form of one action on one goal or activity: its key on the page, its command,
    its confirmation, and the item the page returns to."""
    return Form(
        f"{kind}-{item_id}-{action}",
        lambda fields: make(fields, item_id),
        saved,
        _at(f"{kind}-{item_id}"),
    )


def _comment_key(fields: Mapping[str, Any]) -> str:
    """The comment form of one item: "comment-goal-<id>" (only known kinds and ids)."""
    kind = str(fields.get("on_kind", ""))
    try:
        item = UUID(str(fields.get("on_id", "")))
    except ValueError:
        return "comment"
    known = {t.value for t in CommentTarget}
    return f"comment-{kind}-{item}" if kind in known else "comment"


COMMENT = Form(
    _comment_key,
    forms.post_comment,
    "comment_posted",
    lambda fields, _result: f"{_comment_key(fields)}-list",
)


def writes(path: str, form: Form) -> HTTPRouteHandler:
    """The route a form of the plan page posts to (`path`, below the plan's address)."""

    async def write(
        self: Controller, request: AnyRequest, writer: Writer, plan_id: PlanId
    ) -> Response:
        return await writer.write(request, plan_id, form)

    key = form.key
    return post(path, opt=keeps(lambda fields, _: key if isinstance(key, str) else key(fields)))(
        write
    )


def writes_item(
    path: str, kind: str, action: str, make: Callable[[Any, UUID], Any], saved: str
) -> HTTPRouteHandler:
    """The route of one action on one goal or activity, whose id is `{item_id}` in `path`."""

    async def write(
        self: Controller,
        request: AnyRequest,
        writer: Writer,
        plan_id: PlanId,
        item_id: PathId,
    ) -> Response:
        return await writer.write(request, plan_id, item_form(kind, item_id, action, make, saved))

    return post(path, opt=keeps(lambda _, params: f"{kind}-{params['item_id']}-{action}"))(write)


class PlanPages(InOnePlan):
    dependencies = InOnePlan.dependencies | provided(provide_writer)

    @get("/", sync_to_thread=False)
    def home(self, request: AnyRequest, reads: Reads, principal: LoggedIn, plan_id: PlanId) -> Page:
        visit = reads.plan_since_last_visit(plan_id, principal)
        place = BATON_KEPT.format(plan_id=plan_id)  # an answer given back after a step-up
        kept = given_back(request, request.app.state[ACCOUNTS], principal, place)
        return page(
            request,
            "plan/home.html",
            kept=kept is not None,
            **home_context(visit, principal, reads),
        )

    @get("/export", sync_to_thread=False, opt=PLAN_DOWNLOAD)
    def export(
        self, principal: LoggedIn, plan_id: PlanId, language: FromQuery[Literal["nb", "en"]] = "nb"
    ) -> Redirect:
        """The PDF of the plan as the person may see it, after a fresh code (SEC-SES-08)."""
        require_step_up(principal)
        return see_other(f"/api/v1/plans/{plan_id}/export", language=language)

    @get("/plan")
    async def the_plan(
        self, request: AnyRequest, reads: Reads, principal: LoggedIn, plan_id: PlanId
    ) -> Page:
        view = reads.plan(plan_id, principal)
        opened = request.query_params.get("open")
        if opened is not None and not FORM_KEY.fullmatch(opened):
            opened = None
        back: list[Failed] = []
        if request.query_params.get(KEPT) == "1":  # after a login: the forms kept (kept.py)
            accounts = request.app.state[ACCOUNTS]
            back = await anyio.to_thread.run_sync(taken_back, accounts, principal, plan_id)
        every = request.query_params.get("messages") == "all"
        commented = request.query_params.get("comments")
        if commented is not None and not COMMENTED_ITEM.fullmatch(commented):
            commented = None
        reply_to = _message_id(request.query_params.get("reply"))
        newest = back[-1] if back else None  # the one the login returned to (`#key`)
        context = plan_context(
            view,
            principal,
            newest,
            opened,
            all_messages=every,
            all_comments_on=commented,
            also_kept=back[:-1],
            reply_to=reply_to,
        )
        return page(request, "plan/plan.html", **context)

    # Every form of the plan posts to its own address here.
    set_goal = writes("/plan/goals", adding("goal", forms.set_goal, "goal_added", "goal"))
    revise_goal = writes_item(
        "/plan/goals/{item_id:uuid}", "goal", "revise", forms.revise_goal, "goal_revised"
    )
    evaluate_goal = writes_item(
        "/plan/goals/{item_id:uuid}/evaluations",
        "goal",
        "evaluate",
        forms.evaluate_goal,
        "goal_evaluated",
    )
    add_activity = writes(
        "/plan/activities",
        adding("activity", forms.add_activity, "activity_added", "activity"),
    )
    change_activity = writes_item(
        "/plan/activities/{item_id:uuid}",
        "activity",
        "change",
        forms.change_activity,
        "activity_changed",
    )
    complete_activity = writes_item(
        "/plan/activities/{item_id:uuid}/completed",
        "activity",
        "complete",
        forms.complete_activity,
        "activity_completed",
    )
    record_minutes = writes(
        "/plan/minutes", adding("minutes", forms.record_minutes, "minutes_recorded", "minutes")
    )
    post_comment = writes("/plan/comments", COMMENT)
    send_message = writes(
        "/plan/messages", adding("message", forms.send_message, "message_sent", "message")
    )
    add_calendar_entry = writes(
        "/plan/calendar",
        adding("calendar", forms.add_calendar_entry, "calendar_entry_added", "entry"),
    )


def _refused_status(request: AnyRequest, failed: Failed) -> int:
    """409 for a conflict, 422 for what was typed; 200 to htmx, which swaps in only
    successful answers (the page it gets shows the refusal all the same)."""
    if request.headers.get("hx-request") == "true":
        return 200
    return 409 if failed.conflict else 422


def _message_id(text: str | None) -> UUID | None:
    """`?reply=`: a message's id, or None for anything else (the plain form, no error)."""
    try:
        return UUID(text) if text else None
    except ValueError:
        return None


def _named(errors: Mapping[str, str], fields: Mapping[str, Any]) -> dict[str, str]:
    return {forms.field_of(name, fields): message for name, message in errors.items()}
