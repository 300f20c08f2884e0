""" "Bytt bilde" and "Slett bilde" on the pages: a participant's details and My profile,
through the browser's multipart form, on both stores.

The form carries the session's CSRF token; a file that cannot be a photo is named next
to the field in the page's language and nothing is stored; the photo shows with the
person's name as its text.
"""

import re

from tests.e2e.conftest import Web
from tests.e2e.test_photos import Cast, cast, photo_rows
from tests.images import TEXT_FILE, camera_jpeg, gif, opened

__all__ = ["cast"]  # the fixture, imported for this module's tests


def details(cast: Cast, who: str) -> str:
    return f"/plans/{cast.plan_id}/participants/{cast.pids[who]}"


def upload(
    web: Web, path: str, data: bytes, *, name: str = "bilde.jpg", token: bool = True
) -> object:
    fields = {"csrf_token": web.page_token(path.removesuffix("/photo"))} if token else {}
    return web.client.post(
        path,
        data=fields,
        files={"photo": (name, data, "image/jpeg")},
        headers={"origin": web.ORIGIN},
        follow_redirects=False,
    )


def field_error(html: str) -> str:
    found = re.search(r'id="f-photo-error">([^<]*)<', html)
    assert found is not None, "no message next to the photo field"
    return found.group(1)


def test_the_coordinator_changes_and_deletes_a_participant_s_photo(web: Web, cast: Cast) -> None:
    web.page_login("kari")
    page = web.client.get(details(cast, "anne")).text
    assert 'enctype="multipart/form-data"' in page
    assert "Velg et bilde</label>" in page
    assert "person-photo" not in page  # no photo yet
    assert "Alle i plangruppene personen er med i, ser bildet." in page  # spoken of anne

    sent = upload(web, details(cast, "anne") + "/photo", camera_jpeg())
    assert sent.status_code == 303, sent.text  # type: ignore[attr-defined]
    assert sent.headers["location"] == details(cast, "anne") + "?saved=photo_saved"  # type: ignore[attr-defined]

    page = web.client.get(sent.headers["location"]).text  # type: ignore[attr-defined]
    img = (
        f'<img class="person-photo" src="/api/v1{details(cast, "anne")}/photo" alt="Anne Testesen">'
    )
    assert img in page
    assert "Bildet er lagret." in page
    assert "Bytt bilde" in page
    assert "Slett bilde" in page
    shown = web.client.get(f"/api/v1{details(cast, 'anne')}/photo")
    assert opened(shown.content).size == (512, 256)

    token = web.page_token(details(cast, "anne"))
    deleted = web.client.post(
        details(cast, "anne") + "/photo/delete",
        data={"csrf_token": token},
        headers={"origin": web.ORIGIN},
        follow_redirects=False,
    )
    assert deleted.status_code == 303
    page = web.client.get(deleted.headers["location"]).text
    assert "Bildet er slettet." in page
    assert "person-photo" not in page
    assert photo_rows(web) == 0


def test_a_text_file_named_jpg_is_refused_next_to_the_field(web: Web, cast: Cast) -> None:
    web.page_login("kari")
    refused = upload(web, details(cast, "anne") + "/photo", TEXT_FILE, name="ferie.jpg")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    html = refused.text  # type: ignore[attr-defined]
    assert field_error(html) == (
        "Filen er ikke et bilde vi kan bruke. Velg et bilde i JPEG, PNG eller WebP."
    )
    assert 'aria-invalid="true" aria-describedby="f-photo-desc f-photo-error"' in html
    assert 'href="#f-photo"' in html  # the summary at the top leads to the field
    assert photo_rows(web) == 0

    other = upload(web, details(cast, "anne") + "/photo", gif(), name="bilde.gif")
    assert other.status_code == 422  # type: ignore[attr-defined]
    cut = upload(web, details(cast, "anne") + "/photo", camera_jpeg()[:3000])
    assert "skadet" in field_error(cut.text)  # type: ignore[attr-defined]
    nothing = upload(web, details(cast, "anne") + "/photo", b"", name="")
    assert field_error(nothing.text) == "Velg et bilde først."  # type: ignore[attr-defined]
    assert photo_rows(web) == 0


def test_the_message_is_english_for_an_english_page(web: Web, cast: Cast) -> None:
    web.page_login("kari")
    web.client.cookies.set("lang", "en", domain="stafett.test")
    web.accounts.set_language(cast.people["kari"], "en")
    refused = upload(web, details(cast, "anne") + "/photo", TEXT_FILE)
    assert field_error(refused.text) == (  # type: ignore[attr-defined]
        "The file is not a photo we can use. Choose a JPEG, PNG or WebP image."
    )


def test_a_relative_without_the_right_sees_the_photo_but_cannot_change_it(
    web: Web, cast: Cast
) -> None:
    web.page_login("kari")
    upload(web, details(cast, "per") + "/photo", camera_jpeg())
    web.client.cookies.clear()
    web.page_login("anne")
    page = web.client.get(details(cast, "per")).text
    assert 'alt="Per Testesen"' in page
    assert "/photo/delete" not in page
    assert 'type="file"' not in page

    refused = upload(web, details(cast, "per") + "/photo", camera_jpeg())
    assert refused.status_code == 403  # type: ignore[attr-defined]
    token = web.page_token(details(cast, "per"))
    kept = web.client.post(
        details(cast, "per") + "/photo/delete",
        data={"csrf_token": token},
        headers={"origin": web.ORIGIN},
        follow_redirects=False,
    )
    assert kept.status_code == 403
    assert photo_rows(web) == 1


def test_the_upload_form_needs_its_csrf_token(web: Web, cast: Cast) -> None:
    web.page_login("kari")
    refused = upload(web, details(cast, "anne") + "/photo", camera_jpeg(), token=False)
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert photo_rows(web) == 0


def test_my_profile_shows_and_changes_my_photo(web: Web, cast: Cast) -> None:
    web.page_login("anne")
    page = web.client.get("/profile").text
    assert "Velg et bilde</label>" in page
    assert "Ikke noe bilde ennå." in page
    assert "Alle i plangruppene du er med i, ser bildet ditt." in page  # spoken to her
    assert "personen er med i" not in page
    sent = upload(web, "/profile/photo", camera_jpeg())
    assert sent.status_code == 303  # type: ignore[attr-defined]
    page = web.client.get("/profile").text
    assert '<img class="person-photo" src="/api/v1/me/photo" alt="Anne Testesen">' in page

    refused = upload(web, "/profile/photo", TEXT_FILE)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "JPEG, PNG eller WebP" in field_error(refused.text)  # type: ignore[attr-defined]
    assert photo_rows(web) == 1  # the earlier photo is kept

    token = web.page_token("/profile")
    deleted = web.client.post(
        "/profile/photo/delete",
        data={"csrf_token": token},
        headers={"origin": web.ORIGIN},
        follow_redirects=False,
    )
    assert deleted.status_code == 303
    assert "person-photo" not in web.client.get("/profile").text
    assert photo_rows(web) == 0


def test_multipart_goes_only_to_a_photo_form(web: Web, cast: Cast) -> None:
    web.page_login("kari")
    token = web.page_token(details(cast, "anne"))
    answer = web.client.post(
        details(cast, "anne"),
        data={"csrf_token": token, "responsibility": "Ny"},
        files={"photo": ("bilde.jpg", camera_jpeg(), "image/jpeg")},
        headers={"origin": web.ORIGIN},
        follow_redirects=False,
    )
    assert answer.status_code == 415
    assert photo_rows(web) == 0
