"""Secrets are compared in constant time (SEC-OTP-05): `hmac.compare_digest`, never `==`.

A static check over the service's code: a comparison with `==` or `!=` of a value named
like a secret (a code, an HMAC, a token, a password, a CSRF token, a signature) fails
the test, unless it is listed here with why timing tells an attacker nothing. Digests
compared for integrity (hash chains, file checksums) are not secrets and not matched.
"""

import ast
import re
from pathlib import Path

SRC = Path(__file__).parents[2] / "src" / "stafett"
SECRET_NAME = re.compile(r"(^|_)(code|hmac|token|password|secret|csrf|signature)(_|s?$)")
NOT_SECRETS = {"status_code", "exit_code"}  # named like one, and no secret
# (module, the comparison as written): why it is not a secret compared.
REVIEWED = {
    ("applications/own_account.py", "s.token_hash == mine"): "marks which of the person's "
    "own sessions, all read for them after they logged in, is the one they use now",
}


def named(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return named(node.value)
    if isinstance(node, ast.Call):
        return named(node.func)
    return None


def secret_like(node: ast.expr) -> bool:
    name = named(node)
    if name is None or name.isupper() or name.lower() in NOT_SECRETS:
        return False
    return bool(SECRET_NAME.search(name.lower()))


def test_no_secret_is_compared_with_equals() -> None:
    found: set[tuple[str, str]] = set()
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                continue
            sides = [node.left, *node.comparators]
            if any(isinstance(side, ast.Constant) for side in sides):
                continue  # against a fixed value (None, a kind's name): no secret on the line
            if any(secret_like(side) for side in sides):
                found.add((path.relative_to(SRC).as_posix(), ast.unparse(node)))
    assert found == set(REVIEWED)


def test_the_check_sees_a_code_compared_with_equals() -> None:
    sample = "def check(code: str, session) -> bool:\n    return session.code_hmac == code\n"
    compare = next(n for n in ast.walk(ast.parse(sample)) if isinstance(n, ast.Compare))
    assert secret_like(compare.left)
    assert secret_like(compare.comparators[0])
