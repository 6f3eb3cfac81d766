"""Migration a4c81f0d9b27: stored order lines move into one row per claim and back, and the
view shows them exactly as the table did (decision 0025)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command

from fundguard.runtime.db import create_engine
from fundguard.runtime.migrations import alembic_config

BEFORE = "3b9f0c2d8e41"


def rows(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT * FROM claims.order_lines ORDER BY claim_id, line_id")).all())
    finally:
        engine.dispose()


def test_order_lines_survive_the_move_to_one_row_per_claim_and_back(own_database_url: str) -> None:
    cfg = alembic_config("claims", own_database_url)
    command.upgrade(cfg, BEFORE)
    engine = create_engine(own_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("""
                INSERT INTO claims.order_lines (claim_id, line_id, service_date, patient_id, institution_code,
                                                item_code, item_name, quantity, unit_price, amount, doctor_code)
                VALUES ('H1-E1', '2', '2026-11-02', 'P1', 'H1', 'X', '检查', 1.5, NULL, 3.00, 'D1'),
                       ('H1-E1', '10', '2026-11-01', 'P1', 'H1', 'Y', '', -2, 1.25, -2.50, 'D2'),
                       ('H1-E2', '1', '2026-11-01', 'P2', 'H1', 'Z', '', 1.00005, 1, 1, '')"""))
    finally:
        engine.dispose()
    stored = rows(own_database_url)
    command.upgrade(cfg, "head")
    assert rows(own_database_url) == stored  # received_at too: each claim keeps its earliest
    engine = create_engine(own_database_url)
    try:
        with engine.connect() as conn:
            kinds = dict(conn.execute(sa.text(
                "SELECT relname, relkind FROM pg_class JOIN pg_namespace n ON n.oid = relnamespace "
                "WHERE nspname = 'claims' AND relname IN ('order_lines', 'claim_orders')")).all())
            per_claim = conn.execute(sa.text("SELECT count(*) FROM claims.claim_orders")).scalar()
    finally:
        engine.dispose()
    assert kinds == {"order_lines": "v", "claim_orders": "r"} and per_claim == 2
    command.downgrade(cfg, BEFORE)
    assert rows(own_database_url) == stored
    command.upgrade(cfg, "head")
    assert rows(own_database_url) == stored
