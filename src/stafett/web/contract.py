"""What the OpenAPI schema says each route answers: derived from what the route is, once.

A route's handler documents only its success. Everything else it can answer comes
from the shared parts every request passes through, so it is derived here from
the facts those parts act on, for every route at once (decision 0023), and added as
litestar `ResponseSpec`s (`HTTPRouteHandler.responses`) before the schema is built:

- the input edge (`web/edge.py`) refuses a bad address (400) or query (422) on any
  route, and a body on a route that takes one: too large (413), not JSON or not an
  image (415), unreadable (422);
- the guard (`web/auth.py`): a route that needs a session answers 401 without one;
  403 where the policy is an account right, and on every change (cross-site or
  without its CSRF token); a login step answers 401 to wrong credentials and 429
  (with `Retry-After`) when an address tries too often;
- path parameters name something that may not exist or not be the caller's (404);
  inside a plan the plan's rules may refuse (403), and a change meets the version
  the caller based it on or a closed plan (409);
- decoded parameters and bodies (msgspec, `applications/input.py`) and the domain's
  checks refuse bad values (422) and impossible requests (400);
- the stores may be unreachable (503, with `Retry-After`).

Every one of those answers is a problem-details body (`application/problem+json`,
RFC 9457) as the error table (`web/errors.py`) writes it: `Problem` below. A
success without a body (204, and the 202 of a password reset) is documented
without content. What a handler itself answers beyond these is said on its
decorator (`responses=`), which wins over what is derived here.

The session is a cookie and a change also carries the CSRF header: both are
OpenAPI security schemes (`SECURITY_SCHEMES`), and each route's requirement follows
from its policy.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import msgspec
from litestar import Litestar, Response
from litestar.enums import ParamType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    PathItem,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.routes import HTTPRoute
from litestar.types import Scope

from stafett.aggregates.policy import AccountAction
from stafett.aggregates.text import text_pattern
from stafett.applications.input import Body
from stafett.web.auth import CSRF_HEADER, RATE_LIMITED_PREFIXES, SESSION_COOKIE, Policy
from stafett.web.edge import BODY_METHODS, KEY_PATTERN, MAX_INTEGER_DIGITS
from stafett.web.idempotency import honours_key

PROBLEM_JSON = "application/problem+json"
LINE_REQUIRED = text_pattern(one_line=True, required=True)
LINE_OPTIONAL = text_pattern(one_line=True, required=False)
PLAUSIBLE_YEAR = "^(?:19|2[01])[0-9]{2}-"  # EARLIEST_DATE to LATEST_DATE (aggregates/values.py)
BIGGEST = 10**MAX_INTEGER_DIGITS - 1
SESSION_SCHEME = "session"
CSRF_SCHEME = "csrf"
SECURITY_SCHEMES = Components(
    security_schemes={
        SESSION_SCHEME: SecurityScheme(
            type="apiKey",
            name=SESSION_COOKIE,
            security_scheme_in="cookie",
            description="The session, set by the login steps (`POST /api/v1/session`, "
            "`…/session/otp`, `…/session/terms`).",
        ),
        CSRF_SCHEME: SecurityScheme(
            type="apiKey",
            name=CSRF_HEADER,
            security_scheme_in="header",
            description="The session's CSRF token (`GET /api/v1/me` → `csrf.token`), "
            "required on every change made with a session.",
        ),
    }
)


class FieldProblem(msgspec.Struct):
    """One field a body or query could not be read with."""

    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True):
    """An error (RFC 9457 problem details), as `web/errors.py` writes it."""

    status: int
    title: str
    detail: str
    type: str | msgspec.UnsetType = msgspec.UNSET
    field: str | msgspec.UnsetType = msgspec.UNSET  # a domain rule broken by one field
    errors: list[FieldProblem] | msgspec.UnsetType = msgspec.UNSET  # a body msgspec refused


@dataclass(frozen=True)
class RouteFacts:
    """What the shared request path needs to know about one route to say what it answers."""

    method: str
    path: str
    policy: Policy
    pre_login: bool
    path_parameters: frozenset[str]
    takes_body: bool
    takes_secret: bool  # a password or a one-time code, counted against the lockout
    keyed: bool = False  # a POST that keeps answers under an Idempotency-Key

    @property
    def changes(self) -> bool:
        return self.method in BODY_METHODS

    @property
    def in_plan(self) -> bool:
        return "plan_id" in self.path_parameters

    @property
    def needs_session(self) -> bool:
        return self.policy is not Policy.PUBLIC

    @property
    def login_step(self) -> bool:
        return self.pre_login and self.method == "POST"


# (status, when, what it means): one row per shared reason to answer it.
Rule = tuple[int, Callable[[RouteFacts], bool], str]
RULES: tuple[Rule, ...] = (
    (400, lambda r: True, "The address is not allowed, or the request cannot be carried out"),
    (401, lambda r: r.needs_session, "Not logged in, or the session has ended"),
    (401, lambda r: r.login_step, "Wrong credentials, or no login under way"),
    (403, lambda r: isinstance(r.policy.value, AccountAction), "Not allowed for this account"),
    (403, lambda r: r.changes, "A change from another site, or without the session's CSRF token"),
    (403, lambda r: r.in_plan, "The plan's rules do not allow this"),
    (404, lambda r: bool(r.path_parameters), "No such thing, or not yours to know about"),
    (409, lambda r: r.in_plan and r.changes, "The plan has changed since (version), or is closed"),
    (
        409,
        lambda r: r.takes_body or r.in_plan,
        "A value refused for what is stored or for today's date (ConflictingValueError)",
    ),
    (
        409,
        lambda r: r.keyed,
        "The Idempotency-Key was used for another request, or is being used now (decision 0028)",
    ),
    (413, lambda r: r.takes_body, "The body is too large"),
    (415, lambda r: r.takes_body, "The body is not of a type this route takes"),
    (422, lambda r: True, "A query, header or body value is not valid"),
    (
        429,
        lambda r: (r.login_step and r.path.startswith(RATE_LIMITED_PREFIXES)) or r.takes_secret,
        "Too many attempts: try again after Retry-After seconds",
    ),
    (503, lambda r: True, "Temporarily unavailable: try again after Retry-After seconds"),
)


def possible_answers(facts: RouteFacts) -> dict[int, str]:
    """Every error status the route can answer, with why (rows for one status joined)."""
    answers: dict[int, list[str]] = {}
    for status, applies, meaning in RULES:
        if applies(facts):
            answers.setdefault(status, []).append(meaning)
    return {status: "; ".join(meanings) for status, meanings in sorted(answers.items())}


def facts_of(route: HTTPRoute, handler: HTTPRouteHandler, method: str) -> RouteFacts:
    kind = handler.opt.get("policy")
    assert isinstance(kind, Policy), route.path  # check_policies refuses a route without one
    signature = handler.parsed_fn_signature.parameters
    return RouteFacts(
        method=method,
        path=route.path,
        policy=kind,
        pre_login=bool(handler.opt.get("pre_login", False)),
        path_parameters=frozenset(route.path_parameters),
        takes_body="data" in signature or "body" in signature,  # a JSON body, or a raw photo
        takes_secret=_takes_secret(signature.get("data")),
        keyed=method == "POST" and kind is not Policy.PUBLIC and honours_key(handler),
    )


SECRET_FIELDS = frozenset({"password", "current_password", "new_password", "code"})


def _takes_secret(data: Any) -> bool:
    """A body with a password or a one-time code: wrong ones count toward a lock (429)."""
    if data is None:
        return False
    body = next((t.annotation for t in [data, *data.inner_types] if _is_struct(t.annotation)), None)
    return body is not None and bool(SECRET_FIELDS & set(body.__struct_fields__))


def _is_struct(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, msgspec.Struct)


def security_of(facts: RouteFacts) -> list[dict[str, list[str]]] | None:
    """The route's OpenAPI security requirement, from its policy."""
    if facts.needs_session:
        if facts.changes:
            return [{SESSION_SCHEME: [], CSRF_SCHEME: []}]
        return [{SESSION_SCHEME: []}]
    if facts.changes and not facts.pre_login:  # log out: a full session needs its token
        return [{}, {SESSION_SCHEME: [], CSRF_SCHEME: []}]
    return None


def problem(description: str) -> ResponseSpec:
    """A problem-details answer (also for a handler's own `responses=`)."""
    return ResponseSpec(
        data_container=Problem,
        description=description,
        media_type=PROBLEM_JSON,
        generate_examples=False,
    )


def no_body(description: str) -> ResponseSpec:
    """A success answered without a body (also for a handler's own `responses=`)."""
    return ResponseSpec(data_container=None, description=description, generate_examples=False)


def allow_every_method(app: Litestar) -> None:
    """Make each path's `OPTIONS` answer name all of its methods in `Allow`.

    litestar (2.25) builds a path's route again when a second group of handlers joins
    it (a controller's and its base's, `Router.register`), and keeps the first route's
    `OPTIONS` handler, whose `Allow` lists only the first group's methods.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        allow = ", ".join(sorted(route.methods))
        for handler in route.route_handlers:
            if handler.http_methods == {"OPTIONS"} and handler.handler_name == "options_handler":
                handler._fn = cast(Any, _options_answer(allow))  # see the docstring


def _options_answer(allow: str) -> Callable[..., Response[None]]:
    def options_handler(scope: Scope) -> Response[None]:
        return Response(None, status_code=204, headers={"Allow": allow}, media_type="text/plain")

    return options_handler


def document_answers(app: Litestar) -> None:
    """Give every route in the schema the answers and security its facts imply."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            methods = handler.http_methods - {"OPTIONS", "HEAD"}
            if not methods or not handler.resolve_include_in_schema():
                continue
            facts = facts_of(route, handler, next(iter(methods)))
            derived: dict[int, ResponseSpec] = {
                status: problem(meaning) for status, meaning in possible_answers(facts).items()
            }
            if handler.status_code == 204:  # litestar would document `Response[None]` as JSON
                derived[204] = no_body(handler.response_description or "Done; no body")
            handler.responses = derived | dict(handler.responses or {})
            if (security := security_of(facts)) is not None:
                handler.security = security


# ------------------------------------------------------- the schema's bodies and queries


def refine_schema(app: Litestar) -> None:
    """Say in the built schema what the input edge holds every request to.

    Built once here (litestar would build it on the first request for it), then:
    every request body struct (`Body`: unknown fields refused) gets
    `additionalProperties: false`, and every text in a body or query that carries no
    pattern of its own gets the one-line text rule's (`aggregates/text.py`), as the
    edge and `Body` apply it to them all.
    """
    openapi = app.openapi_schema
    bodies = {cls.__name__: cls for cls in _subclasses(Body)}
    schemas = openapi.components.schemas or {}
    for name, schema in schemas.items():
        if name in bodies and isinstance(schema, Schema):
            schema.additional_properties = False
            for field in (schema.properties or {}).values():
                _one_line(field)
            _list_bounds_in_unions(schema, bodies[name])
            _integer_bounds(schema, bodies[name])
            for keyword, value in bodies[name].schema_rules().items():
                setattr(schema, _ATTRIBUTES[keyword], _converted(value))
    _document_downloads(app)
    keyed = _keyed_paths(app)
    for path, item in (openapi.paths or {}).items():
        if path in keyed and item.post is not None:
            _document_idempotency_key(item.post)
        for operation in _operations(item):
            for parameter in operation.parameters or ():
                if not isinstance(parameter, Parameter) or parameter.param_in == "path":
                    continue
                parameter.schema = _without_null(parameter.schema)  # absent, never "null"
                if parameter.param_in == "query":
                    _one_line(parameter.schema)


def _keyed_paths(app: Litestar) -> set[str]:
    """The schema paths of the API POSTs that keep answers under an `Idempotency-Key`."""
    return {
        SCHEMA_PATH_PARAMETER.sub(r"{\1}", route.path)
        for route in app.routes
        if isinstance(route, HTTPRoute) and route.path.startswith("/api/")
        for handler in route.route_handlers
        if "POST" in handler.http_methods and facts_of(route, handler, "POST").keyed
    }


SCHEMA_PATH_PARAMETER = re.compile(r"\{(\w+):\w+\}")


def _document_idempotency_key(operation: Operation) -> None:
    """The `Idempotency-Key` header on a POST that keeps its answer (decision 0028)."""
    header = Parameter(
        name="Idempotency-Key",
        param_in=ParamType.HEADER,
        required=False,
        schema=Schema(
            type=OpenAPIType.STRING,
            pattern=f"^{KEY_PATTERN.pattern.decode()}$",
            min_length=8,
            max_length=64,
        ),
        description=(
            "A key of the caller's choosing: a retry with the same key and the same request "
            "gets the first answer again (`Idempotent-Replayed: true`) and changes nothing; "
            "the same key for another request answers 409. Kept for 24 hours, per person."
        ),
    )
    operation.parameters = [*(operation.parameters or ()), header]


def _list_bounds_in_unions(schema: Schema, body: type[Body]) -> None:
    """A list's length bounds inside a union (`to: [ids] | "all"`), which litestar leaves
    out of the schema, copied from msgspec's own schema of the body."""
    own = msgspec.json.schema(body)
    fields = own.get("$defs", {}).get(body.__name__, own).get("properties", {})
    for name, field in (schema.properties or {}).items():
        union = field.one_of or field.any_of if isinstance(field, Schema) else None
        theirs = [m for m in fields.get(name, {}).get("anyOf", []) if m.get("type") == "array"]
        ours = [m for m in union or () if isinstance(m, Schema) and m.type == OpenAPIType.ARRAY]
        for mine, known in zip(ours, theirs, strict=False):
            mine.min_items = known.get("minItems", mine.min_items)
            mine.max_items = known.get("maxItems", mine.max_items)


def _integer_bounds(schema: Schema, body: type[Body]) -> None:
    """An integer's bounds as msgspec holds the body to them, in or out of a union:
    litestar leaves out a bound of 0 (`Meta(ge=0)`), so the schema let `-1` through."""
    own = msgspec.json.schema(body)
    fields = own.get("$defs", {}).get(body.__name__, own).get("properties", {})
    for name, field in (schema.properties or {}).items():
        if not isinstance(field, Schema):
            continue
        known = fields.get(name, {})
        theirs = [m for m in known.get("anyOf", [known]) if m.get("type") == "integer"]
        choices = [field, *(field.one_of or ()), *(field.any_of or ())]
        ours = [m for m in choices if isinstance(m, Schema) and m.type == OpenAPIType.INTEGER]
        for mine, bounds in zip(ours, theirs, strict=False):
            mine.minimum = bounds.get("minimum", mine.minimum)
            mine.maximum = bounds.get("maximum", mine.maximum)


def _document_downloads(app: Litestar) -> None:
    """A route that answers a file in one of several types (its `opt["media_types"]`, as
    a `?format=` chooses) documents each under its 200 (litestar documents one): bytes,
    or for JSON any value (the export's JSON is the plan view's)."""
    paths = app.openapi_schema.paths or {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in paths:
            continue
        for handler in route.route_handlers:
            types = handler.opt.get("media_types")
            if not types:
                continue
            for method in handler.http_methods - {"OPTIONS", "HEAD"}:
                operation = getattr(paths[route.path_format], method.lower(), None)
                answer = (operation.responses or {}).get("200") if operation else None
                if isinstance(answer, OpenAPIResponse):
                    file = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                    answer.content = {
                        kind: OpenAPIMediaType(schema=None if kind.endswith("json") else file)
                        for kind in types
                    }


_ATTRIBUTES = {
    "anyOf": "any_of",
    "oneOf": "one_of",
    "required": "required",
    "maxProperties": "max_properties",
    "properties": "properties",
    "type": "type",
}


def _converted(value: Any) -> Any:
    """JSON Schema keywords (`Body.schema_rules`) as litestar's `Schema` objects."""
    if isinstance(value, list):
        return [_converted(v) for v in value]
    if not isinstance(value, dict):
        return value
    schema = Schema()
    for keyword, item in value.items():
        if keyword == "type":
            schema.type = OpenAPIType(item)
        elif keyword == "properties":
            schema.properties = {k: _converted(v) for k, v in item.items()}
        else:
            setattr(schema, _ATTRIBUTES[keyword], _converted(item))
    return schema


def _subclasses(cls: type[Body]) -> Iterator[type[Body]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _operations(item: PathItem) -> Iterator[Operation]:
    methods = (item.get, item.put, item.post, item.delete, item.patch)
    return (operation for operation in methods if operation is not None)


CONSTRAINTS = (
    "pattern",
    "max_length",
    "min_length",
    "minimum",
    "maximum",
    "exclusive_minimum",
    "exclusive_maximum",
    "description",
)


def _without_null(schema: Schema | Reference | None) -> Schema | Reference | None:
    """An optional header or query value's schema (`str | None` in Python) without the
    `null` a query string or header cannot carry."""
    if not isinstance(schema, Schema) or not schema.one_of:
        return schema
    kept = [s for s in schema.one_of if not (isinstance(s, Schema) and s.type == OpenAPIType.NULL)]
    if len(kept) == 1 and isinstance(inner := kept[0], Schema):
        for attribute in CONSTRAINTS:  # litestar puts them beside the `oneOf`
            if getattr(inner, attribute) is None:
                setattr(inner, attribute, getattr(schema, attribute))
        return inner
    schema.one_of = kept
    return schema


def _one_line(schema: Schema | Reference | None) -> None:
    """The edge's rules for a value without rules of its own: a text gets the one-line
    rule's pattern, a date or instant the plausible years (`plausible_date`: 1900 to
    2199), an integer at most `MAX_INTEGER_DIGITS` digits."""
    if not isinstance(schema, Schema):
        return
    for choice in [*(schema.one_of or ()), *(schema.any_of or ())]:
        _one_line(choice)
    if isinstance(schema.items, Schema):
        _one_line(schema.items)
    if schema.type == OpenAPIType.INTEGER:
        schema.minimum = max(schema.minimum if schema.minimum is not None else -BIGGEST, -BIGGEST)
        schema.maximum = min(schema.maximum if schema.maximum is not None else BIGGEST, BIGGEST)
    if schema.type != OpenAPIType.STRING or schema.pattern or schema.enum:
        return
    if schema.format in (OpenAPIFormat.DATE, OpenAPIFormat.DATE_TIME):
        schema.pattern = PLAUSIBLE_YEAR
    elif schema.format is None:
        schema.pattern = LINE_REQUIRED if schema.min_length else LINE_OPTIONAL
