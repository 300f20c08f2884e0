"""All configuration, read from STAFETT_* environment variables in one place."""

import base64
import binascii
import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from stafett.aggregates.consent_age import CONSENT_AGE_ENV, DEFAULT_CONSENT_AGE, consent_age_of

DEFAULT_DATABASE_URL = "sqlite:///var/stafett.sqlite"
ENVIRONMENTS = ("development", "production")
# libpq's TLS parameters a PostgreSQL STAFETT_DATABASE_URL may carry; every connection
# the service makes (the event store's pool, the session locks, backups) uses them.
POSTGRES_TLS_PARAMETERS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl")
POSTGRES_URL_PARAMETERS = ("schema", "pool_size", *POSTGRES_TLS_PARAMETERS)
# Where a PostgreSQL server needs no TLS in production: this host itself.
LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")


class SettingsError(ValueError):
    """A STAFETT_* variable has a value Stafett cannot use."""


SECRET_NAMES = ("STAFETT_SECRET_KEY", "STAFETT_PASSWORD_PEPPER", "STAFETT_CODE_KEY")
MIN_SECRET_LENGTH = 32
# The Ed25519 key sealed records are signed with: base64 of its 32-byte seed. Public keys
# of keys no longer signing (retired), comma-separated base64, are still published.
ARCHIVE_KEY_NAME = "STAFETT_ARCHIVE_SIGNING_KEY"
ARCHIVE_RETIRED_NAME = "STAFETT_ARCHIVE_RETIRED_KEYS"
ARCHIVE_KEY_BYTES = 32


@dataclass(frozen=True)
class Secrets:
    """Keys kept outside the database: CSRF signing, password pepper, code HMAC."""

    secret_key: str
    password_pepper: bytes
    code_key: bytes


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    environment: str = "development"
    outbox_dir: Path = Path("var/outbox")
    aggregate_cache_size: int = 1000
    secrets: Secrets | None = None
    fast_password_hashing: bool = False
    smtp_url: str | None = None
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None
    mail_from: str = "Stafett <ikke-svar@stafett.invalid>"
    public_url: str = "http://127.0.0.1:8000"
    public_url_given: bool = False  # STAFETT_PUBLIC_URL set; else development's links follow
    # where `stafett serve` listens (`served_at`)
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For is believed;
    # none by default, so a client cannot choose the address its limits count.
    trusted_proxies: tuple[str, ...] = ()
    archive_signing_key: str | None = None  # base64 of an Ed25519 seed; never logged
    archive_retired_keys: tuple[str, ...] = ()  # base64 public keys
    # Notices (decision 0020): how long a sender holds a leased row, how often a
    # notice is tried before it is dead, and the first pause after a failure.
    notification_lease_seconds: float = 60.0
    notification_max_attempts: int = 8
    notification_retry_seconds: float = 30.0
    # How old the store's figures in `GET /health` may be (web/health.py).
    health_refresh_seconds: float = 2.0
    # How often the worker looks for reminders whose day has come (decision 0022).
    reminder_sweep_seconds: float = 60.0
    # How often the account tables are swept of what is past its use (decision 0040).
    housekeeping_seconds: float = 300.0
    # From which birthday a plan's owner decides over the consent themself: 15 or 16,
    # as the municipality has it (decision 0055).
    consent_age: int = DEFAULT_CONSENT_AGE

    @property
    def is_in_memory(self) -> bool:
        return self.database_url.startswith("memory:")

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        environment = env.get("STAFETT_ENV", "development")
        if environment not in ENVIRONMENTS:
            raise SettingsError(f"STAFETT_ENV must be one of {', '.join(ENVIRONMENTS)}")
        cache = env.get("STAFETT_AGGREGATE_CACHE_SIZE", "1000")
        if not cache.isdigit():
            raise SettingsError("STAFETT_AGGREGATE_CACHE_SIZE must be a whole number")
        fast_hashing = env.get("STAFETT_PASSWORD_HASH", "argon2id") == "fast"
        lease = _number(env, "STAFETT_NOTIFICATION_LEASE_SECONDS", cls.notification_lease_seconds)
        attempts = _number(env, "STAFETT_NOTIFICATION_MAX_ATTEMPTS", cls.notification_max_attempts)
        retry = _number(env, "STAFETT_NOTIFICATION_RETRY_SECONDS", cls.notification_retry_seconds)
        health = _number(env, "STAFETT_HEALTH_REFRESH_SECONDS", cls.health_refresh_seconds)
        sweep = _number(env, "STAFETT_REMINDER_SWEEP_SECONDS", cls.reminder_sweep_seconds)
        housekeeping = _number(env, "STAFETT_HOUSEKEEPING_SECONDS", cls.housekeeping_seconds)
        try:
            consent_age = consent_age_of(env.get(CONSENT_AGE_ENV))
        except ValueError as error:
            raise SettingsError(str(error)) from None
        settings = cls(
            database_url=env.get("STAFETT_DATABASE_URL", DEFAULT_DATABASE_URL),
            environment=environment,
            outbox_dir=Path(env.get("STAFETT_OUTBOX_DIR", "var/outbox")),
            aggregate_cache_size=int(cache),
            secrets=_secrets(env) if all(env.get(n) for n in SECRET_NAMES) else None,
            fast_password_hashing=fast_hashing,
            smtp_url=env.get("STAFETT_SMTP_URL") or None,
            sms_gateway_url=env.get("STAFETT_SMS_GATEWAY_URL") or None,
            sms_gateway_token=env.get("STAFETT_SMS_GATEWAY_TOKEN") or None,
            mail_from=env.get("STAFETT_MAIL_FROM", cls.mail_from),
            public_url=env.get("STAFETT_PUBLIC_URL") or cls.public_url,
            public_url_given=bool(env.get("STAFETT_PUBLIC_URL")),
            trusted_proxies=_networks(env.get("STAFETT_TRUSTED_PROXIES", "")),
            archive_signing_key=_key(env, ARCHIVE_KEY_NAME),
            notification_lease_seconds=lease,
            notification_max_attempts=int(attempts),
            notification_retry_seconds=retry,
            health_refresh_seconds=health,
            reminder_sweep_seconds=sweep,
            housekeeping_seconds=housekeeping,
            consent_age=consent_age,
            archive_retired_keys=tuple(
                _checked_key(ARCHIVE_RETIRED_NAME, k.strip())
                for k in env.get(ARCHIVE_RETIRED_NAME, "").split(",")
                if k.strip()
            ),
        )
        if environment == "production":
            missing = [n for n in (*SECRET_NAMES, ARCHIVE_KEY_NAME) if not env.get(n)]
            missing += [
                n
                for n in ("STAFETT_SMTP_URL", "STAFETT_SMS_GATEWAY_URL", "STAFETT_PUBLIC_URL")
                if not env.get(n)
            ]
            if missing:
                raise SettingsError("production needs " + ", ".join(missing))
            if fast_hashing:
                raise SettingsError("STAFETT_PASSWORD_HASH=fast is for development only")
            _check_database_tls(settings.database_url)
            if (
                urlsplit(settings.public_url).scheme != "https"
                or not urlsplit(settings.public_url).netloc
            ):
                raise SettingsError(
                    "STAFETT_PUBLIC_URL must be the https:// address people use (the links "
                    "in e-mail and SMS point there)"
                )
            smtp = urlsplit(env["STAFETT_SMTP_URL"])
            plain_with_password = smtp.scheme == "smtp" and smtp.password
            if plain_with_password and "starttls=required" not in smtp.query:
                raise SettingsError(
                    "STAFETT_SMTP_URL sends a password: use smtps:// or add ?starttls=required"
                )
        return settings

    def served_at(self, host: str, port: int) -> "Settings":
        """These settings for a server listening on `host`:`port`: in development without
        STAFETT_PUBLIC_URL, the links in e-mail and SMS (a reset, an activation, a
        notice) point there, not at the default port (`stafett serve --port`)."""
        if self.public_url_given or not self.is_development:
            return self
        shown = f"[{host}]" if ":" in host else host
        return replace(self, public_url=f"http://{shown}:{port}")

    def secrets_or_development(self, directory: Path = Path("var")) -> Secrets:
        """The configured secrets; in development, ones generated once under var/."""
        if self.secrets is not None:
            return self.secrets
        if not self.is_development:
            raise SettingsError("production needs " + ", ".join(SECRET_NAMES))
        path = directory / "development-secrets"
        if not path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            lines = [f"{name}={secrets.token_urlsafe(32)}" for name in SECRET_NAMES]
            path.write_text("\n".join(lines) + "\n")
            path.chmod(0o600)
        values = dict(line.split("=", 1) for line in path.read_text().split())
        return _secrets(values)

    def archive_key_or_development(self, directory: Path = Path("var")) -> str:
        """The configured archive signing key; in development one generated once under var/."""
        if self.archive_signing_key is not None:
            return self.archive_signing_key
        if not self.is_development:
            raise SettingsError(f"production needs {ARCHIVE_KEY_NAME}")
        path = directory / "development-archive-key"
        if not path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            path.write_text(base64.b64encode(secrets.token_bytes(ARCHIVE_KEY_BYTES)).decode())
            path.chmod(0o600)
        return _checked_key(str(path), path.read_text().strip())

    def event_store_env(self) -> dict[str, str]:
        """The eventsourcing library's settings for the plan application.

        A cache size of 0 means no aggregate cache: the library reads an empty value
        as "none" but 0 as "unbounded", and an absent one as the application's default.
        """
        cache_size = str(self.aggregate_cache_size) if self.aggregate_cache_size > 0 else ""
        env = {"AGGREGATE_CACHE_MAXSIZE": cache_size, CONSENT_AGE_ENV: str(self.consent_age)}
        url = urlsplit(self.database_url)
        if url.scheme == "sqlite":
            path = unquote(url.path.removeprefix("/")) if url.netloc == "" else ""
            if not path:
                raise SettingsError("STAFETT_DATABASE_URL must look like sqlite:///path/to/file")
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            env |= {
                "PERSISTENCE_MODULE": "stafett.persistence.sqlite_store:StafettSQLiteFactory",
                "SQLITE_DBNAME": path,
                "SQLITE_LOCK_TIMEOUT": "10",
                # The plan-list view commits without waiting for the disk (see
                # persistence/sqlite_store.py); the events keep full durability.
                "PLANLIST_SQLITE_SYNCHRONOUS": "NORMAL",
                "APPLICATION_RECORDER_TOPIC": (
                    "stafett.persistence.recorders:TimeIndexedSQLiteRecorder"
                ),
            }
        elif url.scheme in ("postgresql", "postgres"):
            query = parse_qs(url.query)
            unknown = sorted(set(query) - set(POSTGRES_URL_PARAMETERS))
            if unknown:
                # Not dropped in silence: `sslmode` misspelt would connect in the clear.
                raise SettingsError(
                    f"STAFETT_DATABASE_URL: unknown parameter {', '.join(unknown)} "
                    f"(known: {', '.join(POSTGRES_URL_PARAMETERS)})"
                )
            env |= {
                f"POSTGRES_{name.upper()}": query[name][0]
                for name in POSTGRES_TLS_PARAMETERS
                if name in query
            }
            env |= {
                "PERSISTENCE_MODULE": "stafett.persistence.postgres_store:StafettPostgresFactory",
                "POSTGRES_DBNAME": unquote(url.path.removeprefix("/")) or "stafett",
                "POSTGRES_HOST": url.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": unquote(url.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(url.password or ""),
                "POSTGRES_SCHEMA": query.get("schema", ["public"])[0],
                "POSTGRES_POOL_SIZE": query.get("pool_size", ["5"])[0],
                "POSTGRES_LOCK_TIMEOUT": "5",
                "POSTGRES_CONNECT_TIMEOUT": "5",
                "APPLICATION_RECORDER_TOPIC": (
                    "stafett.persistence.recorders:TimeIndexedPostgresRecorder"
                ),
            }
        elif url.scheme == "memory":  # tests of the applications: nothing on disk
            env |= {"PERSISTENCE_MODULE": "stafett.persistence.popo_store:StafettPOPOFactory"}
        else:
            raise SettingsError(
                "STAFETT_DATABASE_URL must start with sqlite://, postgresql:// or memory://"
            )
        return env


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive number from `name`, or `default` when it is not set."""
    text = env.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name} must be a number") from None
    if not value > 0 or value == float("inf"):
        raise SettingsError(f"{name} must be a positive number")
    return value


def postgres_tls(env: Mapping[str, str]) -> dict[str, str]:
    """The libpq TLS parameters of an event store environment (`Settings.event_store_env`),
    for every connection to its PostgreSQL server."""
    found = {name: env.get(f"POSTGRES_{name.upper()}") for name in POSTGRES_TLS_PARAMETERS}
    return {name: value for name, value in found.items() if value}


def _check_database_tls(database_url: str) -> None:
    """In production a PostgreSQL server on another host is reached over TLS that checks
    the server's certificate and name (SEC-CRY-03): `sslmode=verify-full`."""
    url = urlsplit(database_url)
    if url.scheme not in ("postgresql", "postgres"):
        return
    host = url.hostname or "127.0.0.1"
    if host in LOCAL_HOSTS or host.startswith("/"):
        return
    if parse_qs(url.query).get("sslmode", [""])[0] != "verify-full":
        raise SettingsError(
            "production needs sslmode=verify-full in STAFETT_DATABASE_URL for a database "
            f"on another host ({host})"
        )


def _networks(value: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (CIDR), each checked."""
    found = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise SettingsError(
                f"STAFETT_TRUSTED_PROXIES: {item!r} is not an IP address or network"
            ) from None
    return tuple(found)


def _key(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return _checked_key(name, value) if value else None


def _checked_key(name: str, value: str) -> str:
    """A 32-byte Ed25519 key as base64 text (the value is never repeated in the error)."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"{name} must be base64") from None
    if len(raw) != ARCHIVE_KEY_BYTES:
        raise SettingsError(f"{name} must hold {ARCHIVE_KEY_BYTES} bytes (base64)")
    return value


def _secrets(env: Mapping[str, str]) -> Secrets:
    values = [env[name] for name in SECRET_NAMES]
    if any(len(value) < MIN_SECRET_LENGTH for value in values):
        raise SettingsError(
            f"{', '.join(SECRET_NAMES)} must each be at least {MIN_SECRET_LENGTH} characters"
        )
    return Secrets(
        secret_key=values[0], password_pepper=values[1].encode(), code_key=values[2].encode()
    )
