"""The policy table and the plan's standing rules, as SQL over the plan list's rows.

The list answers "who may open this plan", "who may manage it" and "who may read its
messages" for many plans in one query, so it cannot call `decide`. Instead the SQL is
generated here from the same sources, never written by hand:

- a member's standing is `PlanState.standing_of`'s: the baton holder stands as the
  coordinator, everyone else by role (removed members are outside: `m.active`);
- a member's right in force is `PlanState.rights_of`'s: the coordinator's are
  `FULL_RIGHTS`;
- for each standing a member can have, `rule_for(action, standing)` (the rule
  `decide` applies) becomes `standing IN (…)` and the SQL of each of its needs:
  the plan's state, consent valid on the day (`Consent.is_valid_on`), the least
  right in the section. No rule: no row (deny by default).

"Changed since your last visit" is the newest change the member may read now
(`newest_readable`, decision 0050): each part of the plan dated apart (`schema.py`),
taken where the same rules let the member read it.

The policy table is looked at on every call, so a changed row is followed at once.
Conditions are over the members table as `m` and the plans table as `p`, with `%s`
placeholders; their values travel beside them, already as the engine stores them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stafett.aggregates import policy
from stafett.aggregates.policy import Action, Need, Rule, Standing, at_least, rule_for
from stafett.aggregates.values import (
    FULL_RIGHTS,
    Access,
    ConsentStatus,
    PlanStatus,
    Role,
    Section,
)
from stafett.projections.plan_list.schema import (
    FIELD_COLUMNS,
    MESSAGE_COLUMN,
    OWN_COLUMN,
    SECTION_COLUMNS,
    SHARED_COLUMN,
    given_column,
)

# The standings a member row can have: its role, or the coordinator's (`standing_of`).
MEMBER_STANDINGS = tuple(Standing(role.value) for role in Role)


@dataclass(frozen=True, slots=True)
class Condition:
    """A piece of SQL and the values of its placeholders, in order."""

    sql: str
    values: tuple[Any, ...] = ()


NEVER = Condition("(1=0)")


def all_of(*conditions: Condition) -> Condition:
    if len(conditions) == 1:
        return conditions[0]
    return Condition(
        "(" + " AND ".join(c.sql for c in conditions) + ")",
        tuple(v for c in conditions for v in c.values),
    )


def any_of(conditions: Sequence[Condition]) -> Condition:
    if not conditions:
        return NEVER
    if len(conditions) == 1:
        return conditions[0]
    return Condition(
        "(" + " OR ".join(c.sql for c in conditions) + ")",
        tuple(v for c in conditions for v in c.values),
    )


def one_of(expression: Condition, values: Sequence[Any]) -> Condition:
    """`expression IN (%s, …)`, or a false condition when there is nothing to match."""
    if not values:
        return NEVER
    marks = ", ".join(["%s"] * len(values))
    return Condition(f"{expression.sql} IN ({marks})", (*expression.values, *values))


def standing(member: str = "m") -> Condition:
    """The member row's standing towards its plan, as `PlanState.standing_of` gives it."""
    return Condition(
        f"(CASE WHEN {member}.is_coordinator THEN %s ELSE {member}.role END)",
        (Standing.COORDINATOR.value,),
    )


def right_in_force(section: Section, member: str = "m") -> Condition:
    """The member's right in `section` in force, as `PlanState.rights_of` gives it: the
    baton holder's are full, everyone else's as given."""
    return Condition(
        f"(CASE WHEN {member}.is_coordinator THEN %s ELSE {member}.{given_column(section)} END)",
        (FULL_RIGHTS.level(section).value,),
    )


def consent_valid(today: Any) -> Condition:
    """The plan's consent is valid on `today` (`Consent.is_valid_on`)."""
    return Condition(
        "(p.consent_status=%s AND p.consent_given_on<=%s AND %s<=p.consent_expires_on)",
        (ConsentStatus.ACTIVE.value, today, today),
    )


def _needs(rule: Rule, today: Any, access: Condition | None) -> list[Condition] | None:
    """The SQL of what `decide` checks once `rule` is found; None when it cannot be met."""
    needs: list[Condition] = []
    if rule.plan is Need.OPEN:
        needs.append(Condition("p.status=%s", (PlanStatus.OPEN.value,)))
    elif rule.plan is Need.CLOSED:
        needs.append(Condition("p.status<>%s", (PlanStatus.OPEN.value,)))
    if rule.consent is Need.VALID:
        needs.append(consent_valid(today))
    if rule.access is not None:
        if access is None:  # the action touches no section: the caller's right is none
            return needs if at_least(Access.NONE, rule.access) else None
        enough = [a.value for a in Access if at_least(a, rule.access)]
        needs.append(one_of(access, enough))
    return needs


def allowed(action: Action, today: Any, *, access: Condition | None = None) -> Condition:
    """When `decide(action, …)` allows the member `m` on plan `p` on `today`.

    `access` is the member's right in force in the section the action touches, if it
    touches one (`right_in_force`). The SQL is made again whenever the policy table is
    another (as when a test changes a row); only the day changes otherwise.
    """
    key = (action, access)
    made = _made.get(key)
    if made is None or made[0] is not policy.RULES:
        made = policy.RULES, _allowed(action, access)
        _made[key] = made
    condition = made[1]
    return Condition(condition.sql, tuple(today if v is _TODAY else v for v in condition.values))


_TODAY = object()  # stands for the day's value in a condition made ahead
_made: dict[tuple[Action, Condition | None], tuple[tuple[Rule, ...], Condition]] = {}


def _allowed(action: Action, access: Condition | None) -> Condition:
    standings_by_rule: dict[Rule, list[str]] = {}
    for member_standing in MEMBER_STANDINGS:
        rule = rule_for(action, member_standing)
        if rule is not None:
            standings_by_rule.setdefault(rule, []).append(member_standing.value)
    branches = []
    for rule, standings in standings_by_rule.items():
        needs = _needs(rule, _TODAY, access)
        if needs is not None:
            branches.append(all_of(one_of(standing(), standings), *needs))
    return any_of(branches)


def sees(part: str, field: str) -> Condition:
    """When the member `m` sees `field` of `part` of others (the policy table's field
    rules, `sees_field`; one's own are always one's own)."""
    standings = [s.value for s in MEMBER_STANDINGS if policy.sees_field(s, part, field)]
    return one_of(standing(), standings)


def newest_readable(today: Any, latest: str) -> Condition:
    """When plan `p` last changed in a part the member `m` may read on `today` (microseconds).

    Each part's date counts where the policy table lets the member read that part: what
    everyone who may open the plan reads; a content section's items and the comments on
    them (`read_section` with the member's right in force there; a part's section is
    `PART_SECTION`'s); the messages the member sent or received (`read_section` on
    messages); others' fields that the field rules show them; and their own rights and
    notice choices. `latest` is the engine's function for the largest of its arguments
    (a part never changed counts as 0).
    """
    messages = policy.PART_SECTION["messages"]
    parts = [
        _dated(allowed(Action.OPEN, today), f"p.{SHARED_COLUMN}"),
        *(
            _dated(allowed(Action.READ_SECTION, today, access=right_in_force(s)), f"p.{c}")
            for s, c in SECTION_COLUMNS.items()
        ),
        _dated(
            allowed(Action.READ_SECTION, today, access=right_in_force(messages)),
            f"m.{MESSAGE_COLUMN}",
        ),
        *(_dated(sees(part, field), f"p.{c}") for (part, field), c in FIELD_COLUMNS.items()),
        Condition(f"COALESCE(m.{OWN_COLUMN}, 0)"),
    ]
    return Condition(
        f"{latest}({', '.join(p.sql for p in parts)})", tuple(v for p in parts for v in p.values)
    )


def _dated(readable: Condition, column: str) -> Condition:
    """`column`'s instant where `readable` holds, else 0."""
    return Condition(f"COALESCE(CASE WHEN {readable.sql} THEN {column} END, 0)", readable.values)
