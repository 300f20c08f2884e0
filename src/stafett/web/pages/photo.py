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

from typing import Any
from uuid import UUID

from litestar import Controller, Request, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from stafett.applications.accounts import AccountService, Principal
from stafett.applications.logins import ParticipantLogins
from stafett.applications.photo_encoding import (
    MAX_PHOTO_BYTES,
    NotAnImageError,
    PhotoRejectedError,
    PhotoTooLargeError,
)
from stafett.applications.photos import PersonPhotos
from stafett.web.api.logins import provide_logins
from stafett.web.api.photos import provide_photos
from stafett.web.auth import Policy, policy, provide_principal
from stafett.web.edge import MAX_UPLOAD_BYTES
from stafett.web.i18n import _
from stafett.web.pages.participants import details_context
from stafett.web.pages.profile import profile_page
from stafett.web.pages.render import SAVED, Page, in_thread, page, see_other
from stafett.web.reads import PlanReads
from stafett.web.state import provide_accounts, provide_reads, provided

AnyRequest = Request[Any, Any, Any]
Photos = NamedDependency[PersonPhotos]
Me = NamedDependency[Principal]
FIELD = "photo"
PARTICIPANT = "/plans/{plan_id:uuid}/participants/{participant_id:uuid}"

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


def photo_message(error: PhotoRejectedError | None) -> str:
    """Why a file cannot be the photo, in the page's language (None: no file chosen)."""
    if error is None:
        return _("Choose a photo first.")
    if isinstance(error, NotAnImageError):
        return _("The file is not a photo we can use. Choose a JPEG, PNG or WebP image.")
    if isinstance(error, PhotoTooLargeError) and "pixels" in error.message:
        return _("The photo has too many pixels. Choose one of at most 25 megapixels.")
    if isinstance(error, PhotoTooLargeError):
        return _("The photo is too large. Choose one of at most 5 MB.")
    return _("The photo is damaged or incomplete and cannot be read. Choose another file.")


async def refusal_of(request: AnyRequest, replace: Any) -> dict[str, str] | None:
    """Read the upload and give it to `replace` in a worker thread; the field's message
    if the file cannot be the photo, None when it is stored."""
    upload = await upload_of(request)
    if not upload:
        return {FIELD: photo_message(None)}
    try:
        await in_thread(replace, upload)
    except PhotoRejectedError as error:
        return {FIELD: photo_message(error)}
    return None


class PhotoPages(Controller):
    path = "/"
    dependencies = provided(
        provide_reads, provide_principal, provide_photos, provide_logins, provide_accounts
    )
    opt = policy(Policy.AUTHENTICATED)
    include_in_schema = False

    # --------------------------------------------------- a participant's photo

    @post(PARTICIPANT + "/photo", request_max_body_size=MAX_UPLOAD_BYTES)
    async def replace_participant_photo(
        self,
        *,
        request: AnyRequest,
        reads: NamedDependency[PlanReads],
        logins: NamedDependency[ParticipantLogins],
        photos: Photos,
        principal: Me,
        plan_id: FromPath[UUID],
        participant_id: FromPath[UUID],
    ) -> Page | Redirect:
        """Bytt bilde: the new photo, or the details page again with why not (422)."""

        def replace(upload: bytes) -> None:
            photos.replace_in_plan(plan_id, participant_id, upload, by=principal.person_id)

        errors = await refusal_of(request, replace)
        if errors is None:
            here = f"/plans/{plan_id}/participants/{participant_id}"
            return see_other(here, saved="photo_saved")
        context = await in_thread(
            details_context, reads, logins, principal, plan_id, participant_id
        )
        context["photo_errors"] = errors
        return page(request, "participants/details.html", status=422, **context)

    @post(PARTICIPANT + "/photo/delete")
    async def remove_participant_photo(
        self,
        *,
        photos: Photos,
        principal: Me,
        plan_id: FromPath[UUID],
        participant_id: FromPath[UUID],
    ) -> Redirect:
        """Slett bilde."""
        await in_thread(photos.remove_in_plan, plan_id, participant_id, by=principal.person_id)
        here = f"/plans/{plan_id}/participants/{participant_id}"
        return see_other(here, saved="photo_removed")

    # ------------------------------------------------------------- my own

    @post("/profile/photo", request_max_body_size=MAX_UPLOAD_BYTES)
    async def replace_my_photo(
        self,
        *,
        request: AnyRequest,
        accounts: NamedDependency[AccountService],
        photos: Photos,
        principal: Me,
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

    @post("/profile/photo/delete")
    async def remove_my_photo(self, *, photos: Photos, principal: Me) -> Redirect:
        await in_thread(photos.remove_own, principal.person_id)
        return see_other("/profile", saved="photo_removed")


__all__ = ["PhotoPages"]
