"""Reading never changes what the service keeps (SEC-CSRF-02), and the service answers
no other site's scripts (SEC-CSRF-03).

Every route the app answers GET on is read, its path filled in from a plan with a goal,
an activity, a participant with a photo and a password-reset link: as the plan's
coordinator, as an organisation administrator who is also an auditor, and as nobody.
Every table of the store must then hold exactly what it held before, but for the rows a
read is meant to write (`READS_WRITE`). A table added later is checked as well, unless
it is named there; a GET route added later is read as well, and one with a path
parameter this test cannot fill fails it.
"""

import hashlib
from typing import Any
from uuid import uuid4

import pytest
from litestar import Litestar

from stafett.applications.accounts import OtpChannel
from tests.e2e.conftest import Web
from tests.e2e.test_hostile_input import PLANS, make_plan
from tests.e2e.test_notices_http import notices, smtp  # noqa: F401 - fixtures
from tests.e2e.test_password_reset import complete, password_works, reset_link
from tests.images import png

# The rows a read may add, by table (None: any row of it), and why.
READS_WRITE: dict[str, tuple[str | None, str]] = {
    "access_log": (None, "every read of plan content is logged (decision 0008)"),
    "planlist_visits": (None, "what is new since my last visit (decision 0007)"),
    "account_facts": ("kind = 'audit_search'", "an auditor's search is recorded (web/audit.py)"),
    # SQLite's own count of the AUTOINCREMENT keys given out, one row a table.
    "sqlite_sequence": (
        "name IN ('access_log', 'planlist_visits', 'account_facts')",
        "the keys of the rows above",
    ),
}
# Reads that need a query to be a read at all.
QUERIES = {
    "/api/v1/persons": "?name=Helse",
    "/api/v1/audit/plans": "?last_name=Ny",
}
SESSION = "__Host-sid"


def tables(web: Web) -> dict[str, str]:
    """Each table of the store, by name, with a digest of its rows in a fixed order; the
    rows a read may write are left out, and so are the tables it may write at will."""
    datastore: Any = web.plans.recorder.datastore  # type: ignore[attr-defined]
    digests: dict[str, str] = {}
    with datastore.transaction(commit=False) as c:
        if type(datastore).__name__.startswith("SQLite"):
            c.execute("SELECT name FROM sqlite_master WHERE type='table'")
        else:
            c.execute(
                "SELECT table_schema || '.' || table_name AS name "
                "FROM information_schema.tables WHERE table_schema = %s",
                (datastore.schema,),
            )
        for qualified in sorted(str(row["name"]) for row in c.fetchall()):
            name = qualified.rsplit(".", 1)[-1]
            allowed = READS_WRITE.get(name, ("FALSE", ""))[0]
            if allowed is None:
                continue
            c.execute(f"SELECT * FROM {qualified} WHERE NOT ({allowed})")  # names: the catalog's
            rows = sorted(repr(sorted(dict(row).items())) for row in c.fetchall())
            digests[name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


def count(web: Web, table: str, where: str = "TRUE") -> int:
    datastore: Any = web.plans.recorder.datastore  # type: ignore[attr-defined]
    if not type(datastore).__name__.startswith("SQLite"):
        table = f"{datastore.schema}.{table}"
    with datastore.transaction(commit=False) as c:
        c.execute(f"SELECT COUNT(*) AS n FROM {table} WHERE {where}")
        return int(c.fetchone()["n"])


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


def read_paths(app: Litestar, values: dict[str, str]) -> list[str]:
    """Every path the app answers GET on, with its parameters filled in from `values`."""
    paths = []
    for route in app.routes:
        if not any("GET" in h.http_methods for h in getattr(route, "route_handlers", ())):
            continue
        path = route.path
        for name, value in values.items():
            path = path.replace(name, value)
        assert "{" not in path, f"no value for a parameter of {route.path}"
        paths.append(path + QUERIES.get(route.path, ""))
    return sorted(paths)


@pytest.mark.usefixtures("notices")  # the dead letters' route reads the notice outbox
def test_no_read_changes_anything_but_what_records_the_read(web: Web) -> None:
    ids, csrf = make_plan(web)
    for photo in ("/api/v1/me/photo", f"{PLANS}/{ids.plan}/participants/{ids.participant}/photo"):
        put = web.client.put(photo, content=png(), headers=csrf | {"content-type": "image/png"})
        assert put.status_code == 200, put.text
    coordinator = web.client.cookies[SESSION]
    web.client.cookies.delete(SESSION)
    web.create_user("ola", channel=OtpChannel.SMS)
    token = reset_link(web, "ola")
    web.create_user("admin", org_admin=True, auditor=True)
    web.login("admin")
    admin = web.client.cookies[SESSION]
    archive = str(uuid4())
    paths = read_paths(
        web.client.app,
        {
            "{plan_id:uuid}": ids.plan,
            "{participant_id:uuid}": ids.participant,
            "{archive_id:uuid}": archive,  # none: the archive has its own issue's tests
            "{token:str}": token,
            "{file_path:path}": "stafett.css",
            "{path:str}": "openapi.json",
        },
    )
    logged = count(web, "access_log")
    searches = count(web, "account_facts", "kind = 'audit_search'")

    before = tables(web)
    answered: dict[str, set[int]] = {}
    for session in (coordinator, admin, None):
        web.client.cookies.delete(SESSION)
        if session is not None:
            web.client.cookies.set(SESSION, session, domain="stafett.test")
        for path in paths:
            status = web.client.get(path).status_code
            assert status < 500, path
            answered.setdefault(path, set()).add(status)
    assert changed(before, tables(web)) == []

    # The walk read what there is to read, and the reads were recorded.
    unread = sorted(path for path, statuses in answered.items() if 200 not in statuses)
    assert unread == [f"/api/v1/archives/{archive}"]
    assert count(web, "access_log") > logged
    assert count(web, "account_facts", "kind = 'audit_search'") == searches + 1
    # The reset link, read three times, still sets a password.
    web.client.cookies.delete(SESSION)
    assert complete(web, token, "ny frase etter glemt") == 204
    assert password_works(web, "ny frase etter glemt", "ola")


def test_a_script_on_another_site_is_given_no_answer_it_may_read(web: Web) -> None:
    """CORS is off: neither a preflight nor a read from another origin gets an
    Access-Control-Allow-Origin, and the preflight changes nothing."""
    ids, _ = make_plan(web)
    before = tables(web)
    evil = {"Origin": "https://evil.example"}
    preflight = web.client.options(
        f"{PLANS}/{ids.plan}/goals",
        headers=evil | {"Access-Control-Request-Method": "POST"},
    )
    read = web.client.get(f"{PLANS}/{ids.plan}", headers=evil)
    for answer in (preflight, read):
        assert not [name for name in answer.headers if name.lower().startswith("access-control")]
    assert read.status_code == 200  # the browser, not the server, keeps the answer from it
    assert changed(before, tables(web)) == []


def test_trace_and_unknown_methods_are_not_allowed(web: Web) -> None:
    ids, csrf = make_plan(web)
    before = tables(web)
    for method in ("TRACE", "CONNECT", "PROPFIND"):
        for path in ("/", f"{PLANS}/{ids.plan}", "/health"):
            answer = web.client.request(method, path, headers=csrf)
            assert answer.status_code == 405, (method, path, answer.status_code)
            assert "traceback" not in answer.text.lower()
    assert changed(before, tables(web)) == []
