"""Sealed records, stored whole: one row per record, keyed by its archive id.

A record is stored before the plan's `Archived` event names it, and is only
listed or served through that event (docs/decisions/0016-sealed-record.md): a row
whose event never got saved (a lost race, a crash between the two) is an orphan,
invisible to every reader, and is deleted when the seal gives up on it.

A record's rendition (`record.pdf` and `arkivstruktur.xml` under their own signed
manifest, decision 0026) is made after the seal and stored in a table of its own, once:
the first one stored for a record stays.
"""

from dataclasses import dataclass
from uuid import UUID

from stafett.persistence.sql import SqlTables, Table


@dataclass(frozen=True, slots=True)
class StoredRecord:
    archive_id: UUID
    plan_id: UUID
    sealed_at: int  # microseconds since the Unix epoch, UTC
    digest: str
    data: bytes


class ArchiveStore(SqlTables):
    records = Table("sealed_records")
    renditions = Table("sealed_renditions")

    def create_tables(self) -> None:
        self.create(
            [
                f"CREATE TABLE IF NOT EXISTS {self.records} ("
                f"archive_id {self.uuid_type} PRIMARY KEY, plan_id {self.uuid_type} NOT NULL, "
                "sealed_at BIGINT NOT NULL, digest TEXT NOT NULL, "
                f"data {self.bytes_type} NOT NULL)",
                f"CREATE INDEX IF NOT EXISTS sealed_records_by_plan ON {self.records} (plan_id)",
                f"CREATE TABLE IF NOT EXISTS {self.renditions} ("
                f"archive_id {self.uuid_type} PRIMARY KEY, rendered_at BIGINT NOT NULL, "
                f"data {self.bytes_type} NOT NULL)",
            ]
        )

    def put(self, record: StoredRecord) -> None:
        self.write(
            f"INSERT INTO {self.records} (archive_id, plan_id, sealed_at, digest, data) "
            "VALUES (%s, %s, %s, %s, %s)",
            record.archive_id,
            record.plan_id,
            record.sealed_at,
            record.digest,
            record.data,
        )

    def get(self, archive_id: UUID) -> StoredRecord | None:
        row = self.select_one(
            f"SELECT archive_id, plan_id, sealed_at, digest, data FROM {self.records} "
            "WHERE archive_id=%s",
            archive_id,
        )
        if row is None:
            return None
        return StoredRecord(
            archive_id=self.uuid(row["archive_id"]),
            plan_id=self.uuid(row["plan_id"]),
            sealed_at=int(row["sealed_at"]),
            digest=str(row["digest"]),
            data=bytes(row["data"]),
        )

    def plan_of(self, archive_id: UUID) -> UUID | None:
        """The plan a stored record is of, without reading the record."""
        row = self.select_one(f"SELECT plan_id FROM {self.records} WHERE archive_id=%s", archive_id)
        return None if row is None else self.uuid(row["plan_id"])

    def discard(self, archive_id: UUID) -> None:
        """Delete an orphan: a record no `Archived` event names."""
        self.write(f"DELETE FROM {self.records} WHERE archive_id=%s", archive_id)

    def put_rendition(self, archive_id: UUID, rendered_at: int, data: bytes) -> None:
        """Store a record's rendition unless one is stored already (that one stays)."""
        self.write(
            f"INSERT INTO {self.renditions} (archive_id, rendered_at, data) VALUES (%s, %s, %s) "
            "ON CONFLICT (archive_id) DO NOTHING",
            archive_id,
            rendered_at,
            data,
        )

    def rendition(self, archive_id: UUID) -> bytes | None:
        """A record's rendition (the zip of its four members), if it is made."""
        row = self.select_one(f"SELECT data FROM {self.renditions} WHERE archive_id=%s", archive_id)
        return None if row is None else bytes(row["data"])
