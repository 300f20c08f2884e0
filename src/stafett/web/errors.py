"""The one table that maps domain and infrastructure errors to problem details.

Handlers never catch domain errors themselves; litestar finds the handler for an
exception by its class hierarchy, so each entry covers its subclasses too.
"""

import re
from collections.abc import Callable
from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import ClientException, ValidationException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

from stafett.aggregates.errors import (
    ConflictingValueError,
    ConsentNotValidError,
    DomainError,
    DuplicateError,
    NotAParticipantError,
    NotFoundError,
    NotPermittedError,
    PlanClosedError,
    ValidationError,
)
from stafett.applications.access_log import AccessLogUnavailableError
from stafett.applications.accounts import (
    CodeRejectedError,
    LoginFailedError,
    TooManyAttemptsError,
)
from stafett.applications.passwords import HashingBusyError
from stafett.applications.photo_encoding import (
    BrokenImageError,
    NotAnImageError,
    PhotoTooLargeError,
)
from stafett.applications.results import VersionConflictError
from stafett.applications.step_up import StepUpRequiredError
from stafett.archive.service import ArchiveDamagedError
from stafett.persistence.outage import DATABASE_UNAVAILABLE

RETRY_AFTER_SECONDS = "5"
FIELD_MESSAGE = re.compile(r"([a-z_]{1,64}): (.+)", re.DOTALL)
log = structlog.get_logger(__name__)

# class → (status, title shown to people, whether the domain message is safe to show).
# The problem type is derived from status and title, never from the class, so
# "not in this plan" and "no such plan" cannot be told apart.
ERROR_TABLE: dict[type[Exception], tuple[int, str, bool]] = {
    LoginFailedError: (401, "Feil brukernavn eller passord", False),
    CodeRejectedError: (401, "Koden er ikke gyldig", False),
    StepUpRequiredError: (401, "Bekreft med en ny engangskode", True),
    TooManyAttemptsError: (429, "For mange forsøk", False),
    HashingBusyError: (503, "Midlertidig utilgjengelig", False),
    AccessLogUnavailableError: (503, "Midlertidig utilgjengelig", False),
    ArchiveDamagedError: (500, "Det lagrede arkivet er skadet", False),
    ConflictingValueError: (409, "Kan ikke brukes nå", True),
    ValidationError: (422, "Ugyldig verdi", True),
    NotAnImageError: (422, "Bildet må være JPEG, PNG eller WebP", True),
    PhotoTooLargeError: (413, "Bildet er for stort", True),
    BrokenImageError: (422, "Bildet er skadet og kan ikke leses", True),
    NotFoundError: (404, "Finnes ikke", False),
    NotAParticipantError: (404, "Finnes ikke", False),
    NotPermittedError: (403, "Ikke tillatt", True),
    ConsentNotValidError: (403, "Samtykket gjelder ikke", True),
    PlanClosedError: (409, "Planen er avsluttet", True),
    DuplicateError: (409, "Finnes allerede", True),
    VersionConflictError: (409, "Planen er endret av noen andre", True),
    DomainError: (400, "Kan ikke utføres", True),
    ValidationException: (422, "Ugyldig forespørsel", True),
} | dict.fromkeys(DATABASE_UNAVAILABLE, (503, "Midlertidig utilgjengelig", False))


def _to_problem(exc_class: type[Exception]) -> Callable[[Exception], ProblemDetailsException]:
    status, title, show_detail = ERROR_TABLE[exc_class]

    def convert(exc: Exception) -> ProblemDetailsException:
        if isinstance(exc, NotAParticipantError | NotPermittedError | ConsentNotValidError):
            log.info("authz_fail", reason=type(exc).__name__)
        extra: dict[str, Any] = {}
        if isinstance(exc, ValidationError):  # ConflictingValueError too
            extra["field"] = exc.field
            extra["reason"] = exc.reason.value  # why, in a word a client can act on
            # SEC-LOG-03: refused input is logged, by the field's name, never its value.
            log.info("input_validation_fail", reason="value", fields=[exc.field])
        if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
            extra["errors"] = [_field_error(e) for e in exc.extra if isinstance(e, dict)]
            fields = [error["field"] for error in extra["errors"]]
            log.info("input_validation_fail", reason="schema", fields=fields)
        headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
        if isinstance(exc, StepUpRequiredError):
            extra["step_up_required"] = True
        if isinstance(exc, TooManyAttemptsError):
            headers = {"Retry-After": str(exc.retry_after)}
        return ProblemDetailsException(
            status_code=status,
            title=title,
            detail=_detail(exc) if show_detail else title,
            type_=f"/problems/{status}",
            extra=extra or None,
            headers=headers,
        )

    return convert


def _field_error(error: dict[str, Any]) -> dict[str, str]:
    """One parsing error; a rule of `Body` names its field first ("title: …")."""
    message = str(error.get("message", ""))
    named = FIELD_MESSAGE.fullmatch(message)
    if named is not None:
        return {"field": named.group(1), "message": named.group(2)}
    return {"field": str(error.get("key", "")), "message": message}


def _detail(exc: Exception) -> str:
    if isinstance(exc, ValidationException):
        return str(exc.detail)
    return str(exc)


def _client_problem(exc: Exception) -> ProblemDetailsException:
    """A body litestar could not read (e.g. malformed JSON) is bad input: 422, like the rest."""
    assert isinstance(exc, ClientException)
    status = 422 if exc.status_code == 400 else exc.status_code
    return ProblemDetailsException(
        status_code=status,
        title="Ugyldig forespørsel" if status == 422 else str(exc.detail),
        detail="The request body could not be read" if status == 422 else str(exc.detail),
        type_=f"/problems/{status}",
        headers=exc.headers,  # e.g. a 405's `Allow` (RFC 9110 §15.5.6)
    )


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            enable_for_all_http_exceptions=True,
            exception_to_problem_detail_map={
                ClientException: _client_problem,
                **{cls: _to_problem(cls) for cls in ERROR_TABLE},
            },
        )
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything unexpected: logged with its trace, answered without one."""
    log.exception("unhandled_error", path=request.scope.get("path_template", "(no route)"))
    problem = ProblemDetailsException(
        status_code=500, title="Noe gikk galt", detail="Noe gikk galt. Prøv igjen senere."
    )
    return problem.to_response(request)
