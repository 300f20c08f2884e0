"""A person's photo on the pages: "Bytt bilde" and "Slett bilde" on a participant's
details and on My profile (product item 8).

Each form calls what its API route calls (`PersonPhotos`, as `PUT`/`DELETE
…/participants/{participant_id}/photo` and `…/me/photo` do), so the rules are the
same: a participant's photo for those the policy table lets edit their details,
one's own from My profile. The upload form posts multipart (the one place the edge
lets a page do so) with the session's CSRF token; a refused file is named next to
the field, in the page's language, and nothing is stored. The pages show the photo
through the API's `GET` routes, which record the read in the plan's access log.
"""

from collections.abc import Callable

from litestar import post
from litestar.datastructures import UploadFile
from litestar.response import Redirect

from stafett.applications.photo_encoding import (
    MAX_PHOTO_BYTES,
    PhotoRejectedError,
)
from stafett.web.api.logins import provide_logins
from stafett.web.api.photos import Photos, provide_photos
from stafett.web.edge import MAX_UPLOAD_BYTES
from stafett.web.i18n import _
from stafett.web.pages.participants import Details, provide_details_page
from stafett.web.pages.plan_parts import InOnePlan
from stafett.web.pages.profile import OnMyProfile, profile_page
from stafett.web.pages.refusals import said
from stafett.web.pages.render import SAVED, Page, in_thread, page, see_other
from stafett.web.params import Accounts, AnyRequest, LoggedIn, PathId, PlanId
from stafett.web.state import provided

FIELD = "photo"

SAVED["photo_saved"] = lambda: _("The photo is saved.")
SAVED["photo_removed"] = lambda: _("The photo is deleted.")


async def upload_of(request: AnyRequest) -> bytes:
    """The chosen file's bytes (b"" if none), read no further than one byte past the cap;
    every file the form carried is closed."""
    form = await request.form()
    data = b""
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if name == FIELD and not data:
                data = await value.read(MAX_PHOTO_BYTES + 1)
            await value.close()
    return data


async def refusal_of(
    request: AnyRequest, replace: Callable[[bytes], object]
) -> dict[str, str] | None:
    """Read the upload and give it to `replace` in a worker thread; the field's message
    if the file cannot be the photo, None when it is stored."""
    upload = await upload_of(request)
    if not upload:
        return {FIELD: _("Choose a photo first.")}
    try:
        await in_thread(replace, upload)
    except PhotoRejectedError as error:
        return {FIELD: said(error)}
    return None


class ParticipantPhotoPages(InOnePlan):
    """Bytt bilde and Slett bilde on a participant's details (`EDIT_PERSON`)."""

    path = "/plans/{plan_id:uuid}/participants/{participant_id:uuid}/photo"
    dependencies = InOnePlan.dependencies | provided(
        provide_photos, provide_logins, provide_details_page
    )

    @post("", request_max_body_size=MAX_UPLOAD_BYTES)
    async def replace(
        self, request: AnyRequest, details_page: Details, photos: Photos
    ) -> Page | Redirect:
        """The new photo, or the details page again with why not (422)."""

        def replace(upload: bytes) -> None:
            photos.replace_in_plan(
                details_page.plan_id,
                details_page.participant_id,
                upload,
                by=details_page.principal.person_id,
            )

        errors = await refusal_of(request, replace)
        if errors is None:
            return see_other(details_page.here, saved="photo_saved")
        context = await in_thread(details_page.context)
        context["photo_errors"] = errors
        return page(request, "participants/details.html", status=422, **context)

    @post("/delete")
    async def remove(
        self, photos: Photos, principal: LoggedIn, plan_id: PlanId, participant_id: PathId
    ) -> Redirect:
        await in_thread(photos.remove_in_plan, plan_id, participant_id, by=principal.person_id)
        here = f"/plans/{plan_id}/participants/{participant_id}"
        return see_other(here, saved="photo_removed")


class ProfilePhotoPages(OnMyProfile):
    """Bytt bilde and Slett bilde on My profile: one's own photo."""

    path = "/profile/photo"
    dependencies = OnMyProfile.dependencies | provided(provide_photos)

    @post("", request_max_body_size=MAX_UPLOAD_BYTES)
    async def replace(
        self, request: AnyRequest, accounts: Accounts, photos: Photos, principal: LoggedIn
    ) -> Page | Redirect:
        errors = await refusal_of(
            request, lambda upload: photos.replace_own(principal.person_id, upload)
        )
        if errors is None:
            return see_other("/profile", saved="photo_saved")
        refused: Page = await in_thread(
            profile_page, request, accounts, principal, status=422, photo_errors=errors
        )
        return refused

    @post("/delete")
    async def remove(self, photos: Photos, principal: LoggedIn) -> Redirect:
        await in_thread(photos.remove_own, principal.person_id)
        return see_other("/profile", saved="photo_removed")


__all__ = ["ParticipantPhotoPages", "ProfilePhotoPages"]
