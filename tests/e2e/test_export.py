"""Exports over HTTP, on both stores: the plan as its reader may see it now, as a PDF/A
document or JSON (`GET /api/v1/plans/{id}/export`, the policy table's `export_plan`).

The PDF is read back with pypdf: a section the reader may not read is not in it, a
refused caller gets no document, and every download is an access-log entry naming the
parts it carried.
"""

from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from typing import Literal
from uuid import UUID

import msgspec
import pytest
from pypdf import PdfReader

from stafett.aggregates.values import (
    Access,
    CommentTarget,
    Consent,
    PlanType,
    Rights,
    local_date,
)
from stafett.applications.commands import (
    AddActivity,
    AddParticipant,
    PostComment,
    RecordMinutes,
    SendMessage,
    SetGoal,
)
from stafett.applications.parts import CommentOn, ConsentIn, CreatePlan, PersonIn, RightsIn
from stafett.applications.permitted import PlanOut
from tests.e2e.conftest import Web
from tests.pdfa import (
    assert_declares_pdfa_2b,
    assert_fonts_embedded_and_inter,
    assert_tagged_for_assistive_technology,
)

PLANS = "/api/v1/plans"
GOALS = ("Ola leser med glede", "Hemmelig mål om helse")
ACTIVITY = "Lesekvarter hver morgen"
GOAL_COMMENT = "Kommentar på et mål"
MINUTES_NOTES = "Oppstartsmøte på skolen"


@dataclass(frozen=True)
class Cast:
    """Ola's plan: kari coordinates; anne (relative) and pia (provider) may not print;
    per (provider) prints but may not read goals; stranger is outside the plan."""

    plan_id: UUID
    ids: dict[str, UUID]

    def url(self, suffix: str = "") -> str:
        return f"{PLANS}/{self.plan_id}{suffix}"


@pytest.fixture
def cast(web: Web) -> Cast:
    ids = {
        "kari": web.create_user("kari", coordinator=True),
        "ola": web.create_user("ola"),
        "anne": web.create_user("anne"),
        "per": web.create_user("per"),
        "pia": web.create_user("pia"),
        "stranger": web.create_user("stranger", coordinator=True),
        "revisor": web.create_user("revisor", auditor=True),
    }
    plans = web.plans
    today = local_date(plans.clock())
    plan_id = plans.create_plan(
        CreatePlan(
            type=PlanType.RELAY_LOG,
            short_name="Ola – skole og fritid",
            start_date=today,
            owner=PersonIn.of(ids["ola"]),
            consent=ConsentIn.of(Consent("Mor", today, today + timedelta(days=200), "Alt deles")),
        ),
        by=ids["kari"],
    ).plan_id
    kari = ids["kari"]
    rights = {
        "anne": Rights(print=False),
        "per": Rights(goals=Access.NONE),
        "pia": Rights(print=False),
    }
    participant: dict[str, UUID] = {}
    role: Literal["relative", "provider"]
    for name, role in (("anne", "relative"), ("per", "provider"), ("pia", "provider")):
        added = plans.handle(
            plan_id,
            AddParticipant(
                person=PersonIn.of(ids[name]), role=role, rights=RightsIn.of(rights[name])
            ),
            by=kari,
        ).created_id
        assert added is not None
        participant[name] = added
    goal_ids = [plans.handle(plan_id, SetGoal(title=title), by=kari).created_id for title in GOALS]
    assert goal_ids[0] is not None
    plans.handle(
        plan_id,
        AddActivity(
            title=ACTIVITY, responsible_participant_id=participant["per"], goal_id=goal_ids[0]
        ),
        by=kari,
    )
    plans.handle(
        plan_id,
        PostComment(on=CommentOn(kind=CommentTarget.GOAL, id=goal_ids[0]), text=GOAL_COMMENT),
        by=kari,
    )
    plans.handle(
        plan_id,
        RecordMinutes(met_on=today, attendee_ids=[participant["per"]], notes=MINUTES_NOTES),
        by=kari,
    )
    plans.handle(plan_id, SendMessage(to="all", subject="Til alle", body="Hei alle"), by=kari)
    return Cast(plan_id, ids)


def as_user(web: Web, name: str) -> None:
    web.client.cookies.clear()
    web.login(name)


def text_of(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_a_provider_without_goal_rights_gets_a_pdf_without_goals_and_the_coordinator_all(
    web: Web, cast: Cast
) -> None:
    as_user(web, "per")
    answer = web.client.get(cast.url("/export"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.content.startswith(b"%PDF-")
    seen = text_of(answer.content)
    for title in GOALS:
        assert title not in seen
    assert GOAL_COMMENT not in seen  # a comment on a goal is goal content
    assert "Mål" not in seen  # not the section's heading, nor an activity's goal
    assert ACTIVITY in seen  # what per may read is there
    assert MINUTES_NOTES in seen
    assert "Hei alle" in seen
    assert "Utskrift for Per Testesen" in seen  # who it was made for
    assert "Ikke et forseglet arkivdokument" in seen
    assert "Tidslinje" not in seen  # an export has no history

    as_user(web, "kari")
    everything = text_of(web.client.get(cast.url("/export")).content)
    assert "Mål" in everything
    for title in GOALS:
        assert title in everything
    for shown in (GOAL_COMMENT, ACTIVITY, MINUTES_NOTES, "Hei alle"):
        assert shown in everything


def test_the_pdf_is_made_from_the_same_permitted_view_the_api_answers(web: Web, cast: Cast) -> None:
    as_user(web, "per")
    read = msgspec.json.decode(web.client.get(cast.url()).content, type=PlanOut)
    exported = web.client.get(cast.url("/export?format=json"))
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("application/json")
    assert "attachment" in exported.headers["content-disposition"]
    as_json = msgspec.json.decode(exported.content, type=PlanOut)
    assert "goals" not in exported.json()
    assert as_json.goals is msgspec.UNSET
    # The same view as the plan read a moment before (nothing changed in between).
    assert msgspec.structs.replace(as_json, consent=read.consent) == read
    titles = [a.title for a in as_json.activities or ()]
    assert titles == [ACTIVITY]


def test_the_export_is_pdfa_2a_and_pdf_ua_with_inter_embedded_and_says_who_it_was_made_for(
    web: Web, cast: Cast
) -> None:
    """Decision 0057: tagged for a screen reader, the sections as headings and the
    participants as a table with header cells, in the language asked for."""
    as_user(web, "per")
    answer = web.client.get(cast.url("/export?language=en"))
    reader = PdfReader(BytesIO(answer.content))
    at = web.clock().replace(microsecond=0).isoformat()
    assert_declares_pdfa_2b(reader, created=at, level="A")
    roles = assert_tagged_for_assistive_technology(reader, "en")
    assert roles.count("/H1") == 1
    assert "/H2" in roles
    assert {"/Table", "/TH", "/TD"} <= set(roles)
    norwegian = PdfReader(BytesIO(web.client.get(cast.url("/export")).content))
    assert_tagged_for_assistive_technology(norwegian, "nb")
    assert_fonts_embedded_and_inter(reader)
    cover = " ".join(reader.pages[0].extract_text().split())
    assert "Not a sealed record." in cover
    assert "Printout for" in cover
    assert "RELAY LOG" in cover
    pages = len(reader.pages)
    assert f"Page 1 of {pages}" in cover


def test_without_the_print_right_an_export_is_refused_and_outside_the_plan_it_is_not_found(
    web: Web, cast: Cast
) -> None:
    before = len(web.access_log.entries(cast.plan_id))
    for name, status in (
        ("anne", 403),
        ("pia", 403),
        ("stranger", 404),
        ("revisor", 404),
    ):
        as_user(web, name)
        for query in ("", "?format=json"):
            refused = web.client.get(cast.url("/export" + query))
            assert refused.status_code == status, (name, query, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
            assert not refused.content.startswith(b"%PDF")
            assert GOALS[0] not in refused.text
    assert len(web.access_log.entries(cast.plan_id)) == before  # nothing was handed out
    web.client.cookies.clear()
    assert web.client.get(cast.url("/export")).status_code == 401


def test_a_provider_whose_consent_has_lapsed_may_not_export(web: Web, cast: Cast) -> None:
    web.clock.advance(timedelta(days=201))
    as_user(web, "per")
    assert web.client.get(cast.url("/export")).status_code == 403
    as_user(web, "ola")  # the family keeps its plan without consent
    assert web.client.get(cast.url("/export")).status_code == 200


def test_each_download_is_an_access_log_entry_with_the_parts_it_carried(
    web: Web, cast: Cast
) -> None:
    log = web.access_log
    before = len(log.entries(cast.plan_id))
    as_user(web, "per")
    web.client.get(cast.url("/export"))
    web.client.get(cast.url("/export?format=json"))
    as_user(web, "kari")
    web.client.get(cast.url("/export"))
    entries = log.entries(cast.plan_id)[before:]
    assert len(entries) == 3
    first, second, third = entries
    for entry in (first, second):
        assert entry.reader_person_id == cast.ids["per"]
        assert entry.role == "provider"
        assert entry.grounds.startswith("consent:")
        assert "export" in entry.sections
        assert "goals" not in entry.sections
        assert {"overview", "activities", "minutes", "messages"} <= set(entry.sections)
    assert third.reader_person_id == cast.ids["kari"]
    assert third.role == "coordinator"
    assert {"goals", "comments", "export"} <= set(third.sections)
    assert log.verify(cast.plan_id) == []


def test_an_unknown_format_or_language_is_refused_before_anything_is_read(
    web: Web, cast: Cast
) -> None:
    before = len(web.access_log.entries(cast.plan_id))
    as_user(web, "kari")
    for query in ("?format=docx", "?language=sv", "?format="):
        refused = web.client.get(cast.url("/export" + query))
        assert refused.status_code == 422, (query, refused.status_code)
        assert refused.headers["content-type"] == "application/problem+json"
    assert len(web.access_log.entries(cast.plan_id)) == before
