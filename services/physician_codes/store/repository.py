"""Registry storage: upserts of institutions and staff, registrations, and the facts a
binding check needs, read for many codes in three queries."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from services.physician_codes.domain.binding import Period, StaffFacts, StatusPeriod
from services.physician_codes.store.tables import institutions, registrations, staff, status_events


def protect_id_number(id_number: str) -> tuple[str | None, str]:
    """A keyed hash (to match) and a masked form (to show); the number itself is not kept."""
    if not id_number:
        return None, ""
    key = os.environ.get("FUNDGUARD_PII_KEY", "fundguard-development-key").encode()
    masked = id_number[:4] + "*" * max(len(id_number) - 8, 0) + id_number[-4:] if len(id_number) > 8 else "****"
    return hmac.new(key, id_number.encode(), hashlib.sha256).hexdigest(), masked


class RegistryStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def upsert_institution(self, values: dict[str, str]) -> None:
        stmt = insert(institutions).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[institutions.c.code],
            set_={k: stmt.excluded[k] for k in values if k != "code"} | {"updated_at": sa.func.now()},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def upsert_staff(self, values: dict[str, str], id_number: str) -> dict[str, str]:
        digest, masked = protect_id_number(id_number)
        row: dict[str, str | None] = dict(values)
        if id_number:
            row |= {"id_number_hmac": digest, "id_number_masked": masked}
        stmt = insert(staff).values(**row)
        stmt = stmt.on_conflict_do_update(
            index_elements=[staff.c.code],
            set_={k: stmt.excluded[k] for k in row if k != "code"} | {"updated_at": sa.func.now()},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)
            got = conn.execute(sa.select(staff).where(staff.c.code == values["code"])).mappings().one()
        return {k: ("" if v is None else str(v)) for k, v in got.items()}

    def add_registration(self, staff_code: str, institution_code: str, valid_from: date, valid_to: date | None) -> None:
        stmt = insert(registrations).values(
            staff_code=staff_code, institution_code=institution_code, valid_from=valid_from, valid_to=valid_to
        ).on_conflict_do_update(constraint="uq_registration", set_={"valid_to": valid_to})
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def get_staff(self, code: str) -> dict[str, str] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(staff).where(staff.c.code == code)).mappings().first()
        return None if row is None else {k: ("" if v is None else str(v)) for k, v in row.items()}

    def institution_exists(self, code: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(institutions.c.code).where(institutions.c.code == code)).first() is not None

    def facts(self, codes: Iterable[str]) -> dict[str, StaffFacts]:
        wanted = sorted({c for c in codes if c})
        if not wanted:
            return {}
        with self.engine.connect() as conn:
            known = conn.execute(sa.select(staff.c.code).where(staff.c.code.in_(wanted))).scalars().all()
            regs = conn.execute(
                sa.select(registrations.c.staff_code, registrations.c.institution_code,
                          registrations.c.valid_from, registrations.c.valid_to)
                .where(registrations.c.staff_code.in_(wanted))
            ).all()
            stats = conn.execute(
                sa.select(status_events.c.staff_code, status_events.c.status, status_events.c.effective_from,
                          status_events.c.effective_to, status_events.c.reason)
                .where(status_events.c.staff_code.in_(wanted))
            ).all()
        by_reg: dict[str, dict[str, list[Period]]] = defaultdict(lambda: defaultdict(list))
        for code, inst, start, end in regs:
            by_reg[code][inst].append(Period(start, end))
        by_status: dict[str, list[StatusPeriod]] = defaultdict(list)
        for code, status, start, end, reason in stats:
            by_status[code].append(StatusPeriod(status, Period(start, end), reason))
        return {c: StaffFacts(c, dict(by_reg[c]), by_status[c]) for c in known}
