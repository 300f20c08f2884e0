"""Help ("?" on every page): how to work on each page, in plain language.

One page with a section per topic (`help_topics`); each page names its topic in
`{% block help_topic %}` and its "?" link opens `/help#<topic>`. The page is public, so
the login page's help works before anyone has logged in; someone who is logged
in gets it in their language, with the menu.
"""

import anyio
from litestar import Controller, get

from stafett.web import i18n
from stafett.web.auth import PRINCIPAL, Policy, policy, session_token
from stafett.web.pages.help_topics import topics
from stafett.web.pages.render import Page, page
from stafett.web.params import Accounts, AnyRequest
from stafett.web.state import provide_accounts, provided


class HelpPages(Controller):
    path = "/help"
    opt = policy(Policy.PUBLIC)
    dependencies = provided(provide_accounts)

    @get("")
    async def help(self, accounts: Accounts, request: AnyRequest) -> Page:
        principal = await anyio.to_thread.run_sync(accounts.authenticate, session_token(request))
        if principal is not None:  # a public page: the guard has not looked
            request.state[PRINCIPAL] = principal
            if principal.language:
                i18n.set_language(principal.language)
        return page(request, "help/index.html", topics=topics())
