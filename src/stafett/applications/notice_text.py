"""What a notice says: the plan's short name, the kind of change, the login page.

Never the child's name and never content (decision 0020): the notice is read on a
locked phone's screen and in mail boxes others may see. The plan is named by its
short name only when that name holds neither the owner's first nor last name (a
short name is often "Ola 2026"); otherwise as "a plan you take part in". Bokmål, or
English for a person whose account chose English.
"""

import re
from dataclasses import dataclass

from stafett.aggregates.values import NoticeKind

LANGUAGES = ("nb", "en")

HEADLINES: dict[str, dict[NoticeKind, str]] = {
    "nb": {
        NoticeKind.NEW_MESSAGE: "Ny melding til deg i {plan}",
        NoticeKind.NEW_GOAL_OR_ACTIVITY: "Nytt mål eller tiltak i {plan}",
        NoticeKind.NEW_COMMENT: "Ny kommentar i {plan}",
        NoticeKind.NEW_CALENDAR_ENTRY: "Ny kalenderoppføring i {plan}",
        NoticeKind.NEW_PARTICIPANT: "Ny deltaker i plangruppen til {plan}",
    },
    "en": {
        NoticeKind.NEW_MESSAGE: "A new message to you in {plan}",
        NoticeKind.NEW_GOAL_OR_ACTIVITY: "A new goal or activity in {plan}",
        NoticeKind.NEW_COMMENT: "A new comment in {plan}",
        NoticeKind.NEW_CALENDAR_ENTRY: "A new calendar entry in {plan}",
        NoticeKind.NEW_PARTICIPANT: "A new participant in the plan group of {plan}",
    },
}
NAMED_PLAN = {"nb": "planen «{name}»", "en": "the plan “{name}”"}
UNNAMED_PLAN = {"nb": "en plan du deltar i", "en": "a plan you take part in"}
READ_MORE = {
    "nb": "Logg inn i Stafett for å lese mer: {url}",
    "en": "Log in to Stafett to read more: {url}",
}
SUBJECT = {"nb": "Stafett: {headline}", "en": "Stafett: {headline}"}
WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class NoticeText:
    subject: str
    body: str


def plan_name(short_name: str, owner_names: tuple[str, ...], language: str) -> str:
    """How the notice names the plan: by its short name unless it names the owner."""
    folded = short_name.casefold()
    for name in owner_names:
        for part in WORD.findall(name):
            if part.casefold() in folded:  # anywhere: "Olas plan" names Ola too
                return UNNAMED_PLAN[language]
    if not WORD.search(short_name):
        return UNNAMED_PLAN[language]
    return NAMED_PLAN[language].format(name=short_name)


def notice_text(
    kind: NoticeKind,
    *,
    short_name: str,
    owner_names: tuple[str, ...],
    login_url: str,
    language: str | None,
) -> NoticeText:
    """The subject and body of a notice of `kind`, in `language` (bokmål if not English)."""
    lang = language if language in LANGUAGES else "nb"
    assert lang is not None
    headline = HEADLINES[lang][kind].format(plan=plan_name(short_name, owner_names, lang))
    body = f"{headline}.\n{READ_MORE[lang].format(url=login_url)}\n"
    return NoticeText(SUBJECT[lang].format(headline=headline), body)
