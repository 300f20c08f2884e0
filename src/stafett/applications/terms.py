"""The terms of use every person accepts at first login, versioned.

The rules are the source guide's user agreement, written for Stafett. A new
version (a new entry, `TERMS_VERSION` raised) is shown again at everyone's next
login; an account records the version it accepted. Both languages are kept
here, not in the page catalogs: this is an agreement text with a version, not
page wording.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Terms:
    version: int
    title: str
    preamble: str
    rules: tuple[str, ...]
    question: str


TERMS_VERSION = 1

_TERMS: dict[tuple[int, str], Terms] = {
    (1, "nb"): Terms(
        version=1,
        title="Brukeravtale for tilgang til Stafett",
        preamble=(
            "Gjennom bruken av Stafett kan du få tilgang til sensitiv informasjon om andre "
            "personer. Derfor er god informasjonssikkerhet svært viktig, slik at ingen "
            "informasjon kommer på avveie, blir feil eller blir utilgjengelig. Når du godtar "
            "denne avtalen, forplikter du deg til å følge reglene nedenfor. Brudd på avtalen "
            "kan føre til at du mister tilgangen til Stafett."
        ),
        rules=(
            "Du skal alltid logge ut av Stafett og lukke nettleservinduet før du forlater "
            "datamaskinen eller telefonen.",
            "Stafett skal bare brukes fra en maskin som er under din kontroll, eller under "
            "kontroll av personer eller en institusjon du har tillit til. Stafett skal ikke "
            "brukes fra maskiner som er åpne for alle (for eksempel på bibliotek eller "
            "internettkafé).",
            "Du skal sørge for at skjermen står slik at andre ikke ubemerket kan lese den.",
            "Maskinen du bruker Stafett på, skal ha oppdatert antivirusprogramvare.",
            "Passordet ditt skal holdes hemmelig.",
            "Du skal ikke la andre bruke brukernavnet og passordet ditt.",
            "Engangskoden sendes til mobiltelefonen eller e-postadressen din. Mister eller "
            "bytter du telefon, skal du straks si fra til koordinatoren for planen.",
            "Mobilnummeret eller e-postadressen du oppgir for engangskoder, skal være "
            "registrert på deg.",
        ),
        question=(
            "Jeg bekrefter at jeg har lest og lover å følge reglene for bruk av Stafett. "
            "Jeg forstår at brudd på reglene kan føre til at jeg mister tilgangen. "
            "Godtar du vilkårene?"
        ),
    ),
    (1, "en"): Terms(
        version=1,
        title="User agreement for access to Stafett",
        preamble=(
            "Using Stafett can give you access to sensitive information about other people. "
            "Good information security is therefore very important, so that no information "
            "goes astray, becomes wrong or becomes unavailable. By accepting this agreement "
            "you undertake to follow the rules below. Breaking the agreement can cost you "
            "your access to Stafett."
        ),
        rules=(
            "Always log out of Stafett and close the browser window before you leave the "
            "computer or phone.",
            "Use Stafett only from a device under your control, or under the control of "
            "people or an institution you trust. Do not use Stafett from devices open to "
            "the public (a library or an internet café, for example).",
            "Place your screen so that others cannot read it unnoticed.",
            "The device you use Stafett on must have up-to-date antivirus software.",
            "Keep your password secret.",
            "Do not let anyone else use your username and password.",
            "One-time codes are sent to your mobile phone or e-mail address. If you lose or "
            "replace your phone, tell the plan's coordinator at once.",
            "The mobile number or e-mail address you give for one-time codes must be "
            "registered in your name.",
        ),
        question=(
            "I confirm that I have read and will follow the rules for using Stafett. I "
            "understand that breaking them can cost me my access. Do you accept the terms?"
        ),
    ),
}


def terms(language: str, version: int = TERMS_VERSION) -> Terms:
    """The terms of `version` in `language` (bokmål where that language has none)."""
    return _TERMS.get((version, language)) or _TERMS[(version, "nb")]
