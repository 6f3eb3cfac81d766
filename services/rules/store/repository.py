"""Storage of catalogue versions."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Engine

from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from services.rules.domain import catalogue as cat
from services.rules.store.tables import catalogue_versions, rule_pack_versions


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


class RulePackStore:
    """Rule packs as versions: drafts may be replaced, published versions never change."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, version: str) -> sa.Row[Any] | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(rule_pack_versions).where(rule_pack_versions.c.version == version)).first()

    def save_draft(self, version: str, text: str, request_id: str) -> bool:
        """Store or replace a draft; False when the same content is there already (a retry)."""
        checksum = hashlib.sha256(text.encode()).hexdigest()
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(rule_pack_versions.c.status, rule_pack_versions.c.checksum)
                               .where(rule_pack_versions.c.version == version).with_for_update()).first()
            if row is not None and row.checksum == checksum:
                return False
            if row is not None and row.status == "published":
                raise InvalidArgument([FieldViolation("pack.version", f"rule pack {version} is published and "
                                                      "immutable; save the change under a new version")])
            if row is None:
                conn.execute(rule_pack_versions.insert().values(version=version, status="draft", text=text,
                                                                checksum=checksum, request_id=request_id or None))
            else:
                conn.execute(rule_pack_versions.update().where(rule_pack_versions.c.version == version)
                             .values(text=text, checksum=checksum, saved_at=sa.func.now()))
        return True

    def publish(self, version: str, actor: str) -> bool:
        """Mark a draft published; False when it already was."""
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(rule_pack_versions.c.status)
                               .where(rule_pack_versions.c.version == version).with_for_update()).first()
            if row is None:
                raise NotFound(f"rule pack {version}")
            if row.status == "published":
                return False
            conn.execute(rule_pack_versions.update().where(rule_pack_versions.c.version == version)
                         .values(status="published", published_at=sa.func.now(), published_by=actor or None))
        return True

    def published(self) -> list[tuple[str, str]]:
        """(version, text) of every published pack, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(rule_pack_versions.c.version, rule_pack_versions.c.text)
                                .where(rule_pack_versions.c.status == "published")
                                .order_by(rule_pack_versions.c.published_at, rule_pack_versions.c.version)).all()
        return [(r.version, r.text) for r in rows]

    def publish_default(self, version: str, text: str) -> None:
        """Store the repo's default pack as published when the store holds no published pack."""
        with self.engine.begin() as conn:
            if conn.execute(sa.select(sa.func.count()).select_from(rule_pack_versions)
                            .where(rule_pack_versions.c.status == "published")).scalar_one():
                return
            conn.execute(pg_insert(rule_pack_versions).values(
                version=version, status="published", text=text, checksum=hashlib.sha256(text.encode()).hexdigest(),
                published_at=sa.func.now(), published_by="default pack").on_conflict_do_nothing())
