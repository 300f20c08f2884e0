"""Hostile forms to every page that takes one, logged in, on both stores.

The page routes come from the app itself, so a page added later is covered
without a line here. Each gets what a careless or hostile client sends instead
of a form — bytes that are not UTF-8, JSON, a body over the limit, NUL and other
control characters, a value far over any field's limit, a form without the CSRF
token, files that are no photo — and must answer without a server error or a trace,
store nothing, and leave a normal read working afterwards.
"""

import re
from uuid import uuid4

import pytest

from stafett.web.edge import MAX_BODY_BYTES, MAX_UPLOAD_BYTES
from stafett.web.pages import is_page_path
from tests.e2e.conftest import Web
from tests.e2e.test_hostile_input import Ids, make_plan, store_counts
from tests.images import camera_jpeg, gif, png_bomb

PRE_LOGIN = ("/login", "/password-reset", "/reset/", "/language", "/confirm-number")
FIELDS = ("title", "text", "description", "first_name", "last_name", "short_name", "reason")
ID_PARAMETER = re.compile(r"\{(\w+):(uuid|str)\}")


def page_form_routes(web: Web) -> list[str]:
    """The paths of every page route that takes a POST; the login steps last, since a
    login step sent with a full session ends it (a session is in one stage only)."""
    found = set()
    for route in web.client.app.routes:
        if not is_page_path(route.path):
            continue
        for handler in getattr(route, "route_handlers", ()):
            if "POST" in handler.http_methods:
                found.add(route.path)
    return sorted(found, key=lambda path: (path.startswith(PRE_LOGIN), path))


def concrete(path: str, ids: Ids) -> str:
    """The route with the test plan's ids where it names them, new ids elsewhere."""
    known = {
        "plan_id": ids.plan,
        "participant_id": ids.participant,
        "pid": ids.participant,
        "goal_id": ids.goal,
        "activity_id": ids.activity,
    }
    return ID_PARAMETER.sub(lambda m: known.get(m.group(1), str(uuid4())), path)


HOSTILE_BODIES = [
    pytest.param(
        b"title=%ff%fe&text=%ed%a0%80", "application/x-www-form-urlencoded", id="not UTF-8"
    ),
    pytest.param(b'{"title": "x"}', "application/json", id="JSON instead of a form"),
    pytest.param(
        b"title=" + b"a" * (MAX_BODY_BYTES + 10),
        "application/x-www-form-urlencoded",
        id="over the size limit",
    ),
    pytest.param(
        "&".join(f"{name}=a%00b%07c" for name in FIELDS).encode(),
        "application/x-www-form-urlencoded",
        id="control characters",
    ),
    pytest.param(
        "&".join(f"{name}={'x' * 20_000}" for name in FIELDS).encode(),
        "application/x-www-form-urlencoded",
        id="far too long",
    ),
]


@pytest.mark.parametrize(("body", "content_type"), HOSTILE_BODIES)
def test_hostile_forms_are_refused_and_store_nothing(
    web: Web, body: bytes, content_type: str
) -> None:
    ids, _csrf = make_plan(web)
    token = web.page_token()
    routes = page_form_routes(web)
    assert "/login" in routes  # the discovery finds the pages
    before = store_counts(web)
    for route in routes:
        if route in ("/logout", "/language"):
            continue  # they take no input worth refusing and would end the test's session
        path = concrete(route, ids)
        with_token = body + f"&csrf_token={token}".encode() if b"=" in body else body
        response = web.client.post(
            path,
            content=with_token,
            headers={"content-type": content_type, "origin": web.ORIGIN},
            follow_redirects=False,
        )
        assert response.status_code < 500, f"{route}: {response.status_code} {response.text[:300]}"
        assert "Traceback" not in response.text, route
        assert response.status_code != 200 or "<form" in response.text, route
    assert store_counts(web) == before
    web.page_login("kari")
    assert web.client.get("/api/v1/plans/" + ids.plan).status_code == 200


PHOTO_FORMS = ("/photo",)  # the page routes that take a file (multipart)
HOSTILE_FILES = [
    pytest.param(("ferie.jpg", b"Bare tekst\n", "image/jpeg"), id="text named .jpg"),
    pytest.param(("bilde.png", png_bomb(), "image/png"), id="PNG bomb header"),
    pytest.param(("bilde.jpg", camera_jpeg()[:2_000], "image/jpeg"), id="cut-off JPEG"),
    pytest.param(("bilde.gif", gif(), "image/gif"), id="GIF"),
    pytest.param(("x.svg", b"<svg onload='alert(1)'/>", "image/svg+xml"), id="SVG"),
    pytest.param(("../../etc/passwd\x00.jpg", b"root:x:0:0", "image/jpeg"), id="path name"),
    pytest.param(("", b"", "application/octet-stream"), id="no file chosen"),
    pytest.param(
        ("stor.jpg", b"\xff\xd8\xff" + b"a" * (MAX_UPLOAD_BYTES + 10), "image/jpeg"),
        id="over the upload limit",
    ),
]


@pytest.mark.parametrize("file", HOSTILE_FILES)
def test_hostile_files_are_refused_everywhere_and_store_nothing(
    web: Web, file: tuple[str, bytes, str]
) -> None:
    """Multipart to every page form: a photo form names what is wrong, every other
    form is refused at the edge (multipart is for photos only)."""
    ids, _csrf = make_plan(web)
    token = web.page_token()
    before = store_counts(web)
    for route in page_form_routes(web):
        if route.startswith(PRE_LOGIN) or route == "/logout":
            continue
        response = web.client.post(
            concrete(route, ids),
            data={"csrf_token": token, "title": "Et mål"},
            files={"photo": file},
            headers={"origin": web.ORIGIN},
            follow_redirects=False,
        )
        where = f"{route}: {response.status_code} {response.text[:300]}"
        assert "Traceback" not in response.text, route
        if len(file[1]) > MAX_UPLOAD_BYTES:
            assert response.status_code == 413, where
        elif route.endswith(PHOTO_FORMS):
            assert response.status_code == 422, where
            assert 'id="f-photo-error"' in response.text, where
        else:
            assert response.status_code == 415, where
    assert store_counts(web) == before


def test_a_page_form_without_the_csrf_token_is_refused_everywhere(web: Web) -> None:
    ids, _csrf = make_plan(web)
    before = store_counts(web)
    for route in page_form_routes(web):
        response = web.client.post(
            concrete(route, ids),
            data={"title": "Et mål"},
            headers={"origin": web.ORIGIN},
            follow_redirects=False,
        )
        if route.startswith(PRE_LOGIN):
            continue  # before a session exists there is no token (decision 0006)
        assert response.status_code == 403, f"{route}: {response.status_code}"
    assert store_counts(web) == before


def test_a_form_that_says_nothing_of_where_it_comes_from_is_refused_before_login(
    web: Web,
) -> None:
    web.create_user("kari")
    response = web.client.post(
        "/login", data={"username": "kari", "password": "x"}, follow_redirects=False
    )
    assert response.status_code == 403


def test_the_login_pages_count_against_the_same_per_address_limit_as_the_api(web: Web) -> None:
    web.create_user("kari")
    answers = [
        web.submit("/login", {"username": "kari", "password": "feil passord"}, token=False)
        for _ in range(31)
    ]
    assert [a.status_code for a in answers[:30]] == [401] * 30
    assert answers[30].status_code == 429
    assert "For mange forsøk" in answers[30].text  # a page, in the person's language
    api = web.client.post("/api/v1/session", json={"username": "kari", "password": "x"})
    assert api.status_code == 429  # one budget for the API and the pages


HOSTILE_VALUES = [
    "%00",
    "%1b%5b2J",
    "%ff%fe",
    "%E2%80%AEabc",
    "a" * 5000,
    "0001-01-01",
    "99.99.9999",
]


def test_hostile_queries_to_the_auditors_pages_answer_without_a_server_error(web: Web) -> None:
    """The auditor's search on the plans page and the History tab's instant and
    participant: every field gets what a careless or hostile client sends."""
    ids, _csrf = make_plan(web)
    web.create_user("revisor", auditor=True)
    web.page_login("revisor")
    before = store_counts(web)
    templates = [
        "/plans?search=all&last_name={v}",
        "/plans?search=all&first_name={v}&birth_date={v}",
        "/plans?search=all&last_name=Helse&status={v}",
        "/plans?search=all&from={v}&to={v}",
        f"/plans/{ids.plan}/history?on={{v}}",
        f"/plans/{ids.plan}/history?on=2026-03-02&at={{v}}",
        f"/plans/{ids.plan}/history?on=2026-03-02&participant={{v}}",
    ]
    for template in templates:
        for value in HOSTILE_VALUES:
            response = web.client.get(template.format(v=value))
            where = f"{template} · {value[:20]}"
            assert 200 <= response.status_code < 500, f"{where}: {response.status_code}"
            assert "Traceback" not in response.text, where
            assert "<script>" not in response.text.split("</head>", 1)[-1], where
    assert store_counts(web) == before
