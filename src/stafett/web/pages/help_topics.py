"""The help page's topics, as data: one list draws both the list of topics and the sections.

Each topic's `anchor` is the id that every page's "? Help" link points at
(`{% block help_topic %}` in the templates, `/help#<anchor>`). Its text is
paragraphs and lists of page strings, translated when the page is drawn
(`topics()` runs per request, in the page's language; Babel extracts `_`).
"""

from dataclasses import dataclass
from datetime import timedelta

from stafett.applications.codes import CODE_SENDS_PER_15_MIN
from stafett.applications.lockout import SOFT_LOCK
from stafett.applications.own_account import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from stafett.web.i18n import _
from stafett.web.pages.plan_parts import COMMENTS_SHOWN, MESSAGES_SHOWN


@dataclass(frozen=True)
class Items:
    """A list in a topic: `ol` for steps in their order, `ul` for points."""

    tag: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    anchor: str
    title: str
    blocks: tuple[str | Items, ...]  # a string is a paragraph


def steps(*items: str) -> Items:
    return Items("ol", items)


def points(*items: str) -> Items:
    return Items("ul", items)


def topic(anchor: str, title: str, *blocks: str | Items) -> Topic:
    return Topic(anchor, title, blocks)


def topics() -> tuple[Topic, ...]:
    """Every topic in the order of the page, in the current page language."""
    return (
        topic(
            "start",
            _("Getting started"),
            _(
                "Stafett is where a child or young person, the family and the professionals around "
                "them work together on one plan: a stafettlogg or an individual plan. Only the "
                "people in the plan group see the plan."
            ),
            steps(
                _(
                    "Log in with the username and password you got from the plan's coordinator, "
                    "and the one-time code you are sent."
                ),
                _("You then see your plans. Open the one you want to work on."),
                _("Check your own details under “My profile”, and correct what is wrong."),
                _(
                    "Log out and close the browser when you are done. Never log in on a public "
                    "computer."
                ),
            ),
            _(
                "Questions about a plan? Ask the plan's coordinator: the person who holds the "
                "baton."
            ),
        ),
        topic(
            "login",
            _("Logging in"),
            steps(
                _("Type your username and password and press “Log in”."),
                _(
                    "You get a one-time code by SMS or e-mail, or you read it in your "
                    "authenticator app. Type it in. A sent code lasts 5 minutes; if it does not "
                    "come, press “Send a new code”."
                ),
                _(
                    "The first time, you read the terms of use and answer yes or no. You must say "
                    "yes to use Stafett."
                ),
            ),
            _(
                "Typed the password or code wrong many times? Logging in is then stopped for "
                "%(minutes)s minutes: wait and try again. After very many failed attempts the "
                "account stays locked until an administrator in the municipality unlocks it "
                "(a coordinator cannot); ask the municipality."
            )
            % {"minutes": SOFT_LOCK // timedelta(minutes=1)},
            _(
                "Asked for many new codes? We send at most %(count)s in %(minutes)s minutes. The "
                "page says how long to wait; the code you got last still works until it expires."
            )
            % {"count": CODE_SENDS_PER_15_MIN, "minutes": 15},
            _("Lost your phone or changed number? Tell the plan's coordinator at once."),
            _(
                "You are logged out after %(minutes)s minutes without using Stafett, and after "
                "%(hours)s hours in all. Two minutes before, a notice lets you stay logged in. "
                "If it happens while you write, press the button to "
                "save anyway: after you have logged in again, what you wrote is back in its "
                "form. It is not saved yet: check it, then save it."
            )
            % {
                "minutes": IDLE_TIMEOUT // timedelta(minutes=1),
                "hours": ABSOLUTE_TIMEOUT // timedelta(hours=1),
            },
            _(
                "Codes by SMS go only to a mobile number you have confirmed, so that nobody else "
                "gets them if a number is typed wrong. A number is confirmed when you type a code "
                "we send to it, or when you use a password link that came to it by SMS. If the "
                "login page says your number is not confirmed: use “Forgotten your password?” if "
                "you have an e-mail address in Stafett (after the new password you get a code to "
                "your mobile), or ask your coordinator to send you a new link."
            ),
        ),
        topic(
            "password",
            _("Password"),
            _(
                "Forgotten your password? Press “Forgotten your password?” on the login page and "
                "type your username. A link comes to your e-mail; it works once, for 30 minutes. "
                "Choose a new password there, then log in with it and a one-time code as usual."
            ),
            _(
                "If your one-time codes come by e-mail, the link cannot go to the same mailbox: "
                "ask your coordinator or administrator to send you a new password link."
            ),
            _(
                "A good password has at least 12 characters. A few unusual words together are "
                "strong and easy to remember. Keep it secret, and never let anyone else use your "
                "username."
            ),
            _(
                "To change your password, go to “My profile”, type the current password and the "
                "new one twice."
            ),
        ),
        topic(
            "plans",
            _("Your plans"),
            _("The list shows the plans you are in. Click the plan owner's name to open a plan."),
            points(
                _("Search by first name or last name to find one plan quickly."),
                _(
                    "“Plan changed” says whether something you may read is new since your last "
                    "visit; “New message” whether there is a message to you. A plan you manage "
                    "that has had no changes for 90 days says so: close it if the "
                    "collaboration has ended."
                ),
                _(
                    "“Consent expires” gives the day the consent runs out, and how many days "
                    "are left when they are 30 or fewer; a withdrawn consent says so. When it "
                    "has expired or is withdrawn, professionals no longer see the plan until "
                    "consent is given again."
                ),
                _("Closed plans are hidden: tick “Show closed plans too” to see them."),
            ),
        ),
        topic(
            "create-plan",
            _("Creating a plan"),
            _("Only coordinators create plans, and only after consent is given."),
            steps(
                _("Consent: who gave it, the date, how long it lasts and what may be shared."),
                _(
                    "The plan owner: the child or young person the plan is about. Search for them "
                    "first, so nobody is registered twice; give the birth date for a new person."
                ),
                _(
                    "Type (stafettlogg or individual plan), a short name and the dates; if you "
                    "like, the BTI level and when the plan is next to be evaluated. All of it "
                    "can be corrected later under “Manage plan”."
                ),
            ),
            _("You become the plan's coordinator and can add the others afterwards."),
        ),
        topic(
            "plan-home",
            _("The plan: Home"),
            points(
                _(
                    "Home shows what is new for you since your last visit, the activities you "
                    "are responsible for, and the next dates in the calendar. Start here each "
                    "time you open the plan."
                ),
                _(
                    "When the coordinator offers you the baton, Home says so and you get a notice "
                    "by SMS or e-mail: “Accept” makes you the coordinator, “Decline” leaves the "
                    "baton where it is. An offer not answered within a week is reminded of once."
                ),
            ),
        ),
        topic(
            "plan",
            _("The plan: goals, activities and more"),
            points(
                _(
                    "Goals: what the child and the family want to reach, with evaluations along "
                    "the way."
                ),
                _("Activities: what is done, who is responsible, by when, and how it goes."),
                _("Minutes of meetings, comments on each item, messages, and the calendar."),
                _("Messages: the newest %(count)s first; “Show all” brings the older ones too.")
                % {"count": MESSAGES_SHOWN},
                _(
                    "Comments: the newest %(count)s on each item; “Show all” under its heading "
                    "brings the earlier ones."
                )
                % {"count": COMMENTS_SHOWN},
                _("“Reply” under a message opens the form with the sender and “Re: …” filled in."),
            ),
            _(
                "You see and write what your rights in this plan allow. Miss a part? Ask the "
                "coordinator."
            ),
            _(
                "Everything you save is kept. What others add or change while you write does "
                "not stop yours, unless they changed a field you changed too: then the form "
                "shows what it is now, and you choose before you save again."
            ),
        ),
        topic(
            "participants",
            _("Participants"),
            _(
                "The plan group: the plan owner, the family, the professionals and the "
                "coordinator, each with a role and what they are responsible for in this plan."
            ),
            _(
                "Your role and responsibility show only inside this plan. Your name, workplace, "
                "position, e-mail and numbers show to the people in your plans, and to those who "
                "can search for people; a number you hide does not."
            ),
            _(
                "Professionals: use your work e-mail. If you give your private mobile number, tick "
                "“Hide my mobile number from others”."
            ),
            _(
                "Coordinators: a mobile number you enter or change gets no login codes until the "
                "participant has confirmed it. If their codes come by SMS, the Login box says so: "
                "press “Send a new link”, and they confirm the number when they use it."
            ),
            _(
                "Coordinators: someone added with the wrong role can be made a relative or a "
                "professional on their details page, without removing them: what they wrote and "
                "what was sent to them stays theirs. Professionals see the plan only while the "
                "consent is valid; the family sees it always."
            ),
        ),
        topic(
            "history",
            _("History"),
            _(
                "Every change to the plan, with who made it and when. Nothing is lost: a change is "
                "a new entry, never a deletion. The coordinator can also see the plan as it stood "
                "on an earlier date."
            ),
            _(
                "Choose a participant as well to see the plan as that person could see it then, "
                "with their rights and the consent as they were at that time: for example what the "
                "school knew on a given day."
            ),
            _(
                "Auditors find any plan with the search on the plans page and read its history the "
                "same way. Each of their searches and reads is logged, and shows in the plan's "
                "access log."
            ),
        ),
        topic(
            "access-log",
            _("Who has seen the plan"),
            _(
                "Each time someone opens the plan, it is written down: who, when and which parts. "
                "The family and the coordinator can see this list."
            ),
        ),
        topic(
            "manage",
            _("Managing a plan (coordinators)"),
            points(
                _(
                    "Plan details: correct the short name and the period, and set the plan's "
                    "level in the BTI model (0: clarifying whether there is cause for concern, "
                    "1: effort within one service, 2: simple interdisciplinary collaboration, "
                    "3: extensive interdisciplinary collaboration) and when it is next to be "
                    "evaluated."
                ),
                _(
                    "Offer the baton to another service provider: they are told by SMS or e-mail, "
                    "and you stay the coordinator until they accept it on their Home tab. You are "
                    "told of their answer, and may withdraw the offer until then."
                ),
                _(
                    "Renew or change the consent before it expires, or reset it. The family and "
                    "the coordinator can withdraw consent: from the age your municipality has "
                    "set (15 or 16) the plan owner decides over the consent, before it the "
                    "parents or guardians do. When the owner reaches that age after the "
                    "parents gave the consent, Home and this page say so: talk to the young "
                    "person, and write down the consent they give."
                ),
                _(
                    "Close the plan when the work is done, with a reason. A closed plan can be "
                    "opened again, also with a reason."
                ),
            ),
        ),
        topic(
            "profile",
            _("My profile"),
            points(
                _(
                    "Check your name, birth date, address, e-mail and numbers, correct what is "
                    "wrong and press “Save my details”."
                ),
                _("Hide a private mobile or phone number from others by ticking the box under it."),
                _(
                    "Add a photo of yourself, change it or delete it. The people in your plans see "
                    "it; where it was taken and other things the camera wrote into the file are "
                    "removed."
                ),
                _(
                    "Changing your mobile number or e-mail address needs your password, because "
                    "your codes go there. You get a message about the change."
                ),
                _(
                    "A new mobile number gets a code by SMS: type it under “Confirm your mobile "
                    "number”. Until then no login codes go to the number. If a coordinator changed "
                    "your number, log in with your authenticator app or e-mail code and confirm it "
                    "the same way; if your codes come by SMS, the coordinator sends you a new link "
                    "instead."
                ),
                _(
                    "Choose whether the one-time code comes by SMS or e-mail (e-mail only if you "
                    "have no mobile number: once you confirm one, your codes come by SMS), or set "
                    "up an authenticator app: scan the QR code with the app, then type the code "
                    "it shows."
                ),
                _("Change your password: the current one, then the new one twice."),
                _(
                    "See where you are logged in. “Log out there” ends one login somewhere else, "
                    "after a new one-time code. “Log out everywhere” ends every login, this one "
                    "too."
                ),
                _("Choose the language of the pages: it is remembered the next time you log in."),
            ),
        ),
        topic(
            "admin",
            _("Administration"),
            _("For the organisation's administrators."),
            points(
                _(
                    "New user: the person's details, a username and how the code is sent. They get "
                    "a link to choose their own password; you never see it."
                ),
                _(
                    "Lock a user who should no longer log in; unlock a user who is locked after "
                    "many wrong attempts."
                ),
                _(
                    "“Log out” ends the logins of a user who is logged in now, for instance on a "
                    "shared computer."
                ),
                _(
                    "“Log out everyone” ends every login but yours, for instance when a computer "
                    "has gone astray. Tick the box first."
                ),
                _(
                    "Send a new password link to users whose codes come by e-mail. Others do it "
                    "themselves with “Forgotten your password?”."
                ),
                _("Make a user a coordinator so they can create plans, or take it back."),
                _(
                    "Find a user by username or name with the search above the list; the list "
                    "shows 50 users at a time."
                ),
            ),
        ),
        topic(
            "reports",
            _("Reports"),
            _(
                "For the organisation's administrators: how many plans there are of each type and "
                "status, which consents expire within 30 days, which open plans have had no "
                "changes for 90 days, and which have never been archived. Reports show no plan "
                "content."
            ),
            _(
                "The log control shows where the log of who has read plans stands out in a "
                "period, the last full week unless you choose another: someone who opened more "
                "than 20 plans in one day, professionals' reads before 07:00 or from 19:00, "
                "service providers' reads outside the consent, and accounts not used for 90 "
                "days. Go through it every week and follow up each finding."
            ),
        ),
    )
