"""Which forms of a page would lose what a person typed when their session ends.

Every form that is sent (POST) with a field a person types into (a text area, or a
shown input that is not hidden, a password, a file, a box or a button) must be marked
`data-draft`, so that `static/drafts.js` keeps its text through a login (issue 10,
item 9); and the route it posts to keeps it on the server, for browsers without
scripts (`draft_actions`, decision 0039). Left out on purpose: the login steps and
one-time codes (`UNKEPT`), whose few characters are a username or a secret, never kept.
"""

from html.parser import HTMLParser

UNKEPT = (
    "/login",
    "/login/code",
    "/confirm-number",
    "/password-reset",
    "/step-up",
    "/step-up/code",
    "/profile/mobile/code",
    "/profile/mobile/confirm",
    "/profile/authenticator/confirm",
)
NOT_TYPED = {"hidden", "password", "file", "checkbox", "radio", "submit", "button", "reset"}


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.drafts: list[str] = []  # the actions of the forms marked data-draft
        self._form: dict[str, str | None] | None = None
        self._typed = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if tag == "form":
            self._form, self._typed = given, False
        elif self._form is not None and tag == "textarea":
            self._typed = True
        elif self._form is not None and tag == "input" and "hidden" not in given:
            self._typed |= (given.get("type") or "text") not in NOT_TYPED

    def handle_endtag(self, tag: str) -> None:
        if tag != "form" or self._form is None:
            return
        form, self._form = self._form, None
        action = form.get("action") or ""
        if "data-draft" in form and (form.get("method") or "get").lower() == "post":
            self.drafts.append(action)
        if (
            self._typed
            and (form.get("method") or "get").lower() == "post"
            and "data-draft" not in form
            and action.split("?")[0] not in UNKEPT
        ):
            self.found.append(action)


def forms_without_drafts(page: str) -> list[str]:
    """The actions of the page's typed-into forms that keep no draft."""
    parser = _Forms()
    parser.feed(page)
    return parser.found


def draft_actions(page: str) -> list[str]:
    """The addresses the page's draft-keeping forms post to: each must keep the form on the
    server too when the session has ended (`keeps_form` in its route's opt, decision 0039),
    so that a browser without scripts loses nothing either."""
    parser = _Forms()
    parser.feed(page)
    return parser.drafts
