"""Storage of catalogue versions."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.rules.domain import catalogue as cat
from services.rules.store.tables import catalogue_versions


class CatalogueStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, catalogue: cat.Catalogue, files: dict[str, str], request_id: str) -> bool:
        """Store a version; return False when the same version was stored before (a retry)."""
        with self.engine.begin() as conn:
            existing = conn.execute(
                sa.select(catalogue_versions.c.checksum).where(catalogue_versions.c.version == catalogue.version)
            ).scalar_one_or_none()
            if existing is not None:
                if existing != catalogue.checksum:
                    from fundguard.runtime.errors import FieldViolation, InvalidArgument

                    raise InvalidArgument([FieldViolation(
                        "version", f"catalogue version {catalogue.version} exists with other content; "
                        "versions are immutable, load it under a new version")])
                return False
            conn.execute(catalogue_versions.insert().values(
                version=catalogue.version,
                effective_from=date.fromisoformat(catalogue.effective_from),
                checksum=catalogue.checksum,
                request_id=request_id or None,
                items=catalogue.size,
                files=files,
            ))
        return True

    def all(self) -> list[cat.Catalogue]:
        """Every stored version, oldest effective date first (parsed again from the stored files)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(catalogue_versions.c.version, catalogue_versions.c.effective_from, catalogue_versions.c.files)
                .order_by(catalogue_versions.c.effective_from, catalogue_versions.c.loaded_at)
            ).all()
        return [cat.parse(r.version, r.effective_from.isoformat(), r.files) for r in rows]

    def latest(self) -> cat.Catalogue | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(catalogue_versions.c.version, catalogue_versions.c.effective_from, catalogue_versions.c.files)
                .order_by(catalogue_versions.c.effective_from.desc(), catalogue_versions.c.loaded_at.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        return cat.parse(row.version, row.effective_from.isoformat(), row.files)
