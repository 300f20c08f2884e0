"""A person's photo (product item 8): a participant's in a plan, and my own.

`PUT` takes the image itself as the body (`image/jpeg`, `image/png` or `image/webp`,
at most 5 MB: the edge refuses anything else before a handler runs) and answers
what was stored; what the bytes are is Pillow's to say, and we store our own
re-encoding (`applications/photo_encoding.py`). A participant's photo is changed by
those the policy table lets edit their person details (`EDIT_PERSON`, as
`PATCH …/participants/{participant_id}`), and read by everyone who may open the
plan, the read recorded in its access log; my own is mine to change and read.
`GET` answers `image/jpeg` (never cached: the headers of every answer), or 404
when there is no photo.
"""

from dataclasses import dataclass

import msgspec
from litestar import Response, delete, get, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, Schema
from litestar.openapi.spec import RequestBody as RequestBodySpec
from litestar.params import RawBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from stafett.applications.photo_encoding import MAX_PHOTO_BYTES, PHOTO_MEDIA_TYPE, Photo
from stafett.applications.photos import PersonPhotos, StoredPhoto
from stafett.web.contract import problem
from stafett.web.controllers import LoggedInRoutes
from stafett.web.edge import IMAGE_TYPES
from stafett.web.params import LoggedIn, PathId, PlanId, Reads
from stafett.web.state import PLANS

PARTICIPANT_PHOTO = "/plans/{plan_id:uuid}/participants/{participant_id:uuid}/photo"
MY_PHOTO = "/me/photo"
Photos = NamedDependency[PersonPhotos]  # `provide_photos`


@dataclass
class ImageUpload(Operation):
    """The OpenAPI operation of a photo `PUT`: its body is the image itself."""

    def __post_init__(self) -> None:
        binary = OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        )
        self.request_body = RequestBodySpec(
            content=dict.fromkeys(sorted(IMAGE_TYPES), binary),
            description="The photo: JPEG, PNG or WebP, at most 5 MB (re-encoded before storing).",
            required=True,
        )


def provide_photos(state: State) -> PersonPhotos:
    return PersonPhotos(state[PLANS])


class PhotoOut(msgspec.Struct):
    """What was stored: always a JPEG of at most 512 × 512 pixels."""

    media_type: str
    width: int
    height: int

    @classmethod
    def of(cls, photo: Photo) -> "PhotoOut":
        return cls(photo.media_type, photo.width, photo.height)


def image(photo: StoredPhoto) -> Response[bytes]:
    return Response(
        photo.data,
        media_type=photo.media_type,
        headers={"Content-Disposition": 'inline; filename="photo.jpg"'},
    )


class PhotoController(LoggedInRoutes):
    path = "/api/v1"
    tags = ["photos"]  # noqa: RUF012

    # ------------------------------------------------------ a participant's

    @get(PARTICIPANT_PHOTO, sync_to_thread=True, media_type=PHOTO_MEDIA_TYPE)
    def participant_photo(
        self,
        reads: Reads,
        principal: LoggedIn,
        plan_id: PlanId,
        participant_id: PathId,
    ) -> Response[bytes]:
        """The participant's photo, for everyone who may open the plan (access-logged)."""
        return image(reads.photo(plan_id, principal, participant_id))

    @put(
        PARTICIPANT_PHOTO,
        sync_to_thread=True,
        request_max_body_size=MAX_PHOTO_BYTES,
        operation_class=ImageUpload,
    )
    def replace_participant_photo(
        self,
        photos: Photos,
        principal: LoggedIn,
        plan_id: PlanId,
        participant_id: PathId,
        body: RawBody,
    ) -> PhotoOut:
        """A new photo of the participant (EDIT_PERSON); the body is the image."""
        return PhotoOut.of(
            photos.replace_in_plan(plan_id, participant_id, body, by=principal.person_id)
        )

    @delete(PARTICIPANT_PHOTO, sync_to_thread=True, status_code=HTTP_204_NO_CONTENT)
    def remove_participant_photo(
        self,
        photos: Photos,
        principal: LoggedIn,
        plan_id: PlanId,
        participant_id: PathId,
    ) -> None:
        """No photo of the participant any more (EDIT_PERSON); 204 also if there was none."""
        photos.remove_in_plan(plan_id, participant_id, by=principal.person_id)

    # ------------------------------------------------------------- my own

    @get(
        MY_PHOTO,
        sync_to_thread=True,
        media_type=PHOTO_MEDIA_TYPE,
        responses={404: problem("No photo")},
    )
    def my_photo(self, photos: Photos, principal: LoggedIn) -> Response[bytes]:
        return image(photos.own(principal.person_id))

    @put(
        MY_PHOTO,
        sync_to_thread=True,
        request_max_body_size=MAX_PHOTO_BYTES,
        operation_class=ImageUpload,
    )
    def replace_my_photo(self, photos: Photos, principal: LoggedIn, body: RawBody) -> PhotoOut:
        """My new photo; the body is the image."""
        return PhotoOut.of(photos.replace_own(principal.person_id, body))

    @delete(MY_PHOTO, sync_to_thread=True, status_code=HTTP_204_NO_CONTENT)
    def remove_my_photo(self, photos: Photos, principal: LoggedIn) -> None:
        photos.remove_own(principal.person_id)
