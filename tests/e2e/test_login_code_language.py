"""The one-time code's message is in the language of the page the person logs in from,
when their account has none of its own; a language the account chose still wins.

Found in a walk-through: "English" chosen on the login page, and the SMS said
"Engangskoden din til Stafett er …"."""

from tests.e2e.conftest import PASSWORD, Web

ENGLISH = "Your one-time code for Stafett is"
BOKMAL = "Engangskoden din til Stafett er"


def log_in_from(web: Web, language: str) -> str:
    """The password step from a page in `language`; the body of the code sent."""
    web.client.cookies.set("lang", language)
    sent = web.submit("/login", {"username": "kari", "password": PASSWORD}, token=False)
    assert sent.status_code == 303, sent.text
    return web.messages()[-1]["body"]


def test_the_code_comes_in_the_login_pages_language(web: Web) -> None:
    web.create_user("kari")
    assert ENGLISH in log_in_from(web, "en")
    resent = web.submit("/login/code/resend", {"next": "/plans"}, token=False)
    assert resent.status_code == 303, resent.text
    assert ENGLISH in web.messages()[-1]["body"]
    assert BOKMAL in log_in_from(web, "nb")


def test_the_accounts_own_language_wins(web: Web) -> None:
    kari = web.create_user("kari")
    web.accounts.set_language(kari, "nb")  # chosen under My profile
    assert BOKMAL in log_in_from(web, "en")
