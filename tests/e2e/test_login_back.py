"""Back to a login step already done: the browser's Back button after logging in opens
the code page (or the terms) again. Logged in, those pages go on to where the login
was going; they no longer offer a code form, whose post (a full session sent to the code
step) ends the session."""

from tests.e2e.conftest import PASSWORD, Web


def test_back_to_the_code_or_terms_page_when_logged_in_goes_on(web: Web) -> None:
    web.create_user("kari")
    web.page_login("kari")
    for path in ("/login/code?via=sms&next=/profile", "/login/terms?next=/profile"):
        answer = web.client.get(path, follow_redirects=False)
        assert answer.status_code == 303, (path, answer.text)
        assert answer.headers["location"] == "/profile"
    foreign = web.client.get("/login/code?next=https://evil.example/", follow_redirects=False)
    assert foreign.status_code == 303
    assert foreign.headers["location"] == "/plans"  # only a path of ours
    assert web.client.get("/profile").status_code == 200  # still logged in


def test_the_code_page_is_shown_while_the_login_waits_for_the_code(web: Web) -> None:
    web.create_user("kari")
    first = web.submit("/login", {"username": "kari", "password": PASSWORD}, token=False)
    assert first.status_code == 303
    shown = web.client.get(first.headers["location"], follow_redirects=False)
    assert shown.status_code == 200
    assert 'action="/login/code"' in shown.text
