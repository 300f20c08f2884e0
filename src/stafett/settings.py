"""All configuration, read from STAFETT_* environment variables in one place."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///var/stafett.sqlite"
ENVIRONMENTS = ("development", "production")


class SettingsError(ValueError):
    """A STAFETT_* variable has a value Stafett cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    environment: str = "development"
    outbox_dir: Path = Path("var/outbox")
    aggregate_cache_size: int = 1000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        environment = env.get("STAFETT_ENV", "development")
        if environment not in ENVIRONMENTS:
            raise SettingsError(f"STAFETT_ENV must be one of {', '.join(ENVIRONMENTS)}")
        cache = env.get("STAFETT_AGGREGATE_CACHE_SIZE", "1000")
        if not cache.isdigit():
            raise SettingsError("STAFETT_AGGREGATE_CACHE_SIZE must be a whole number")
        return cls(
            database_url=env.get("STAFETT_DATABASE_URL", DEFAULT_DATABASE_URL),
            environment=environment,
            outbox_dir=Path(env.get("STAFETT_OUTBOX_DIR", "var/outbox")),
            aggregate_cache_size=int(cache),
        )

    def event_store_env(self) -> dict[str, str]:
        """The eventsourcing library's settings for the plan application."""
        env = {"AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache_size)}
        url = urlsplit(self.database_url)
        if url.scheme == "sqlite":
            path = unquote(url.path.removeprefix("/")) if url.netloc == "" else ""
            if not path:
                raise SettingsError("STAFETT_DATABASE_URL must look like sqlite:///path/to/file")
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": path,
                "SQLITE_LOCK_TIMEOUT": "10",
                "APPLICATION_RECORDER_TOPIC": (
                    "stafett.persistence.recorders:TimeIndexedSQLiteRecorder"
                ),
            }
        elif url.scheme in ("postgresql", "postgres"):
            query = parse_qs(url.query)
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
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
        else:
            raise SettingsError("STAFETT_DATABASE_URL must start with sqlite:// or postgresql://")
        return env
