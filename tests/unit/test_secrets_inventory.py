"""docs/secrets.md names every secret the settings read, and nothing else (SEC-CRY-04)."""

import re
from pathlib import Path

from stafett import settings

ROOT = Path(__file__).parents[2]
# Secrets read by `Settings.from_env` beside the three of `SECRET_NAMES`: keys, and the
# URLs and token that carry a password.
OTHER_SECRETS = (
    settings.ARCHIVE_KEY_NAME,
    settings.ARCHIVE_RETIRED_NAME,
    "STAFETT_SMTP_URL",
    "STAFETT_SMS_GATEWAY_TOKEN",
    "STAFETT_DATABASE_URL",
)

NOT_SECRETS = {"STAFETT_PASSWORD_HASH"}  # which hashing to use ("fast" in development)


def rows() -> list[str]:
    table = [
        line
        for line in (ROOT / "docs" / "secrets.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `STAFETT_")
    ]
    return [re.match(r"\| `(STAFETT_[A-Z_]+)`", line).group(1) for line in table]  # type: ignore[union-attr]


def test_every_secret_has_one_row_and_every_row_is_a_setting() -> None:
    read = set(re.findall(r'"(STAFETT_[A-Z_]+)"', Path(settings.__file__).read_text()))
    assert set(OTHER_SECRETS) <= read  # each is one the settings read
    assert sorted(rows()) == sorted({*settings.SECRET_NAMES, *OTHER_SECRETS})
    assert len(rows()) == len(set(rows()))
    # A setting added later and named like a secret needs its row too.
    named_like_one = {n for n in read if re.search("KEY|TOKEN|PEPPER|SECRET|PASSWORD", n)}
    assert named_like_one - NOT_SECRETS <= set(rows())
