"""Each write's request id (msgid) with the answer it got, so a retried request replays it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from services.claims.store.tables import requests


def stored_answer(conn: Connection, request_id: str, kind: str) -> bytes | None:
    if not request_id:
        return None
    row = conn.execute(sa.select(requests.c.response).where(requests.c.request_id == request_id,
                                                            requests.c.kind == kind)).first()
    return None if row is None else bytes(row[0])


def remember_answer(conn: Connection, request_id: str, kind: str, response: bytes) -> None:
    if request_id:
        conn.execute(insert(requests).values(request_id=request_id, kind=kind, response=response)
                     .on_conflict_do_nothing())
