"""The notices a participant chooses, on their details page (decision 0020).

One checkbox per kind of change and channel (`notice.<kind>.<channel>`), and one for
the hourly e-mail digest (`notice.email_digest`, decision 0022); the form
saves them with the API's own command (`ChooseNotifications`, as
`PUT …/participants/{pid}/notifications`). It is shown to the participant themself
and to the coordinator, the two the policy table lets choose (`choose_own_notifications`,
`choose_notifications`); the permitted view carries the choices to exactly them.
"""

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from litestar import post
from litestar.response import Redirect

from stafett.aggregates.values import NoticeChannel, NoticeKind, NotificationChoices
from stafett.applications.commands import ChooseNotifications
from stafett.applications.permitted import MemberOut
from stafett.web.i18n import _
from stafett.web.pages.forms import form_of
from stafett.web.pages.plan_parts import InOnePlan
from stafett.web.pages.render import SAVED, in_thread, see_other
from stafett.web.params import AnyRequest, PathId, PlanId, Writes

SAVED["notifications_saved"] = lambda: _("Your choice of notifications is saved.")

KIND_LABELS: dict[str, Callable[[], str]] = {
    NoticeKind.NEW_MESSAGE.value: lambda: _("A new message to me"),
    NoticeKind.NEW_GOAL_OR_ACTIVITY.value: lambda: _("A new goal or activity"),
    NoticeKind.NEW_COMMENT.value: lambda: _("A new comment"),
    NoticeKind.NEW_CALENDAR_ENTRY.value: lambda: _("A new calendar entry"),
    NoticeKind.NEW_PARTICIPANT.value: lambda: _("A new participant in the plan group"),
}
CHANNEL_LABELS: dict[str, Callable[[], str]] = {
    NoticeChannel.SMS.value: lambda: _("SMS"),
    NoticeChannel.EMAIL.value: lambda: _("E-mail"),
}


def notice_rows(member: MemberOut) -> list[dict[str, Any]] | None:
    """The form's rows (kind, label, channels with label and checked), or None when the
    reader may not see this participant's choices."""
    chosen = member.notifications
    if not isinstance(chosen, NotificationChoices):
        return None
    return [
        {
            "kind": kind.value,
            "label": KIND_LABELS[kind.value](),
            "channels": [
                {
                    "value": channel.value,
                    "label": CHANNEL_LABELS[channel.value](),
                    "checked": channel in chosen.channels(kind),
                }
                for channel in NoticeChannel
            ],
        }
        for kind in NoticeKind
    ]


def choice_of(fields: Mapping[str, Any], participant_id: UUID) -> ChooseNotifications:
    chosen: dict[str, Any] = {
        kind.value: [c.value for c in NoticeChannel if f"notice.{kind.value}.{c.value}" in fields]
        for kind in NoticeKind
    }
    digest = "notice.email_digest" in fields
    return ChooseNotifications(participant_id=participant_id, email_digest=digest, **chosen)


class NoticeChoicePages(InOnePlan):
    path = "/plans/{plan_id:uuid}/participants"

    @post("/{participant_id:uuid}/notifications")
    async def save_notifications(
        self, request: AnyRequest, commands: Writes, plan_id: PlanId, participant_id: PathId
    ) -> Redirect:
        """The notices the participant gets, per kind of change, by SMS and/or e-mail."""
        fields = await form_of(request)
        await in_thread(commands, plan_id, choice_of(fields, participant_id))
        here = f"/plans/{plan_id}/participants/{participant_id}"
        return see_other(here, saved="notifications_saved")
