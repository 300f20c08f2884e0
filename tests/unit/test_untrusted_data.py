"""No stored or sent data is turned into objects except as registered (SEC-VAL-05).

The event store's transcoder makes objects only of the types registered with it: a
stored document naming any other `_type_` is refused, not looked up. And nothing in the
service reads data with pickle, marshal, shelve or a YAML loader, which would run what
the data names.
"""

import ast
from pathlib import Path

import pytest
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError

from stafett.applications.transcodings import register_plan_transcodings

SRC = Path(__file__).parents[2] / "src" / "stafett"
UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "yaml", "jsonpickle"}


@pytest.mark.parametrize(
    "stored",
    [
        b'{"_type_":"pickle","_data_":"x"}',
        b'{"goal":{"_type_":"os.system","_data_":"ls"}}',
        b'[{"_type_":"builtins.eval","_data_":"1"}]',
    ],
)
def test_the_transcoder_refuses_a_type_nobody_registered(stored: bytes) -> None:
    transcoder = JSONTranscoder()
    register_plan_transcodings(transcoder)
    with pytest.raises(TranscodingNotRegisteredError):
        transcoder.decode(stored)


def test_no_module_imports_a_reader_that_runs_what_the_data_names() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.split(".")[0] in UNSAFE_MODULES:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno} imports {name}")
    assert found == []
