"""The policy table: who may do what to a plan, in which state (SEC-AC-01).

One table, read by the code that decides and by the tests that check it: the
plan's commands ask `decide` before they change anything, the permitted view
asks it which sections and fields a reader gets, and the authorization matrix
test derives every expected HTTP status from it. `docs/policy.md` is generated
from it (`python -m stafett.aggregates.policy`).

A caller stands towards one plan as its owner, a relative, a provider or its
coordinator (the participant holding the baton), or as someone outside it (never
added, or removed). Outside the plan group nothing is allowed and nothing is
revealed: the answer is the one for a plan that does not exist. An auditor
account outside the plan group may read its history and timeline, nothing else
(the whole plan as it stood, or as one participant could see it then, which the
permitted view decides with these same rules at that instant). Deny by default: an
action without a matching rule is refused.

Consent: providers need consent valid on the municipal date of the request for
every read and write; the owner, relatives and the coordinator keep reading their
plan without it (the plan is opened to them first; consent is what lets others
in), but content writes need valid consent from everyone.

A participant's person details (name, contact, address: the directory's, shared
across plans) are edited by the coordinator, and by participants given the
`edit_person` right (`ACTION_RIGHT`: a right that is no section's). Downloading the
plan as one may read it now (an export, PDF or JSON) needs the `print` right, and
from a provider valid consent, as reading does; the coordinator's rights are full.

The consent age (decision 0055): a young person who has reached the municipality's
consent age (15 or 16, a setting) decides over the consent themself, so withdraws it;
before that age their relatives do. The coordinator may always withdraw it. Where the
owner's birth date is not known, both the owner and the relatives may, as before the
age was asked: withdrawing stops sharing, so it is not refused for want of a date.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from stafett.aggregates.values import Access, Rights, Section


class Standing(Enum):
    """How a person stands towards one plan."""

    OWNER = "owner"
    RELATIVE = "relative"
    PROVIDER = "provider"
    COORDINATOR = "coordinator"
    AUDITOR = "auditor"  # an auditor account outside the plan group
    OUTSIDER = "outsider"  # never in the plan group, or removed from it


class Action(Enum):
    OPEN = "open"  # read the plan's overview and plan group (GET plan, plan list)
    READ_SECTION = "read_section"  # read one content section (goals, activities, …)
    WRITE_SECTION = "write_section"  # add or change content in a section
    COMMENT = "comment"  # comment on an item of a section
    MANAGE = "manage"  # plan group, rights, consent, baton, close, the plan's details
    # accept or decline the baton offered to one (the plan also checks it is theirs)
    ANSWER_BATON_OFFER = "answer_baton_offer"
    EDIT_PERSON = "edit_person"  # a participant's person details (the directory's)
    REOPEN = "reopen"
    RECORD_ARCHIVE = "record_archive"
    WITHDRAW_CONSENT = "withdraw_consent"
    READ_HISTORY = "read_history"  # history as of a version or instant, timeline
    READ_ACCESS_LOG = "read_access_log"  # who has read what in this plan
    READ_ARCHIVE = "read_archive"  # download a sealed record: the whole history and access log
    EXPORT_PLAN = "export_plan"  # download one's permitted view now, as PDF or JSON
    CHOOSE_OWN_NOTIFICATIONS = "choose_own_notifications"  # the notices one gets oneself
    CHOOSE_NOTIFICATIONS = "choose_notifications"  # the notices another participant gets


class Need(Enum):
    """A condition on consent or on the plan's state."""

    ANY = "any"
    VALID = "valid"  # consent valid on the municipal date of the request
    OPEN = "open"  # the plan is not closed
    CLOSED = "closed"


class Denial(Enum):
    """Why an action is refused; the web layer maps each to one HTTP status."""

    NOT_FOUND = "not_found"  # outside the plan: 404, as for a plan that does not exist
    NOT_PERMITTED = "not_permitted"  # 403
    CONSENT = "consent"  # 403: consent is not valid
    CLOSED = "closed"  # 409: the plan is closed
    NOT_CLOSED = "not_closed"  # 409: only a closed plan can be reopened


@dataclass(frozen=True, slots=True)
class Rule:
    action: Action
    standings: frozenset[Standing]
    consent: Need = Need.ANY
    plan: Need = Need.ANY
    access: Access | None = None  # the least right the section needs (per participant)
    # Whether the owner must have reached the consent age (True) or not (False) for this
    # rule to allow; None: whatever their age. An unknown age passes either (0055).
    owner_of_age: bool | None = None


FAMILY = frozenset({Standing.OWNER, Standing.RELATIVE, Standing.COORDINATOR})
PARTICIPANTS = frozenset(
    {Standing.OWNER, Standing.RELATIVE, Standing.PROVIDER, Standing.COORDINATOR}
)
COORDINATOR = frozenset({Standing.COORDINATOR})
PROVIDER = frozenset({Standing.PROVIDER})
MEMBERS = frozenset({Standing.OWNER, Standing.RELATIVE, Standing.PROVIDER})  # no baton

# The table. For one action, a standing matches at most one rule.
RULES: tuple[Rule, ...] = (
    Rule(Action.OPEN, FAMILY),
    Rule(Action.OPEN, PROVIDER, consent=Need.VALID),
    Rule(Action.READ_SECTION, FAMILY, access=Access.READ),
    Rule(Action.READ_SECTION, PROVIDER, consent=Need.VALID, access=Access.READ),
    Rule(
        Action.WRITE_SECTION, PARTICIPANTS, consent=Need.VALID, plan=Need.OPEN, access=Access.WRITE
    ),
    Rule(Action.COMMENT, PARTICIPANTS, consent=Need.VALID, plan=Need.OPEN, access=Access.READ),
    Rule(Action.MANAGE, COORDINATOR, plan=Need.OPEN),
    Rule(Action.ANSWER_BATON_OFFER, PROVIDER, consent=Need.VALID, plan=Need.OPEN),
    Rule(Action.EDIT_PERSON, COORDINATOR, plan=Need.OPEN),
    Rule(Action.EDIT_PERSON, MEMBERS, consent=Need.VALID, plan=Need.OPEN, access=Access.WRITE),
    Rule(Action.REOPEN, COORDINATOR, plan=Need.CLOSED),
    Rule(Action.RECORD_ARCHIVE, COORDINATOR),
    Rule(Action.WITHDRAW_CONSENT, COORDINATOR),
    Rule(Action.WITHDRAW_CONSENT, frozenset({Standing.OWNER}), owner_of_age=True),
    Rule(Action.WITHDRAW_CONSENT, frozenset({Standing.RELATIVE}), owner_of_age=False),
    Rule(Action.READ_HISTORY, frozenset({Standing.COORDINATOR, Standing.AUDITOR})),
    Rule(Action.READ_ACCESS_LOG, FAMILY),
    Rule(Action.READ_ARCHIVE, COORDINATOR),
    # What one reads, downloaded: as READ_SECTION's rows, with the `print` right.
    Rule(Action.EXPORT_PLAN, FAMILY, access=Access.WRITE),
    Rule(Action.EXPORT_PLAN, PROVIDER, consent=Need.VALID, access=Access.WRITE),
    Rule(Action.CHOOSE_OWN_NOTIFICATIONS, PARTICIPANTS),
    Rule(Action.CHOOSE_NOTIFICATIONS, COORDINATOR),
)

# Field filter: fields of a readable part that only some standings receive.
# (part, field) → the standings that see it; every other field of a readable
# part goes to everyone who may open the plan.
FIELD_RULES: dict[tuple[str, str], frozenset[Standing]] = {
    ("consent", "given_by"): FAMILY,  # personal data about the family
    ("participants", "rights"): COORDINATOR,  # others' rights; one's own rights are in `me`
    # others' notice choices; one's own are in `me`
    ("participants", "notifications"): COORDINATOR,
}

# Content parts and the section whose right governs them.
PART_SECTION: dict[str, Section] = {
    "goals": Section.GOALS,
    "activities": Section.ACTIVITIES,
    "calendar": Section.ACTIVITIES,  # calendar entries count as activities
    "minutes": Section.MINUTES,
    "messages": Section.MESSAGES,  # and only those the reader sent or received
}

# Who reads every message of a plan's history (READ_HISTORY). Everyone else who may
# read the history (its coordinator) gets only the messages they sent or received, as
# in the permitted view: a message is for its sender and its recipients.
EVERY_MESSAGE_IN_HISTORY: frozenset[Standing] = frozenset({Standing.AUDITOR})

# Actions whose least right is a yes/no right rather than a section's: the right's
# name. Holding it counts as `write`, lacking it as `none`.
ACTION_RIGHT: dict[Action, str] = {Action.EDIT_PERSON: "edit_person", Action.EXPORT_PLAN: "print"}


@dataclass(frozen=True, slots=True)
class Decision:
    denial: Denial | None

    @property
    def allowed(self) -> bool:
        return self.denial is None


ALLOW = Decision(None)


def rule_for(action: Action, standing: Standing) -> Rule | None:
    for rule in RULES:
        if rule.action is action and standing in rule.standings:
            return rule
    return None


def decide(
    action: Action,
    standing: Standing,
    *,
    consent_valid: bool,
    plan_open: bool,
    access: Access | None = None,
    owner_of_age: bool | None = None,
) -> Decision:
    """Allow, or the first reason to refuse: standing, plan state, consent, right,
    the owner's age.

    `access` is the caller's right in the section the action touches (the
    coordinator's is always write); actions on no section ignore it. `owner_of_age`:
    whether the plan's owner has reached the consent age on the day asked about (None:
    not known); only the rules that name it weigh it.
    """
    rule = rule_for(action, standing)
    if rule is None:
        outside = standing in (Standing.OUTSIDER, Standing.AUDITOR)
        return Decision(Denial.NOT_FOUND if outside else Denial.NOT_PERMITTED)
    if rule.plan is Need.OPEN and not plan_open:
        return Decision(Denial.CLOSED)
    if rule.plan is Need.CLOSED and plan_open:
        return Decision(Denial.NOT_CLOSED)
    if rule.consent is Need.VALID and not consent_valid:
        return Decision(Denial.CONSENT)
    if rule.access is not None and not at_least(access or Access.NONE, rule.access):
        return Decision(Denial.NOT_PERMITTED)
    needs = rule.owner_of_age
    if needs is not None and owner_of_age is not None and needs is not owner_of_age:
        return Decision(Denial.NOT_PERMITTED)
    return ALLOW


def access_for(action: Action, rights: Rights, section: Section | None = None) -> Access | None:
    """The right that `decide` weighs for `action`: the section's level, or for an
    action governed by a yes/no right (`ACTION_RIGHT`) write when it is held."""
    right = ACTION_RIGHT.get(action)
    if right is not None:
        return Access.WRITE if getattr(rights, right) else Access.NONE
    return None if section is None else rights.level(section)


def sees_field(standing: Standing, part: str, field: str) -> bool:
    allowed = FIELD_RULES.get((part, field))
    return allowed is None or standing in allowed


def at_least(have: Access, need: Access) -> bool:
    """Whether the right `have` is `need` or more (none < read < write)."""
    order = (Access.NONE, Access.READ, Access.WRITE)
    return order.index(have) >= order.index(need)


class AccountRole(Enum):
    """What an account may do outside any one plan; the values are `Principal.roles`."""

    COORDINATOR = "coordinator"  # may create plans, and so coordinate them
    ORG_ADMIN = "org_admin"  # organisation administrator
    AUDITOR = "auditor"


class AccountAction(Enum):
    CREATE_PLAN = "create_plan"
    SEARCH_DIRECTORY = "search_directory"  # find people by name to add them to a plan
    READ_REPORTS = "read_reports"  # the organisation's plan reports
    MANAGE_USERS = "manage_users"  # create accounts, lock, unlock, reset, grant coordinator
    SEARCH_PLANS = "search_plans"  # find any plan of the deployment (auditors; logged)
    MANAGE_NOTICES = "manage_notices"  # see notices given up on (dead letters), retry them


# Account actions and the roles that may take them; an action with no row is refused.
# The directory is for those who add people to plans: parents, youth and providers
# never search it, so they cannot look up anyone's contact details.
ACCOUNT_RULES: dict[AccountAction, frozenset[AccountRole]] = {
    AccountAction.CREATE_PLAN: frozenset({AccountRole.COORDINATOR}),
    AccountAction.SEARCH_DIRECTORY: frozenset({AccountRole.COORDINATOR, AccountRole.ORG_ADMIN}),
    AccountAction.READ_REPORTS: frozenset({AccountRole.ORG_ADMIN}),
    AccountAction.MANAGE_USERS: frozenset({AccountRole.ORG_ADMIN}),
    AccountAction.SEARCH_PLANS: frozenset({AccountRole.AUDITOR}),
    AccountAction.MANAGE_NOTICES: frozenset({AccountRole.ORG_ADMIN}),
}


def account_may(action: AccountAction, roles: Iterable[str]) -> bool:
    """Whether an account holding `roles` (their values) may take `action`."""
    allowed = ACCOUNT_RULES.get(action, frozenset())
    return any(role.value in roles for role in allowed)


def as_markdown() -> str:
    """The table as a page for people (docs/policy.md is this output)."""
    lines = [
        "# Policy table (generated from `src/stafett/aggregates/policy.py`)",
        "",
        "Outside the plan group (never added, or removed) every action answers as for a",
        "plan that does not exist; an auditor account outside it reads history only. An",
        "action with no row is refused. `make docs` writes this page; a test keeps it current.",
        "",
        "| action | standings | consent | plan | least right in the section (or the right) "
        "| the owner's age |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    ages = {None: "any", True: "reached the consent age", False: "under the consent age"}
    for rule in RULES:
        standings = ", ".join(sorted(s.value for s in rule.standings))
        access = rule.access.value if rule.access else "—"
        if rule.access and rule.action in ACTION_RIGHT:
            access = f"the `{ACTION_RIGHT[rule.action]}` right"
        lines.append(
            f"| {rule.action.value} | {standings} | {rule.consent.value} "
            f"| {rule.plan.value} | {access} | {ages[rule.owner_of_age]} |"
        )
    lines += ["", "| part | field | only for |", "| --- | --- | --- |"]
    for (part, field), standings_ in FIELD_RULES.items():
        lines.append(f"| {part} | {field} | {', '.join(sorted(s.value for s in standings_))} |")
    lines += ["", "| content part | governed by the right on |", "| --- | --- |"]
    lines += [f"| {part} | {section.value} |" for part, section in PART_SECTION.items()]
    every = ", ".join(sorted(s.value for s in EVERY_MESSAGE_IN_HISTORY))
    lines += [
        "",
        f"Every message of a plan's history: {every}; other history readers get the",
        "messages they sent or received.",
        "",
        "The owner's age is weighed where it is known (their birth date in the directory),",
        "on the municipal date asked about; an unknown age passes either row (decision 0055).",
    ]
    lines += ["", "| account action (outside any plan) | account roles |", "| --- | --- |"]
    for action, roles in ACCOUNT_RULES.items():
        lines.append(f"| {action.value} | {', '.join(sorted(r.value for r in roles))} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(as_markdown(), end="")
