"""An export's document is made of its reader's permitted view and of nothing else.

The plan is record.pdf's sample (a closed relay log on the in-memory store): the
teacher is a provider with goals `none`; the coordinator, the owner and the mother
read everything.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO

import msgspec
import pytest
from pypdf import PdfReader

from stafett.aggregates.values import Participant, Role
from stafett.applications.permitted import PlanOut
from stafett.applications.plans import PlanApplication
from stafett.archive.export import as_sent, export_document, export_pdf
from stafett.bootstrap import build_plans
from stafett.settings import Settings
from tests.conftest import ManualClock
from tests.unit.test_record_pdf import GOALS, Sample, build_sample, flat

AT = datetime(2026, 9, 1, 10, 30, tzinfo=UTC)
SECTIONS = ("goals", "activities", "minutes", "messages", "calendar")


@dataclass(frozen=True)
class Plan:
    sample: Sample
    views: dict[str, PlanOut]  # by who reads: coordinator, owner, relative, teacher


@pytest.fixture(scope="module")
def plan() -> Iterator[Plan]:
    clock = ManualClock()
    plans: PlanApplication = build_plans(Settings(database_url="memory://"), clock=clock)
    try:
        sample = build_sample(plans, clock)
        state = sample.state

        def view_of(p: Participant) -> PlanOut:
            return plans.read_plan(sample.plan_id, by=p.person_id)

        active = [p for p in state.participants.values() if p.active]
        coordinator = state.participants[state.coordinator_id]
        views = {"coordinator": view_of(coordinator)}
        for p in active:
            if p.role is Role.OWNER:
                views["owner"] = view_of(p)
            elif p.role is Role.RELATIVE:
                views["relative"] = view_of(p)
            elif p.role is Role.PROVIDER and p is not coordinator:
                views["teacher"] = view_of(p)
        yield Plan(sample, views)
    finally:
        plans.close()


def test_the_document_holds_exactly_the_sections_the_view_carries(plan: Plan) -> None:
    assert plan.views["teacher"].goals is msgspec.UNSET  # the sample's premise
    for who, view in plan.views.items():
        document = export_document(view, at=AT)
        for section in SECTIONS:
            carried = getattr(as_sent(view), section) is not msgspec.UNSET
            assert (getattr(document, section) is not None) == carried, (who, section)
        assert document.timeline is None  # the history is not a reader's view
        assert len(document.participants) == len(view.participants)


def test_nothing_of_an_unreadable_goal_reaches_the_teachers_export(plan: Plan) -> None:
    document = export_document(plan.views["teacher"], at=AT)
    assert document.activities  # she reads activities, one of which belongs to a goal
    assert all(row.goal == "" for row in document.activities)
    assert all(not entry.heading.startswith("Mål") for entry in document.comments)
    text = flat(
        " ".join(
            p.extract_text()
            for p in PdfReader(BytesIO(export_pdf(plan.views["teacher"], at=AT))).pages
        )
    )
    for title in GOALS:
        assert flat(title) not in text
    assert "Mål" not in text.replace("Målene er nådd.", "")  # the closing reason says "Mål"


def test_the_coordinators_export_holds_every_goal_and_says_it_is_not_a_sealed_record(
    plan: Plan,
) -> None:
    document = export_document(plan.views["coordinator"], at=AT)
    assert [g.title for g in document.goals or ()] == list(GOALS)
    assert "Ikke et forseglet arkivdokument" in document.subtitle
    assert "Kari Stafettholder" in document.footer
    assert "01.09.2026 kl. 12:30" in document.footer  # Oslo time
    english = export_document(plan.views["coordinator"], at=AT, language="en")
    assert "Not a sealed record." in english.subtitle


def test_a_view_with_parts_embedded_as_json_gives_the_same_document(plan: Plan) -> None:
    view = plan.views["relative"]
    embedded = msgspec.structs.replace(
        view, goals=msgspec.Raw(msgspec.json.encode(view.goals))
    )  # as the shared-parts cache hands it out
    assert export_document(embedded, at=AT) == export_document(view, at=AT)


def test_an_instant_without_a_time_zone_is_refused(plan: Plan) -> None:
    with pytest.raises(ValueError, match="time zone"):
        export_document(plan.views["owner"], at=datetime(2026, 9, 1, 10, 30))


def test_a_period_without_an_end_says_from_its_start_and_the_printout_speaks_plainly() -> None:
    """A parent reads the printout: no dangling dash for a plan still running, and no
    command line to check it with."""
    from datetime import date

    from stafett.archive.record_words import Words

    start, end = date(2026, 12, 7), date(2027, 6, 20)
    assert Words("nb").period(start, None) == "fra 07.12.2026, uten sluttdato"
    assert Words("nb").period(start, end) == "07.12.2026 – 20.06.2027"
    assert Words("en").period(start, None) == "from 2026-12-07, no end date"
    for language in ("nb", "en"):
        about = Words(language)["export_about"]
        assert "stafett archive" not in about
        assert "arkivpakken" in about or "archive package" in about
