"""The check that every form a person types into keeps a draft (tests/page_forms.py)."""

from tests.page_forms import forms_without_drafts


def test_a_typed_into_form_without_a_draft_is_found() -> None:
    page = """<form method="post" action="/plans/1/plan/goals"><textarea name="text"></textarea>
    </form><form method="post" action="/plans/new"><input name="short_name"></form>"""
    assert forms_without_drafts(page) == ["/plans/1/plan/goals", "/plans/new"]


def test_forms_with_a_draft_or_nothing_typed_or_a_secret_are_not() -> None:
    page = """<form method="post" action="/a" data-draft="a"><textarea name="t"></textarea></form>
    <form method="post" action="/logout"><input type="hidden" name="csrf_token"></form>
    <form method="post" action="/profile/password"><input name="username" hidden>
      <input type="password" name="new_password"></form>
    <form method="get" action="/plans"><input name="last_name"></form>
    <form method="post" action="/login"><input name="username"></form>
    <form method="post" action="/step-up/code"><input name="code"></form>"""
    assert forms_without_drafts(page) == []
