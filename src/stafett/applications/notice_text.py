"""What a notice says: the plan's short name, the kind of change, the login page.

Never the child's name and never content (decision 0020): the notice is read on a
locked phone's screen and in mail boxes others may see. The plan is named by its
short name only when that name holds neither the owner's first nor last name (a
short name is often "Ola 2026"); otherwise as "a plan you take part in". Bokmål, or
English for a person whose account chose English. Reminders (decision 0022) say the
same of the consent or an activity, and the baton's notices (decision 0053) of an offer
and its answer, with where to answer it; a digest lists, per kind, only how many.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from stafett.aggregates.values import DutyKind, NoticeKind, ReminderKind

LANGUAGES = ("nb", "en")
Kind = NoticeKind | ReminderKind | DutyKind
KINDS: dict[str, Kind] = {k.value: k for k in (*NoticeKind, *ReminderKind, *DutyKind)}

HEADLINES: dict[str, dict[Kind, str]] = {
    "nb": {
        NoticeKind.NEW_MESSAGE: "Ny melding til deg i {plan}",
        NoticeKind.NEW_GOAL_OR_ACTIVITY: "Nytt mål eller ny aktivitet i {plan}",
        NoticeKind.NEW_COMMENT: "Ny kommentar i {plan}",
        NoticeKind.NEW_CALENDAR_ENTRY: "Ny kalenderoppføring i {plan}",
        NoticeKind.NEW_PARTICIPANT: "Ny deltaker i plangruppen til {plan}",
        ReminderKind.CONSENT_EXPIRES_30: "Samtykket for {plan} utløper innen 30 dager",
        ReminderKind.CONSENT_EXPIRES_7: "Samtykket for {plan} utløper innen 7 dager",
        ReminderKind.ACTIVITY_OVERDUE: (
            "En aktivitet du har ansvar for i {plan}, har passert fristen"
        ),
        ReminderKind.REVIEW_DUE: "Snart tid for å evaluere {plan}",
        ReminderKind.BATON_OFFER_WAITING: (
            "Tilbudet om stafettpinnen i {plan} venter fortsatt på svar fra deg"
        ),
        ReminderKind.OWNER_CAME_OF_AGE: "Planeieren i {plan} bestemmer nå selv over samtykket",
        DutyKind.BATON_OFFERED: "Du er tilbudt stafettpinnen i {plan}",
        DutyKind.BATON_OFFER_WITHDRAWN: "Tilbudet om stafettpinnen i {plan} er trukket tilbake",
        DutyKind.BATON_OFFER_DECLINED: "Tilbudet ditt om stafettpinnen i {plan} er avslått",
        DutyKind.BATON_HANDED_OVER: "Du har fått stafettpinnen i {plan}",
        DutyKind.BATON_ACCEPTED: "Tilbudet ditt om stafettpinnen i {plan} er tatt imot",
    },
    "en": {
        NoticeKind.NEW_MESSAGE: "A new message to you in {plan}",
        NoticeKind.NEW_GOAL_OR_ACTIVITY: "A new goal or activity in {plan}",
        NoticeKind.NEW_COMMENT: "A new comment in {plan}",
        NoticeKind.NEW_CALENDAR_ENTRY: "A new calendar entry in {plan}",
        NoticeKind.NEW_PARTICIPANT: "A new participant in the plan group of {plan}",
        ReminderKind.CONSENT_EXPIRES_30: "The consent for {plan} expires within 30 days",
        ReminderKind.CONSENT_EXPIRES_7: "The consent for {plan} expires within 7 days",
        ReminderKind.ACTIVITY_OVERDUE: (
            "An activity you are responsible for in {plan} is past its due date"
        ),
        ReminderKind.REVIEW_DUE: "The evaluation of {plan} is coming up",
        ReminderKind.BATON_OFFER_WAITING: (
            "The offer of the baton in {plan} is still waiting for your answer"
        ),
        ReminderKind.OWNER_CAME_OF_AGE: "The owner of {plan} now decides over the consent",
        DutyKind.BATON_OFFERED: "You are offered the baton in {plan}",
        DutyKind.BATON_OFFER_WITHDRAWN: "The offer of the baton in {plan} is withdrawn",
        DutyKind.BATON_OFFER_DECLINED: "Your offer of the baton in {plan} is declined",
        DutyKind.BATON_HANDED_OVER: "You now hold the baton in {plan}",
        DutyKind.BATON_ACCEPTED: "Your offer of the baton in {plan} is accepted",
    },
}
DIGEST_HEADLINE = {"nb": "Dette har skjedd i {plan}", "en": "What has happened in {plan}"}
DIGEST_LINES: dict[str, dict[Kind, str]] = {
    "nb": {
        NoticeKind.NEW_MESSAGE: "Nye meldinger til deg",
        NoticeKind.NEW_GOAL_OR_ACTIVITY: "Nye mål eller aktiviteter",
        NoticeKind.NEW_COMMENT: "Nye kommentarer",
        NoticeKind.NEW_CALENDAR_ENTRY: "Nye kalenderoppføringer",
        NoticeKind.NEW_PARTICIPANT: "Nye deltakere i plangruppen",
        ReminderKind.CONSENT_EXPIRES_30: "Samtykket utløper innen 30 dager",
        ReminderKind.CONSENT_EXPIRES_7: "Samtykket utløper innen 7 dager",
        ReminderKind.ACTIVITY_OVERDUE: "Aktiviteter du har ansvar for som har passert fristen",
        ReminderKind.REVIEW_DUE: "Planen skal evalueres innen 7 dager",
        ReminderKind.BATON_OFFER_WAITING: "Tilbud om stafettpinnen som venter på svar",
        ReminderKind.OWNER_CAME_OF_AGE: "Planeieren bestemmer nå selv over samtykket",
        DutyKind.BATON_OFFERED: "Tilbud om stafettpinnen",
        DutyKind.BATON_OFFER_WITHDRAWN: "Tilbud om stafettpinnen som er trukket tilbake",
        DutyKind.BATON_OFFER_DECLINED: "Tilbud om stafettpinnen som er avslått",
        DutyKind.BATON_HANDED_OVER: "Stafettpinnen er gitt til deg",
        DutyKind.BATON_ACCEPTED: "Tilbud om stafettpinnen som er tatt imot",
    },
    "en": {
        NoticeKind.NEW_MESSAGE: "New messages to you",
        NoticeKind.NEW_GOAL_OR_ACTIVITY: "New goals or activities",
        NoticeKind.NEW_COMMENT: "New comments",
        NoticeKind.NEW_CALENDAR_ENTRY: "New calendar entries",
        NoticeKind.NEW_PARTICIPANT: "New participants in the plan group",
        ReminderKind.CONSENT_EXPIRES_30: "The consent expires within 30 days",
        ReminderKind.CONSENT_EXPIRES_7: "The consent expires within 7 days",
        ReminderKind.ACTIVITY_OVERDUE: "Activities you are responsible for past their due date",
        ReminderKind.REVIEW_DUE: "The plan is to be evaluated within 7 days",
        ReminderKind.BATON_OFFER_WAITING: "Offers of the baton waiting for your answer",
        ReminderKind.OWNER_CAME_OF_AGE: "The owner now decides over the consent",
        DutyKind.BATON_OFFERED: "Offers of the baton",
        DutyKind.BATON_OFFER_WITHDRAWN: "Offers of the baton withdrawn",
        DutyKind.BATON_OFFER_DECLINED: "Offers of the baton declined",
        DutyKind.BATON_HANDED_OVER: "The baton handed to you",
        DutyKind.BATON_ACCEPTED: "Offers of the baton accepted",
    },
}
# What the reader is asked to do, after the headline: only where a notice asks something.
NEXT_STEP: dict[str, dict[Kind, str]] = {
    "nb": {
        DutyKind.BATON_OFFERED: (
            "Du blir koordinator for planen når du tar imot. "
            "Du tar imot eller avslår under Hjem i planen."
        ),
        DutyKind.BATON_OFFER_DECLINED: (
            "Du er fortsatt koordinator. Du kan tilby stafettpinnen til en annen tjenesteyter."
        ),
        DutyKind.BATON_ACCEPTED: (
            "Du er ikke lenger koordinator, men er fortsatt med i plangruppen som tjenesteyter."
        ),
        ReminderKind.OWNER_CAME_OF_AGE: (
            "Planeieren har nådd samtykkealderen etter at samtykket ble gitt. Snakk med "
            "planeieren om samtykket, og skriv ned samtykket planeieren gir under "
            "Administrer plan."
        ),
    },
    "en": {
        DutyKind.BATON_OFFERED: (
            "You become the plan's coordinator when you accept. "
            "Accept or decline on the plan's Home tab."
        ),
        DutyKind.BATON_OFFER_DECLINED: (
            "You are still the coordinator. You may offer the baton to another service provider."
        ),
        DutyKind.BATON_ACCEPTED: (
            "You are no longer the coordinator; you stay in the plan group as a service provider."
        ),
        ReminderKind.OWNER_CAME_OF_AGE: (
            "The plan's owner has reached the consent age since the consent was given. Talk "
            "to them about the consent, and write down the consent they give under Manage plan."
        ),
    },
}
# A reminder of what a notice asked says the same next step as the notice.
SAME_STEP: dict[Kind, Kind] = {ReminderKind.BATON_OFFER_WAITING: DutyKind.BATON_OFFERED}
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


@dataclass(frozen=True, slots=True)
class Addressing:
    """What every notice to one person about one plan says around its news: the plan as
    it may be named (`plan_name`), the login page to read more on, the person's language."""

    short_name: str
    owner_names: tuple[str, ...]
    login_url: str
    language: str | None

    @property
    def lang(self) -> str:
        """The notice's language: English when the person chose it, bokmål otherwise."""
        return self.language if self.language is not None and self.language in LANGUAGES else "nb"

    @property
    def plan(self) -> str:
        return plan_name(self.short_name, self.owner_names, self.lang)


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


def notice_text(kind: Kind, to: Addressing) -> NoticeText:
    """The subject and body of a notice of `kind`."""
    headline = HEADLINES[to.lang][kind].format(plan=to.plan)
    step = NEXT_STEP[to.lang].get(SAME_STEP.get(kind, kind))
    return _notice(to, headline, f"{headline}." if step is None else f"{headline}.\n{step}")


def digest_text(counts: Mapping[str, int], to: Addressing) -> NoticeText:
    """A digest's subject and body: per kind of notice merged into it, how many."""
    headline = DIGEST_HEADLINE[to.lang].format(plan=to.plan)
    order = list(KINDS)
    lines = [
        f"- {DIGEST_LINES[to.lang][KINDS[kind]]}: {counts[kind]}"
        for kind in sorted(counts, key=order.index)
    ]
    return _notice(to, headline, f"{headline}:\n" + "\n".join(lines))


def _notice(to: Addressing, headline: str, news: str) -> NoticeText:
    """`headline` as the subject; `news`, then where to read more, as the body."""
    body = f"{news}\n{READ_MORE[to.lang].format(url=to.login_url)}\n"
    return NoticeText(SUBJECT[to.lang].format(headline=headline), body)
