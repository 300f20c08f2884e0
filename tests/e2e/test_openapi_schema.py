"""The OpenAPI schema tells the truth (issue 14 item 1, decision 0023).

- every route of api.md's tables is in the schema, with its method;
- every API route of the app is in the schema, and every operation in it is a route;
- every error an operation documents is a problem-details body, a 204 has no body,
  and what the shared request path can answer is there (401 where a session is
  needed, 404 where a path names something, 409 on a change inside a plan, 422 and
  503 everywhere).

Whether the answers the app really gives stay inside what the schema says is the
fuzz test's subject (tests/fuzz/test_api_fuzz.py).
"""

import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from stafett.applications.input import Body
from stafett.web.app import create_app
from stafett.web.contract import PROBLEM_JSON
from tests.e2e.conftest import SECRETS

API_MD = Path(__file__).resolve().parents[3] / "shared" / "docs" / "api.md"  # beside the repo
ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) ((?:/api/v1|…)[^`?\s]*)")
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def app() -> Litestar:
    unused: Any = None
    return create_app(unused, unused, access_log=unused, secret_key="k" * 40)


@pytest.fixture(scope="module")
def schema(app: Litestar) -> dict[str, Any]:
    built: dict[str, Any] = app.openapi_schema.to_schema()
    return built


def shape(path: str) -> str:
    """A path with its parameters unnamed, so api.md's `{id}` meets the app's `{plan_id:uuid}`."""
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/")) or "/"


def api_md_routes() -> set[tuple[str, str]]:
    """(method, path shape) of every route api.md's tables name; `…` continues the row's
    first path, up to the parameter that follows it, and a bare `DELETE` is the row's path."""
    routes = set()
    for line in API_MD.read_text().splitlines():
        if not line.startswith("| `"):
            continue
        found = ROUTE.findall(line)
        if not found:
            continue
        first = found[0][1]
        for method, written in found:
            path = written
            if written.startswith("…"):
                path = first.split("/{", 1)[0] + "/{id}" + written.removeprefix("…")
            routes.add((method, shape(path)))
        if "`DELETE`" in line:
            routes.add(("DELETE", shape(first)))
    return routes


def schema_routes(schema: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), shape(path))
        for path, item in schema["paths"].items()
        for method in METHODS
        if method in item
    }


def test_api_md_is_read_whole() -> None:
    routes = api_md_routes()
    assert ("POST", "/api/v1/session") in routes
    assert ("POST", "/api/v1/plans/{}/goals/{}/evaluations") in routes
    assert ("DELETE", "/api/v1/plans/{}/consent") in routes
    assert len(routes) >= 35


def test_every_route_of_api_md_is_in_the_schema(schema: dict[str, Any]) -> None:
    missing = api_md_routes() - schema_routes(schema)
    assert not missing, sorted(missing)


def test_the_schema_has_every_api_route_of_the_app_and_nothing_else(
    app: Litestar, schema: dict[str, Any]
) -> None:
    served = {
        (method, shape(route.path))
        for route in app.routes
        if isinstance(route, HTTPRoute) and route.path.startswith(("/api/", "/health"))
        for method in route.methods - {"OPTIONS", "HEAD"}
    }
    assert schema_routes(schema) == served


def operations(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", item[method])
        for path, item in schema["paths"].items()
        for method in METHODS
        if method in item
    ]


def test_every_error_is_a_problem_and_every_204_has_no_body(schema: dict[str, Any]) -> None:
    problem = {"$ref": "#/components/schemas/Problem"}
    for label, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == {PROBLEM_JSON: {"schema": problem}}, (label, status)
            if status == "204":
                assert "content" not in response, label
    assert set(schema["components"]["schemas"]["Problem"]["required"]) == {
        "status",
        "title",
        "detail",
    }


def test_the_shared_answers_are_documented_where_they_can_happen(schema: dict[str, Any]) -> None:
    for label, operation in operations(schema):
        method, path = label.split(" ", 1)
        answers = set(operation["responses"])
        assert {"422", "503"} <= answers, label
        if operation.get("security") == [{"session": []}] or any(
            "session" in s and s for s in operation.get("security", [])[:1]
        ):
            assert "401" in answers, label
        if "{" in path:
            assert "404" in answers, label
        if "{plan_id}" in path and method != "GET":
            assert {"403", "409"} <= answers, label
        if method != "GET":
            assert "403" in answers, label  # cross-site, or no CSRF token


def test_a_change_needs_the_session_and_its_csrf_token(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["session"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "__Host-sid",
        "description": schemes["session"]["description"],
    }
    goals = schema["paths"]["/api/v1/plans/{plan_id}/goals"]["post"]
    assert goals["security"] == [{"session": [], "csrf": []}]
    assert schema["paths"]["/api/v1/plans"]["get"]["security"] == [{"session": []}]
    assert "security" not in schema["paths"]["/api/v1/session"]["post"]


def test_request_bodies_refuse_unknown_fields_and_say_the_text_rule(
    schema: dict[str, Any],
) -> None:
    goal = schema["components"]["schemas"]["SetGoal"]
    assert goal["additionalProperties"] is False
    assert re.fullmatch(goal["properties"]["title"]["pattern"], "Lese 15 minutter")
    assert not re.fullmatch(goal["properties"]["title"]["pattern"], "to\nlinjer")
    revision = schema["components"]["schemas"]["GoalRevision"]
    assert {"required": ["title"]} in revision["anyOf"]


def test_integer_bounds_are_the_ones_the_bodies_are_held_to(schema: dict[str, Any]) -> None:
    """Every integer of a body carries msgspec's bounds, a bound of 0 too (litestar left
    out `ge=0`, so the BTI level's schema admitted -1, which the API refuses: the fuzzer's
    ST202)."""
    bodies = {cls.__name__: cls for cls in _bodies(Body)}
    checked = 0
    for name, component in schema["components"]["schemas"].items():
        if name not in bodies:
            continue
        own = msgspec.json.schema(bodies[name])
        fields = own.get("$defs", {}).get(name, own).get("properties", {})
        for field_name, field in component.get("properties", {}).items():
            known = fields.get(field_name, {})
            bounds = [m for m in known.get("anyOf", [known]) if m.get("type") == "integer"]
            shown = [m for m in [field, *field.get("oneOf", [])] if m.get("type") == "integer"]
            for theirs, ours in zip(bounds, shown, strict=False):
                for keyword in ("minimum", "maximum"):
                    if keyword in theirs:
                        assert ours[keyword] == theirs[keyword], (name, field_name, keyword)
                        checked += 1
    assert checked >= 4  # the level on creation and on a change, with both bounds
    level = schema["components"]["schemas"]["ChangePlanDetails"]["properties"]["level"]
    assert {"type": "integer", "minimum": 0, "maximum": 3} in level["oneOf"]


def _bodies(cls: type[Body]) -> list[type[Body]]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in _bodies(child))]


def test_production_serves_no_schema_and_no_files_of_the_checkout() -> None:
    """SEC-CFG-02: the schema and its pages are for development (`build_web` passes
    `expose_schema=settings.is_development`); in production they are not there at all."""
    unused: Any = None
    app = create_app(
        unused, unused, access_log=unused, secret_key=SECRETS.secret_key, expose_schema=False
    )
    assert not [route.path for route in app.routes if route.path.startswith("/schema")]
    with TestClient(app, base_url="https://stafett.test") as client:
        for path in ("/schema", "/schema/openapi.json", "/schema/swagger", "/.git/config"):
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert "openapi" not in answer.text.lower()
