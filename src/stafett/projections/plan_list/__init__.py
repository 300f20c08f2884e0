"""The plan list: who may see which plan, and what changed, as rows (decision 0007).

Laid out as the library's projection examples are:

- `view.py`: the rows and `PlanListView`, the view's interface with intent-named
  methods (`plan_created`, `participant_added`, …, `plans_for`, `plans_matching`,
  `note_visit`);
- `access.py`: the policy table and the plan's standing rules as SQL (generated), and
  from them what of a plan's changes a member may read (decision 0050);
- `schema.py` (tables, the columns dating each part of a plan, the schema version and
  bringing an older view up to it), `sql.py` (writes; `batches.py`: what a batch keeps)
  and `queries.py` (reads): the SQL both engines share; `sqlite.py`, `postgres.py`: one
  engine each;
- `projection.py`: `PlanListProjection`, each plan event to one view method, with the
  part of the plan it changes;
- `factory.py`: the one place that picks the engine (`view_class`, `construct_view`).
"""

from stafett.projections.plan_list.factory import construct_view, view_class
from stafett.projections.plan_list.projection import PlanListProjection
from stafett.projections.plan_list.view import (
    APPLICATION_NAME,
    MEMBERS_TABLE,
    PLANS_TABLE,
    PROJECTION_NAME,
    VISITS_TABLE,
    FoundPlan,
    PlanCount,
    PlanListRow,
    PlanListView,
    PlanSearch,
    ReportItem,
)

__all__ = [
    "APPLICATION_NAME",
    "MEMBERS_TABLE",
    "PLANS_TABLE",
    "PROJECTION_NAME",
    "VISITS_TABLE",
    "FoundPlan",
    "PlanCount",
    "PlanListProjection",
    "PlanListRow",
    "PlanListView",
    "PlanSearch",
    "ReportItem",
    "construct_view",
    "view_class",
]
