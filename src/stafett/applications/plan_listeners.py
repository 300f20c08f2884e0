"""What the accounts do when the plans tell them of a change (`PlanApplication`'s
listeners, set by the composition root): a mixin of `AccountService`.

- `contact_changing`: codes must still reach a person whose details someone else is
  changing, or the change is refused before anything is saved;
- `contact_changed`: the person hears of it at the addresses they had (SEC-OTP-09);
- `removed_from_plan`: a person taken out of a plan group is logged out everywhere
  (SEC-SES-07). Their rights were already read anew on every request (SEC-AC-05);
  ending the sessions also ends whatever a session on a shared computer still shows.
"""

from uuid import UUID

import structlog

from stafett.aggregates.person import PersonDetails
from stafett.applications.account_core import AccountCore
from stafett.applications.account_words import CONTACT_CHANGED_BY_OTHER, CONTACT_CHANGED_SUBJECT
from stafett.applications.codes import OtpChannel
from stafett.applications.own_account import check_reachable

log = structlog.get_logger(__name__)


class PlanListeners:
    def contact_changing(self: AccountCore, person_id: UUID, after: PersonDetails) -> None:
        """Someone else is about to change a person's details: a person with an account
        keeps an address for their codes (`check_reachable`, as for their own change), or
        the change is refused (409) and nothing is saved."""
        account = self.accounts.by_person(person_id)
        if account is not None:
            check_reachable(OtpChannel(account.otp_channel), after)

    def contact_changed(
        self: AccountCore, person_id: UUID, before: PersonDetails, after: PersonDetails, by: UUID
    ) -> None:
        """Someone else changed where a person with an account gets codes and links:
        tell them at the addresses they had (SEC-OTP-09), so a change they did not
        expect does not go unnoticed."""
        account = self.accounts.by_person(person_id)
        if by == person_id or account is None:
            return
        if (before.email, before.mobile) == (after.email, after.mobile):
            return
        log.info("person_contact_changed", actor=str(by), person=str(person_id))
        language = account.language
        self._notify([before], language, CONTACT_CHANGED_SUBJECT, CONTACT_CHANGED_BY_OTHER)

    def removed_from_plan(self: AccountCore, person_id: UUID, plan_id: UUID, by: UUID) -> None:
        """End every session of a person just taken out of a plan group (SEC-SES-07).

        The removal is saved already and counts on the next request whatever happens
        here, so a failure is logged (`session_end_failed`) and never undoes or fails it.
        """
        try:
            if self.accounts.by_person(person_id) is None:
                return
            ended = self.sessions.end_all_of(person_id)
            self.accounts.record_fact(
                person_id, at=self.clock(), kind="sessions_ended_by_removal", detail=str(plan_id)
            )
        except Exception as error:
            log.error(
                "session_end_failed",
                actor=str(by),
                account=str(person_id),
                plan=str(plan_id),
                error=type(error).__name__,
            )
            return
        log.info(
            "session_ended_by_removal",
            actor=str(by),
            account=str(person_id),
            plan=str(plan_id),
            sessions=ended,
        )
