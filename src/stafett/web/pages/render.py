"""How a page is built: one Jinja environment, one `page()` for every handler.

Templates autoescape everything; page strings go through gettext
(`stafett.web.i18n`). Every page gets the CSP nonce of its response (for the
one script tag), the CSRF token of its session (each form carries it as
`csrf_token`, htmx sends it as the `x-csrftoken` header), the logged-in
person, if any, and the language.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit
from uuid import UUID

import anyio
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_eval_context
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, Macro
from litestar.enums import MediaType
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Response
from litestar.status_codes import HTTP_303_SEE_OTHER
from litestar.template import TemplateConfig
from markupsafe import Markup

from stafett.aggregates.values import MUNICIPAL_TIMEZONE
from stafett.applications.own_account import IDLE_TIMEOUT, SESSION_TOUCH_EVERY
from stafett.web import i18n
from stafett.web.auth import PRINCIPAL, csrf_token_of
from stafett.web.headers import csp_nonce
from stafett.web.i18n import _
from stafett.web.params import AnyRequest


@dataclass(frozen=True, slots=True)
class Said:
    """What the page after a write or a step says, and how: `color` is the alert's
    `data-color` (success for a write done; info for news that is no success). `done`:
    it confirms a write, which ends the tab's draft of the form sent (`drafts.js` reads
    `data-confirmation="done"`); a notice (a code sent, a step to take) keeps it."""

    text: str
    color: str = "success"
    done: bool = True


def notice(text: str, color: str = "success") -> Said:
    """News that confirms no write (a code sent): the draft of a form sent just before,
    whose action waits for this step, is kept."""
    return Said(text, color, done=False)


def info(text: str) -> Said:
    """A notice that is said, not celebrated (the person declined, or must start again)."""
    return notice(text, "info")


# Each area adds the confirmations of its writes: a text (said as a success) or a `Said`.
SAVED: dict[str, Callable[[], str | Said]] = {}
TEMPLATES = Path(__file__).parent.parent / "templates"
T = TypeVar("T")
Page = Response[str]  # a rendered page


def _date(value: date | datetime | None) -> str:
    """Dates as Norwegians write them (dd.mm.yyyy), in both languages; an instant's date
    is its day on the municipality's clock (an archive made at 00:30 in Norway is of that
    day, though UTC still has the day before)."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(MUNICIPAL_TIMEZONE)
    return value.strftime("%d.%m.%Y")


@lru_cache(maxsize=16384)
def _datetime(value: datetime | None) -> str:
    """An instant as the municipality's clock shows it (dd.mm.yyyy hh:mm). A page shows
    the same instants each time it is drawn (a long plan's comments, minutes and
    messages: nearly a tenth of its plan tab's time went here), so their text is kept;
    equal instants read the same on that clock, whatever zone they came in."""
    if value is None:
        return ""
    return value.astimezone(MUNICIPAL_TIMEZONE).strftime("%d.%m.%Y %H:%M")


def draft_owner(person_id: UUID) -> str:
    """Who a page's drafts belong to, as `static/drafts.js` keeps them in the tab: a
    digest of the person, so the tab's storage holds no identifier of theirs. Another
    person's first page in the tab drops every draft kept before."""
    return hashlib.sha256(b"stafett-draft-owner:" + person_id.bytes).hexdigest()[:24]


@lru_cache(maxsize=8192)
def _formatted(language: str, message: str, autoescape: bool) -> str:
    """A page string without variables, translated and formatted as Jinja does it."""
    translated = i18n.translations(language).gettext(message)
    return (Markup(translated) if autoescape else translated) % {}  # noqa: S704 (as Jinja)


@pass_eval_context
def _page_gettext(eval_ctx: EvalContext, message: str, /, **variables: Any) -> str:
    """Jinja's new-style `_()` (`install_gettext_callables(newstyle=True)`): the translation
    trusted as markup when autoescaping, always %-formatted, the variables escaped — with
    a string that has no variables (most of a page's) translated and formatted once per
    language rather than on every call (it was half of the plan list page's time)."""
    language = i18n.current_language()
    if not variables:
        return _formatted(language, message, eval_ctx.autoescape)
    translated = i18n.translations(language).gettext(message)
    return (Markup(translated) if eval_ctx.autoescape else translated) % variables  # noqa: S704


class PageContext(Context):
    """Jinja's template context, with the page's `_()` called directly.

    Jinja sends every call in a template through `Context.call`, which works out for
    each call whether the callable wants a context passed (about 2 µs, where `_` itself
    takes a quarter of a microsecond); a page calls `_` hundreds of times. `_` is a known
    function that wants the evaluation context, so it gets it here without the look.
    Likewise a template's macros, which want nothing passed (Jinja's look finds that
    out each time). Every other call takes Jinja's way."""

    def call(self, obj: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        if obj is _page_gettext:
            kwargs.pop("_block_vars", None)  # as Jinja does for such a function
            kwargs.pop("_loop_vars", None)
            return _page_gettext(self.eval_ctx, *args, **kwargs)
        if type(obj) is Macro:  # a template's own macro (or `caller`): it wants nothing
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            try:
                return obj(*args, **kwargs)
            except StopIteration:  # as Jinja answers it
                return self.environment.undefined("a callable raised StopIteration")
        return super().call(obj, *args, **kwargs)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        # The templates are the package's own and the server does not reload code: a
        # template once compiled is kept, not checked against its file on each use (a
        # `stat` for every template a page extends, includes or imports).
        auto_reload=False,
        cache_size=-1,
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    env.globals["_"] = env.globals["gettext"] = _page_gettext
    env.context_class = PageContext
    env.filters["date"] = _date
    env.filters["datetime"] = _datetime
    env.filters["draft_owner"] = draft_owner
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))


LANGUAGE_COOKIE = "lang"
STEPPED_UP = "stepped_up"  # `?kept=1&stepped_up=1`: a form given back after a step-up (kept.py)


def choose_page_language(request: AnyRequest) -> None:
    """The page's language: the person's choice, else the browser's cookie, else bokmål."""
    principal = request.state.get(PRINCIPAL)
    preferred = getattr(principal, "language", None) if principal is not None else None
    i18n.set_language(preferred or request.cookies.get(LANGUAGE_COOKIE))


# The quiet a logged-in page's session is sure to have left when the page arrives: the
# idle timeout less how long a use may go unwritten (static/session.js warns before it).
SESSION_IDLE_SECONDS = int((IDLE_TIMEOUT - SESSION_TOUCH_EVERY).total_seconds())


def page(request: AnyRequest, name: str, *, status: int = 200, **context: Any) -> Page:
    """The page `name` with what every page needs, plus `context`, rendered at once.

    Rendered here rather than by litestar's `Template` response, which renders on the
    event loop after the handler: a handler that runs in a worker thread (most pages)
    renders there too, so one long page does not hold up every other request. The
    page's language is the context variable `i18n` set, which the thread carries.
    """
    template = request.app.template_engine.get_template(name)  # type: ignore[union-attr]
    html = template.render(
        nonce=csp_nonce(request.scope),
        csrf_token=csrf_token_of(request),
        principal=request.state.get(PRINCIPAL),
        session_idle=SESSION_IDLE_SECONDS,
        lang=i18n.current_language(),
        here=request.url.path,
        query=request.url.query,
        confirmation=confirmation(request.query_params.get("saved")),
        stepped_up=request.query_params.get(STEPPED_UP) == "1",  # macros.html `kept_notice`
        request=request,
        **context,
    )
    return Response(html, status_code=status, media_type=MediaType.HTML)


def confirmation(key: str | None) -> Said | None:
    """What a write did, said on the page it leads to (`?saved=<key>`; never user text)."""
    messages: dict[str, Callable[[], str | Said]] = {
        "logged_out": lambda: notice(_("You are logged out.")),
        "code_sent": lambda: notice(
            _("A new code is on its way. The earlier code no longer works.")
        ),
        "start_again": lambda: info(_("The login took too long. Start again.")),
        "terms_declined": lambda: info(
            _(
                "You declined the terms, so you are not logged in. Contact your coordinator "
                "if you have questions."
            )
        ),
        "password_set": lambda: notice(_("Your new password is saved. Log in with it.")),
        "number_confirmed": lambda: notice(
            _("Your new password is saved and your mobile number is confirmed. Log in with them.")
        ),
        **SAVED,
    }
    message = messages.get(key or "")
    if message is None:
        return None
    said = message()
    return said if isinstance(said, Said) else Said(said)


async def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A blocking service call from an async page handler, in a worker thread (which
    carries the page's language)."""
    return await anyio.to_thread.run_sync(partial(function, *args, **kwargs))


def see_other(path: str, *, at: str = "", **query: str) -> Redirect:
    """After a form: to a page of ours (303, so the browser GETs it), at the element with
    the id `at` if given (where the page asks for the next step)."""
    if query:
        path += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    if at:
        path += f"#{quote(at, safe='')}"
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def local_path(target: str | None, default: str = "/plans") -> str:
    """A return address that stays on this site: a path of ours, or the default."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target
