"""No module in src/ over 500 lines (issue 9's measure): a module that grows past it is
split by what its parts do before it lands."""

from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
LIMIT = 500


def test_no_module_is_longer_than_the_limit() -> None:
    modules = sorted(SRC.rglob("*.py"))
    assert len(modules) > 100  # the tree is where it should be
    long = {
        str(m.relative_to(SRC)): n
        for m in modules
        if (n := len(m.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert long == {}
