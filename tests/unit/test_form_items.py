"""Which item a plan form changes, as its refusal names it (decision 0038)."""

from uuid import UUID

import pytest

from stafett.web.pages.plan_forms import Failed, FormState, item_of

ID = UUID("6f1c2a64-3b9e-4d2c-9a57-0c1e8b7d4f21")  # fixed: test ids must agree across xdist workers


@pytest.mark.parametrize(
    ("key", "item"),
    [
        (f"goal-{ID}-revise", "goal"),
        (f"goal-{ID}-evaluate", "goal"),
        (f"activity-{ID}-change", "activity"),
        (f"activity-{ID}-complete", "activity"),
        ("goal-new", None),  # an addition changes no item
        ("activity-new", None),
        (f"comment-goal-{ID}", None),  # a comment is added, whatever it is on
        ("minutes-new", None),
        ("goal", None),
        ("", None),
    ],
)
def test_a_forms_key_names_the_item_it_changes(key: str, item: str | None) -> None:
    assert item_of(key) == item
    assert Failed(key, {}, {}, conflict=True).item == item
    assert FormState(key, {}).item == item
