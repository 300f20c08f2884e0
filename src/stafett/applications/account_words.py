"""What the messages about an account say: one-time codes, links that set a password,
and the notices after a password is set; in the account's language.

The account's language is the one the person chose for the pages (`accounts.language`,
kept by "English"/"Norsk" in the header); bokmål when it has chosen none, as the plan's
notices are (`notice_text.py`, decision 0020). Short, as an SMS must be (one
160-character SMS for a code).
"""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class Words:
    """One thing said in bokmål and in English; `{name}` fields are filled in by `said`."""

    nb: str
    en: str

    def said(self, language: str | None, **fields: "str | Words") -> str:
        """In English for an account that chose it, else in bokmål. Only `fields` are
        filled in (a field that is itself `Words` in the same language): text already in
        the words (a username) is left as it is."""
        words = self.en if language == "en" else self.nb
        if not fields:
            return words
        filled = {k: v.said(language) if isinstance(v, Words) else v for k, v in fields.items()}
        return words.format(**filled)


def subject(words: Words, language: str | None) -> str:
    """An e-mail's subject line."""
    return words.said(language)


def lasting(lifetime: timedelta) -> Words:
    """How long a link works, in words: whole hours from two hours up, else minutes."""
    hours, rest = divmod(int(lifetime.total_seconds()), 3600)
    if hours >= 2 and not rest:
        return Words(f"{hours} timer", f"{hours} hours")
    minutes = int(lifetime.total_seconds() // 60)
    return Words(f"{minutes} minutter", f"{minutes} minutes")


LOGIN_CODE_SUBJECT = Words("Engangskode til Stafett", "One-time code for Stafett")
LOGIN_CODE = Words(
    "Engangskoden din til Stafett er {code}. Den gjelder i 5 minutter.",
    "Your one-time code for Stafett is {code}. It lasts 5 minutes.",
)
CONFIRM_CODE_SUBJECT = Words(
    "Bekreft mobilnummeret ditt i Stafett", "Confirm your mobile number in Stafett"
)
CONFIRM_CODE = Words(
    "Kode for å bekrefte mobilnummeret ditt i Stafett: {code}. Den gjelder i 5 minutter.",
    "Code to confirm your mobile number in Stafett: {code}. It lasts 5 minutes.",
)


def link_body(
    lead: Words, tail: Words, lifetime: timedelta, link: str, language: str | None
) -> str:
    """A message with a link that sets a password: what it is for, how long the link works,
    the link (at a line's end, never with a sign after it), and the tail."""
    time = lasting(lifetime)
    works = Words(f"Lenken virker én gang i {time.nb}", f"The link works once, for {time.en}")
    lines = [lead.said(language), f"{works.said(language)}: {link}", tail.said(language)]
    return "\n".join(line for line in lines if line)


WELCOME_SUBJECT = Words("Kontoen din i Stafett er klar", "Your Stafett account is ready")
WELCOME = Words(
    "Kontoen din i Stafett er klar. Du logger inn med brukernavnet {username}, passordet "
    "du valgte og en engangskode. Var det ikke du som valgte passordet, si fra til den som "
    "ga deg kontoen.",
    "Your Stafett account is ready. You log in with the username {username}, the password "
    "you chose and a one-time code. If you did not choose the password, tell the person who "
    "gave you the account.",
)
RESET_DONE_SUBJECT = Words(
    "Passordet ditt i Stafett er satt på nytt", "Your Stafett password has been set anew"
)
RESET_DONE = Words(
    "Passordet til Stafett-kontoen din ble nettopp satt på nytt med en lenke, og alle "
    "innlogginger er avsluttet. Var det ikke deg, kontakt koordinatoren din med en gang.",
    "The password of your Stafett account was just set anew with a link, and every login "
    "has ended. If it was not you, contact your coordinator at once.",
)
CHANGED_SUBJECT = Words("Passordet ditt i Stafett er endret", "Your Stafett password is changed")
CHANGED = Words(
    "Passordet til Stafett-kontoen din ble nettopp endret, og du er logget ut andre steder. "
    "Var det ikke deg, kontakt koordinatoren din med en gang.",
    "The password of your Stafett account was just changed, and you are logged out "
    "elsewhere. If it was not you, contact your coordinator at once.",
)

SMS = Words("SMS", "SMS")
EMAIL = Words("e-post", "e-mail")
CODES_MOVED_SUBJECT = Words(
    "Engangskodene i Stafett kommer en ny vei", "Your Stafett one-time codes come a new way"
)
CODES_MOVED = Words(
    "Engangskodene til Stafett-kontoen din sendes nå på {channel}. Var det ikke deg, kontakt "
    "koordinatoren din med en gang.",
    "The one-time codes for your Stafett account are now sent by {channel}. If it was not "
    "you, contact your coordinator at once.",
)
AUTHENTICATOR_ON_SUBJECT = Words(
    "Ny autentiseringsapp i Stafett", "New authenticator app in Stafett"
)
AUTHENTICATOR_ON = Words(
    "En ny autentiseringsapp er nå koblet til Stafett-kontoen din, og engangskodene kommer "
    "fra den. Var det ikke deg, kontakt koordinatoren din med en gang.",
    "A new authenticator app is now linked to your Stafett account, and your one-time codes "
    "come from it. If it was not you, contact your coordinator at once.",
)
AUTHENTICATOR_ENDED_SUBJECT = Words(
    "Autentiseringsappen er slått av i Stafett", "The authenticator app is turned off in Stafett"
)
AUTHENTICATOR_ENDED = Words(
    "En administrator har slått av autentiseringsappen for Stafett-kontoen din, og alle "
    "innlogginger er avsluttet. Engangskodene kommer nå på {channel}. Var det ikke etter "
    "avtale med deg, kontakt koordinatoren din med en gang.",
    "An administrator has turned off the authenticator app for your Stafett account, and "
    "every login has ended. Your one-time codes now come by {channel}. If this was not "
    "agreed with you, contact your coordinator at once.",
)
CONTACT_CHANGED_SUBJECT = Words(
    "Kontaktopplysningene dine i Stafett er endret", "Your contact details in Stafett are changed"
)
CONTACT_CHANGED = Words(
    "Mobilnummeret eller e-postadressen for Stafett-kontoen din ble nettopp endret. Et nytt "
    "mobilnummer får engangskoder først når det er bekreftet med en kode. Var det ikke deg, "
    "kontakt koordinatoren din med en gang.",
    "The mobile number or e-mail address of your Stafett account was just changed. A new "
    "mobile number gets one-time codes only once it is confirmed with a code. If it was not "
    "you, contact your coordinator at once.",
)
CONTACT_CHANGED_BY_OTHER = Words(
    "E-postadressen eller mobilnummeret ditt i Stafett ble nettopp endret av noen i en plan "
    "du er med i. Lenker går nå dit; et nytt mobilnummer får engangskoder først når du har "
    "bekreftet det. Var det ikke avtalt, kontakt koordinatoren din med en gang.",
    "Your e-mail address or mobile number in Stafett was just changed by someone in a plan "
    "you take part in. Links now go there; a new mobile number gets one-time codes only once "
    "you have confirmed it. If it was not agreed, contact your coordinator at once.",
)
