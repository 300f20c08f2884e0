"""Settings read from STAFETT_* variables; production refuses unsafe ones."""

import base64
import stat
from pathlib import Path

import pytest

from stafett.settings import Settings, SettingsError, postgres_tls

PRODUCTION = {
    "STAFETT_ENV": "production",
    "STAFETT_SECRET_KEY": "s" * 40,
    "STAFETT_PASSWORD_PEPPER": "p" * 40,
    "STAFETT_CODE_KEY": "c" * 40,
    "STAFETT_SMTP_URL": "smtps://mail:pw@smtp.example.no",
    "STAFETT_SMS_GATEWAY_URL": "https://sms.example.no/send",
    "STAFETT_ARCHIVE_SIGNING_KEY": base64.b64encode(bytes(32)).decode(),
    "STAFETT_PUBLIC_URL": "https://stafett.kommune.no",
}


def test_production_with_every_setting_starts() -> None:
    settings = Settings.from_env(PRODUCTION)
    assert settings.secrets is not None
    assert not settings.is_development


@pytest.mark.parametrize(
    "missing",
    [
        "STAFETT_SECRET_KEY",
        "STAFETT_SMTP_URL",
        "STAFETT_SMS_GATEWAY_URL",
        "STAFETT_ARCHIVE_SIGNING_KEY",
        "STAFETT_PUBLIC_URL",
    ],
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


def test_the_archive_signing_key_must_be_32_bytes_of_base64_and_is_not_echoed() -> None:
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(SettingsError, match="STAFETT_ARCHIVE_SIGNING_KEY") as raised:
            Settings.from_env({**PRODUCTION, "STAFETT_ARCHIVE_SIGNING_KEY": bad})
        assert bad not in str(raised.value)
    with pytest.raises(SettingsError, match="STAFETT_ARCHIVE_RETIRED_KEYS"):
        Settings.from_env({**PRODUCTION, "STAFETT_ARCHIVE_RETIRED_KEYS": "AAAA"})
    retired = base64.b64encode(bytes(range(32))).decode()
    settings = Settings.from_env({**PRODUCTION, "STAFETT_ARCHIVE_RETIRED_KEYS": f" {retired} ,"})
    assert settings.archive_retired_keys == (retired,)
    assert settings.archive_key_or_development() == PRODUCTION["STAFETT_ARCHIVE_SIGNING_KEY"]


def test_development_generates_an_archive_key_once_readable_only_by_its_owner(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env({})
    first = settings.archive_key_or_development(tmp_path)
    assert len(base64.b64decode(first)) == 32
    assert settings.archive_key_or_development(tmp_path) == first
    mode = (tmp_path / "development-archive-key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_production_without_an_archive_key_never_generates_one(tmp_path: Path) -> None:
    settings = Settings(environment="production")
    with pytest.raises(SettingsError, match="STAFETT_ARCHIVE_SIGNING_KEY"):
        settings.archive_key_or_development(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_postgresql_url_carries_tls_parameters_and_refuses_ones_it_does_not_know() -> None:
    """SEC-CRY-03: an unknown parameter was dropped in silence, so a misspelt or an
    unsupported `sslmode=…` connected without TLS; now it is refused, and the TLS ones
    go to every connection (`postgres_tls`)."""
    url = "postgresql://u@db.example.no/stafett?schema=s&sslmode=verify-full&sslrootcert=/ca.pem"
    env = Settings.from_env({"STAFETT_DATABASE_URL": url}).event_store_env()
    assert postgres_tls(env) == {"sslmode": "verify-full", "sslrootcert": "/ca.pem"}
    assert postgres_tls(Settings(database_url="postgresql://u@h/d").event_store_env()) == {}
    for unknown in ("ssl_mode=verify-full", "sslmode=require&application_name=x"):
        with pytest.raises(SettingsError, match="unknown parameter"):
            Settings(database_url=f"postgresql://u@h/d?{unknown}").event_store_env()


def test_production_reaches_a_database_on_another_host_only_over_verified_tls() -> None:
    def production(url: str) -> Settings:
        return Settings.from_env({**PRODUCTION, "STAFETT_DATABASE_URL": url})

    for weak in ("", "?sslmode=require", "?sslmode=verify-ca&sslrootcert=/ca.pem"):
        with pytest.raises(SettingsError, match="sslmode=verify-full"):
            production(f"postgresql://u@db.example.no/stafett{weak}")
    production("postgresql://u@db.example.no/stafett?sslmode=verify-full&sslrootcert=/ca.pem")
    production("postgresql://u@127.0.0.1/stafett")  # the same host: no network to cross
    production("postgresql://u@localhost:5433/stafett")
    production("sqlite:///var/stafett.sqlite")


@pytest.mark.parametrize("url", ["http://stafett.kommune.no", "stafett.kommune.no", "https://"])
def test_production_links_point_only_to_an_https_address(url: str) -> None:
    with pytest.raises(SettingsError, match="STAFETT_PUBLIC_URL"):
        Settings.from_env({**PRODUCTION, "STAFETT_PUBLIC_URL": url})


def test_development_links_follow_the_port_served_on_unless_an_address_is_given() -> None:
    """`stafett serve --port 8101` in development: a reset or activation link in the
    outbox must open on that server, not on the default port's."""
    default = Settings.from_env({})
    assert default.served_at("127.0.0.1", 8101).public_url == "http://127.0.0.1:8101"
    assert default.served_at("::1", 8000).public_url == "http://[::1]:8000"
    given = Settings.from_env({"STAFETT_PUBLIC_URL": "http://localhost:9000"})
    assert given.served_at("127.0.0.1", 8101).public_url == "http://localhost:9000"
    production = Settings.from_env(PRODUCTION)
    assert production.served_at("0.0.0.0", 8101).public_url == "https://stafett.kommune.no"
