"""The policy table itself (SEC-AC-01): well formed, safe by construction, documented."""

from itertools import product
from pathlib import Path

from stafett.aggregates.policy import (
    FIELD_RULES,
    PART_SECTION,
    RULES,
    Action,
    Denial,
    Need,
    Standing,
    as_markdown,
    decide,
    rule_for,
)
from stafett.aggregates.values import Access, Section

DOC = Path(__file__).parents[2] / "docs" / "policy.md"


def test_the_documented_table_is_the_table_in_force() -> None:
    assert DOC.read_text(encoding="utf-8") == as_markdown()


def test_each_action_and_standing_matches_at_most_one_rule() -> None:
    for action, standing in product(Action, Standing):
        matching = [r for r in RULES if r.action is action and standing in r.standings]
        assert len(matching) <= 1, (action, standing)


def test_every_action_has_a_rule_and_outsiders_have_none() -> None:
    assert {rule.action for rule in RULES} == set(Action)
    assert all(Standing.OUTSIDER not in rule.standings for rule in RULES)


def test_outside_the_plan_group_every_action_is_answered_as_not_found() -> None:
    for action, valid, open_, access in product(Action, (True, False), (True, False), Access):
        decision = decide(
            action, Standing.OUTSIDER, consent_valid=valid, plan_open=open_, access=access
        )
        assert decision.denial is Denial.NOT_FOUND


def test_an_auditor_outside_the_plan_reads_its_history_and_nothing_else() -> None:
    for action in Action:
        decision = decide(action, Standing.AUDITOR, consent_valid=True, plan_open=True)
        assert decision.allowed == (action is Action.READ_HISTORY), action


def test_content_is_written_only_under_valid_consent_in_an_open_plan_with_write_rights() -> None:
    for rule in RULES:
        if rule.action in (Action.WRITE_SECTION, Action.COMMENT):
            assert rule.consent is Need.VALID
            assert rule.plan is Need.OPEN
            assert rule.access is not None


def test_providers_read_nothing_without_valid_consent() -> None:
    for action in (Action.OPEN, Action.READ_SECTION):
        rule = rule_for(action, Standing.PROVIDER)
        assert rule is not None
        assert rule.consent is Need.VALID
        refused = decide(
            action, Standing.PROVIDER, consent_valid=False, plan_open=True, access=Access.WRITE
        )
        assert refused.denial is Denial.CONSENT


def test_the_family_keeps_its_plan_without_consent_but_within_its_rights() -> None:
    for standing in (Standing.OWNER, Standing.RELATIVE, Standing.COORDINATOR):
        opened = decide(Action.OPEN, standing, consent_valid=False, plan_open=False)
        assert opened.allowed
        hidden = decide(
            Action.READ_SECTION,
            standing,
            consent_valid=False,
            plan_open=True,
            access=Access.NONE,
        )
        assert hidden.denial is Denial.NOT_PERMITTED


def test_field_rules_and_content_parts_name_real_things() -> None:
    assert {part for part, _ in FIELD_RULES} <= {"consent", "participants"}
    assert set(PART_SECTION.values()) == set(Section)
