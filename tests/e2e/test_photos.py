"""Photos through the API (`…/participants/{participant_id}/photo`, `/api/v1/me/photo`),
on both stores.

Who may change a participant's photo is who may change their person details (the
policy table's `EDIT_PERSON`: the same answer as `PATCH …/participants/{pid}`); who
may see it is who sees the member (anyone who may open the plan), and the read is
recorded in the plan's access log. What is stored is always our own JPEG; a refused
upload is a problem in Norwegian and stores nothing.
"""

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import httpx
import pytest
from PIL import ExifTags

from stafett.aggregates.values import Rights, Role
from stafett.applications.commands import AddParticipant
from stafett.applications.parts import PersonIn, RightsIn
from stafett.applications.photo_encoding import MAX_PHOTO_BYTES
from tests.e2e.conftest import Web
from tests.e2e.test_hostile_input import store_counts
from tests.images import TEXT_FILE, camera_jpeg, opened, png, png_bomb, webp

JPEG = {"content-type": "image/jpeg"}
PNG = {"content-type": "image/png"}


@dataclass
class Cast:
    plan_id: UUID
    people: dict[str, UUID]  # person ids
    pids: dict[str, UUID]  # participant ids

    def photo(self, who: str, plan_id: UUID | None = None) -> str:
        plan = plan_id or self.plan_id
        return f"/api/v1/plans/{plan}/participants/{self.pids[who]}/photo"


@pytest.fixture
def cast(web: Web) -> Cast:
    """Kari coordinates Ola's plan; Anne (relative) may not edit person details, Per
    (provider) may; Ute is in no plan of theirs."""
    people = {name: web.create_user(name, coordinator=name == "kari") for name in ("kari",)}
    for name in ("anne", "per", "ute"):
        people[name] = web.create_user(name)
    plan_id = web.olas_plan(people["kari"])
    pids: dict[str, UUID] = {}
    for name, role, rights in (
        ("anne", "relative", Rights()),
        ("per", "provider", Rights(edit_person=True)),
    ):
        added = web.plans.handle(
            plan_id,
            AddParticipant(
                person=PersonIn(person_id=people[name]),
                role=role,  # type: ignore[arg-type]
                rights=RightsIn.of(rights),
            ),
            by=people["kari"],
        )
        assert added.created_id is not None
        pids[name] = added.created_id
    state = web.plans.get_plan(plan_id)
    owner = next(p for p in state.participants if p.role is Role.OWNER)
    people["ola"], pids["ola"] = owner.person_id, owner.participant_id
    pids["kari"] = state.coordinator_participant_id
    return Cast(plan_id, people, pids)


def as_user(web: Web, name: str) -> dict[str, str]:
    web.client.cookies.clear()
    web.login(name)
    return web.csrf_headers()


def photo_rows(web: Web) -> int:
    directory = web.plans.directory
    with directory.cursor(commit=False) as c:
        c.execute(f"SELECT COUNT(*) AS n FROM {directory.photos}")
        return int(c.fetchone()["n"])


def assert_photo_answer(answer: httpx.Response) -> bytes:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in answer.headers["cache-control"]
    image = opened(answer.content)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    return answer.content


# ------------------------------------------------------------------ the cycle


def test_the_coordinator_adds_replaces_and_deletes_a_participant_s_photo(
    web: Web, cast: Cast
) -> None:
    csrf = as_user(web, "kari")
    url = cast.photo("anne")
    assert web.client.get(url).status_code == 404  # no photo yet

    put = web.client.put(url, content=camera_jpeg(800, 400, orientation=6), headers=csrf | JPEG)
    assert put.status_code == 200, put.text
    assert put.json() == {"media_type": "image/jpeg", "width": 256, "height": 512}
    first = assert_photo_answer(web.client.get(url))
    assert opened(first).size == (256, 512)  # turned upright
    assert opened(first).getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}

    replaced = web.client.put(url, content=png(300, 200), headers=csrf | PNG)
    assert replaced.json() == {"media_type": "image/jpeg", "width": 300, "height": 200}
    second = assert_photo_answer(web.client.get(url))
    assert second != first
    assert opened(second).size == (300, 200)

    deleted = web.client.delete(url, headers=csrf)
    assert deleted.status_code == 204
    gone = web.client.get(url)
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert web.client.delete(url, headers=csrf).status_code == 204  # nothing left: still 204
    assert [k for k, _ in web.plans.directory.changes_of(cast.people["anne"])][-3:] == [
        "photo_changed",
        "photo_changed",
        "photo_removed",
    ]
    assert photo_rows(web) == 0


def test_an_erased_person_s_photo_is_gone_with_them(web: Web, cast: Cast) -> None:
    csrf = as_user(web, "kari")
    assert web.client.put(cast.photo("ola"), content=webp(), headers=csrf | JPEG).status_code == 200
    assert photo_rows(web) == 1

    web.plans.directory.erase(cast.people["ola"], actor_id=None, at=web.clock.now, kind="erased")

    assert web.client.get(cast.photo("ola")).status_code == 404
    assert photo_rows(web) == 0
    again = web.client.put(cast.photo("ola"), content=png(), headers=csrf | PNG)
    assert again.status_code == 404  # an erased person gets no new photo
    assert photo_rows(web) == 0


# ------------------------------------------------------------- authorization


def same_answer_as_patch(web: Web, cast: Cast, who: str, target: str) -> int:
    """`who` puts a photo of `target` and patches `target`'s details: the same status."""
    csrf = as_user(web, who)
    photo = web.client.put(cast.photo(target), content=png(), headers=csrf | PNG)
    details = web.client.patch(
        f"/api/v1/plans/{cast.plan_id}/participants/{cast.pids[target]}",
        json={"phone": "22334455"},
        headers=csrf,
    )
    assert photo.status_code == details.status_code, (photo.text, details.text)
    removed = web.client.delete(cast.photo(target), headers=csrf)
    if photo.status_code == 200:
        assert removed.status_code == 204
    else:
        assert removed.status_code == photo.status_code
    return photo.status_code


def test_who_may_change_a_photo_is_who_may_change_the_details(web: Web, cast: Cast) -> None:
    assert same_answer_as_patch(web, cast, "kari", "anne") == 200  # the coordinator
    assert same_answer_as_patch(web, cast, "per", "ola") == 200  # the edit_person right
    assert same_answer_as_patch(web, cast, "anne", "ola") == 403  # a relative without it
    assert same_answer_as_patch(web, cast, "anne", "anne") == 403  # (her own: My profile)
    assert same_answer_as_patch(web, cast, "ute", "ola") == 404  # outside: no such plan
    assert photo_rows(web) == 0


def test_everyone_who_sees_the_member_sees_the_photo_and_the_read_is_logged(
    web: Web, cast: Cast
) -> None:
    csrf = as_user(web, "kari")
    web.client.put(cast.photo("per"), content=camera_jpeg(), headers=csrf | JPEG)
    before = len(web.access_log.entries(cast.plan_id))

    as_user(web, "anne")
    stored = assert_photo_answer(web.client.get(cast.photo("per")))

    entries = web.access_log.entries(cast.plan_id)
    assert len(entries) == before + 1
    assert entries[-1].sections == ("photo",)
    assert entries[-1].reader_person_id == cast.people["anne"]
    assert entries[-1].role == "relative"

    as_user(web, "ute")
    outside = web.client.get(cast.photo("per"))
    assert outside.status_code == 404
    assert stored not in outside.content
    assert web.client.get(cast.photo("per", plan_id=UUID(int=7))).status_code == 404
    web.client.cookies.clear()
    assert web.client.get(cast.photo("per")).status_code == 401
    assert len(web.access_log.entries(cast.plan_id)) == before + 1  # refusals: not recorded


def test_a_provider_reads_only_while_the_consent_is_valid(web: Web, cast: Cast) -> None:
    csrf = as_user(web, "kari")
    web.client.put(cast.photo("anne"), content=png(), headers=csrf | PNG)
    as_user(web, "per")
    assert web.client.get(cast.photo("anne")).status_code == 200
    web.clock.advance(timedelta(days=200))  # the consent ran out
    as_user(web, "per")  # (and the session with it)
    assert web.client.get(cast.photo("anne")).status_code == 403


# ------------------------------------------------------------ refused uploads


@pytest.mark.parametrize(
    ("body", "content_type", "status", "title"),
    [
        pytest.param(
            TEXT_FILE, "image/jpeg", 422, "Bildet må være JPEG, PNG eller WebP", id="text"
        ),
        pytest.param(png_bomb(), "image/png", 413, "Bildet er for stort", id="PNG bomb"),
        pytest.param(
            camera_jpeg()[:3000], "image/jpeg", 422, "Bildet er skadet og kan ikke leses", id="cut"
        ),
        pytest.param(
            camera_jpeg() + b"\x00" * MAX_PHOTO_BYTES,
            "image/jpeg",
            413,
            "Bildet er for stort",
            id="over 5 MB",
        ),
        pytest.param(png(), "application/json", 415, "Feil innholdstype", id="JSON type"),
        pytest.param(png(), "image/gif", 415, "Feil innholdstype", id="GIF type"),
        pytest.param(png(), None, 415, "Feil innholdstype", id="no type"),
    ],
)
def test_a_refused_upload_is_a_norwegian_problem_and_stores_nothing(
    *, web: Web, cast: Cast, body: bytes, content_type: str | None, status: int, title: str
) -> None:
    csrf = as_user(web, "kari")
    before = store_counts(web)
    headers = csrf | ({"content-type": content_type} if content_type else {})
    for url in (cast.photo("anne"), "/api/v1/me/photo"):
        answer = web.client.put(url, content=body, headers=headers)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        problem = answer.json()
        assert (problem["status"], problem["title"]) == (status, title)
        assert "Traceback" not in answer.text
    assert store_counts(web) == before
    assert photo_rows(web) == 0


def test_a_wrong_type_says_what_is_wrong_in_english_too(web: Web, cast: Cast) -> None:
    csrf = as_user(web, "kari")
    answer = web.client.put(cast.photo("anne"), content=TEXT_FILE, headers=csrf | JPEG)
    problem = answer.json()
    assert problem["field"] == "photo"
    assert problem["detail"] == "photo: is not a JPEG, PNG or WebP image"


def test_a_photo_needs_the_csrf_token(web: Web, cast: Cast) -> None:
    as_user(web, "kari")
    assert web.client.put(cast.photo("anne"), content=png(), headers=PNG).status_code == 403
    assert web.client.put("/api/v1/me/photo", content=png(), headers=PNG).status_code == 403
    assert photo_rows(web) == 0


# ------------------------------------------------------------------ my own


def test_i_add_see_and_delete_my_own_photo(web: Web, cast: Cast) -> None:
    csrf = as_user(web, "anne")
    assert web.client.get("/api/v1/me/photo").status_code == 404
    put = web.client.put("/api/v1/me/photo", content=camera_jpeg(), headers=csrf | JPEG)
    assert put.status_code == 200, put.text
    mine = assert_photo_answer(web.client.get("/api/v1/me/photo"))
    as_user(web, "kari")  # the plan group sees the same photo
    assert assert_photo_answer(web.client.get(cast.photo("anne"))) == mine
    csrf = as_user(web, "anne")
    assert web.client.delete("/api/v1/me/photo", headers=csrf).status_code == 204
    assert web.client.get("/api/v1/me/photo").status_code == 404
    assert web.plans.directory.changes_of(cast.people["anne"])[-2:] == [
        ("photo_changed", ("photo",)),
        ("photo_removed", ("photo",)),
    ]
    web.client.cookies.clear()
    assert web.client.get("/api/v1/me/photo").status_code == 401
