"""Settings read from STAFETT_* variables; production refuses unsafe ones."""

import pytest

from stafett.settings import Settings, SettingsError

PRODUCTION = {
    "STAFETT_ENV": "production",
    "STAFETT_SECRET_KEY": "s" * 40,
    "STAFETT_PASSWORD_PEPPER": "p" * 40,
    "STAFETT_CODE_KEY": "c" * 40,
    "STAFETT_SMTP_URL": "smtps://mail:pw@smtp.example.no",
    "STAFETT_SMS_GATEWAY_URL": "https://sms.example.no/send",
}


def test_production_with_every_setting_starts() -> None:
    settings = Settings.from_env(PRODUCTION)
    assert settings.secrets is not None
    assert not settings.is_development


@pytest.mark.parametrize(
    "missing", ["STAFETT_SECRET_KEY", "STAFETT_SMTP_URL", "STAFETT_SMS_GATEWAY_URL"]
)
def test_production_names_a_missing_setting(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(SettingsError, match=missing):
        Settings.from_env(env)


def test_production_refuses_short_secrets_and_fast_hashing() -> None:
    with pytest.raises(SettingsError, match="at least 32"):
        Settings.from_env({**PRODUCTION, "STAFETT_CODE_KEY": "kort"})
    with pytest.raises(SettingsError, match="development only"):
        Settings.from_env({**PRODUCTION, "STAFETT_PASSWORD_HASH": "fast"})


def test_production_refuses_a_password_over_smtp_that_may_go_unencrypted() -> None:
    plain = {**PRODUCTION, "STAFETT_SMTP_URL": "smtp://mail:pw@smtp.example.no:587"}
    with pytest.raises(SettingsError, match="starttls=required"):
        Settings.from_env(plain)
    required = {**plain, "STAFETT_SMTP_URL": plain["STAFETT_SMTP_URL"] + "?starttls=required"}
    assert Settings.from_env(required).smtp_url is not None


def test_an_unknown_environment_or_database_url_is_a_clear_error() -> None:
    with pytest.raises(SettingsError, match="STAFETT_ENV"):
        Settings.from_env({"STAFETT_ENV": "staging"})
    with pytest.raises(SettingsError, match="STAFETT_DATABASE_URL"):
        Settings.from_env({"STAFETT_DATABASE_URL": "mysql://x"}).event_store_env()
