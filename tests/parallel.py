"""How pytest-xdist shares the tests out among its workers (`make test` runs `-n auto`).

Each test goes to whichever worker is free, one by one, except the files in `TOGETHER`,
which run whole on one worker, in order: each browser test module starts one Chromium
and one live server for its tests, `test_record_pdf` renders one record for all of
its tests, `test_delivery` makes one TLS certificate. Split across workers, each
worker would build them again.

pytest-xdist's own `--dist loadgroup` (an `xdist_group` mark) would say this per
module, but its worker marks a grouped test by setting `item._nodeid`, which pytest
9.2 no longer reads (`Node.nodeid` comes from `_id`): the mark groups nothing. So the
groups are chosen here, from the node ids the controller sees, by the same scheduler
class `loadgroup` uses (a work unit per scope, the biggest first).
"""

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadScopeScheduling

TOGETHER = (
    "tests/browser/",
    "tests/unit/test_record_pdf.py",
    "tests/integration/test_delivery.py",
)


class Together(LoadScopeScheduling):
    """A file of `TOGETHER` is one unit of work; any other test is a unit of its own."""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return path if path.startswith(TOGETHER) else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> Together | None:
    """For the default distribution (`-n` alone); an explicit `--dist` is taken as given."""
    if config.getvalue("dist") != "load":
        return None
    return Together(config, log)
