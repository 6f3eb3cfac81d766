"""Registry storage.

Every write runs in one transaction that also bumps the single ``registry_version`` row and
appends to ``registry_changes`` (who, why, what). The version bump comes last in each
transaction, so the row lock is held only briefly and commits happen in version order:
a reader that sees version V has seen every change numbered V or less.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from fundguard.runtime.errors import FieldViolation, InvalidArgument, NotFound
from services.physician_codes.domain.binding import (
    Lift,
    Period,
    RegistrationFact,
    Sanction,
    StaffFacts,
    registration_problem,
    staff_facts,
)
from services.physician_codes.domain.records import Problem
from services.physician_codes.pii import IdentityProtector, is_masked, mask
from services.physician_codes.store.tables import (
    institution_agreements,
    institutions,
    registrations,
    registry_changes,
    registry_version,
    staff,
    status_events,
)

NOTIFY_CHANNEL = "fundguard_physician_codes_registry"
INSTITUTION_FIELDS = ("name", "level", "type", "division", "agreement_status")
STAFF_FIELDS = ("name", "role", "title", "dept_code")


@dataclass(frozen=True)
class Change:
    """Who asks for a change and why; recorded with it."""

    changed_by: str = ""
    reason: str = ""
    request_id: str = ""


@dataclass(frozen=True)
class WriteReport:
    accepted: int = 0
    unchanged: int = 0
    errors: tuple[tuple[int, Problem], ...] = ()  # (index in the input, problem)


def _text(row: Any) -> dict[str, str]:
    return {k: ("" if v is None else str(v)) for k, v in row.items()}


def _chunks(rows: Sequence[dict[str, Any]], size: int = 2000) -> Iterator[Sequence[dict[str, Any]]]:
    """Multi-row statements of a bounded size: one statement per row would be slow, one
    statement for a whole province's file would be a very large parameter list."""
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()


class RegistryStore:
    def __init__(self, engine: Engine, protector: IdentityProtector | None = None) -> None:
        self.engine = engine
        self.protector = protector or IdentityProtector.from_env({})

    # -- the version counter and the change log -------------------------------------------

    def version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(registry_version.c.version).where(registry_version.c.id == 1))
                       .scalar_one())

    @staticmethod
    def _commit_changes(conn: Connection, change: Change, entries: Sequence[dict[str, Any]]) -> int | None:
        """Bump the version and log ``entries`` (entity, entity_key, staff_code, action, detail)."""
        if not entries:
            return None
        version = int(conn.execute(
            sa.update(registry_version).where(registry_version.c.id == 1)
            .values(version=registry_version.c.version + 1).returning(registry_version.c.version)
        ).scalar_one())
        # Listeners (other replicas in notify mode) hear of it when this transaction commits;
        # this process notes it on the connection for its own snapshot cache.
        conn.execute(sa.select(sa.func.pg_notify(NOTIFY_CHANNEL, str(version))))
        conn.info["registry_version"] = version
        conn.execute(sa.insert(registry_changes), [
            {"version": version, "changed_by": change.changed_by, "reason": change.reason,
             "request_id": change.request_id, "staff_code": None, **e} for e in entries])
        return version

    # -- institutions ---------------------------------------------------------------------

    def upsert_institutions(self, rows: Sequence[dict[str, Any]], change: Change, today: date) -> WriteReport:
        """Insert or update; an agreement status change appends to the agreement history."""
        codes = [r["code"] for r in rows]
        with self.engine.begin() as conn:
            existing = {r["code"]: r for r in conn.execute(
                sa.select(institutions).where(institutions.c.code.in_(codes)).order_by(institutions.c.code)
                .with_for_update()).mappings()}
            latest: dict[str, dict[str, Any]] = {}
            for r in rows:  # the last row for a code wins, as it would one by one
                latest[r["code"]] = r
            writes, history, log = [], [], []
            for code, r in latest.items():
                old = existing.get(code)
                fields = {k: r[k] for k in INSTITUTION_FIELDS}
                status_changed = old is None or old["agreement_status"] != r["agreement_status"]
                since = r.get("agreement_effective_from") or (
                    today if old is None or status_changed else old["agreement_effective_from"] or today)
                if old is not None and not status_changed and old["agreement_effective_from"] == since \
                        and all(old[k] == v for k, v in fields.items()):
                    continue
                writes.append({"code": code, **fields, "agreement_effective_from": since,
                               "updated_by": change.changed_by})
                if status_changed or (old is not None and old["agreement_effective_from"] != since):
                    history.append({"institution_code": code, "agreement_status": r["agreement_status"],
                                    "effective_from": since, "reason": change.reason,
                                    "changed_by": change.changed_by})
                log.append({"entity": "institution", "entity_key": code, "action": "insert" if old is None else "update",
                            "detail": {"before": _text(old) if old else None,
                                       "after": _text({**fields, "agreement_effective_from": since})}})
            for part in _chunks(writes):
                stmt = insert(institutions).values(part)
                conn.execute(stmt.on_conflict_do_update(
                    index_elements=[institutions.c.code],
                    set_={k: stmt.excluded[k] for k in (*INSTITUTION_FIELDS, "agreement_effective_from", "updated_by")}
                    | {"updated_at": sa.func.now()}))
            if history:
                conn.execute(sa.insert(institution_agreements), history)
            for e in log:
                e["detail"] = json.loads(json.dumps(e["detail"], default=str))
            self._commit_changes(conn, change, log)
        return WriteReport(accepted=len(writes), unchanged=len(rows) - len(writes))

    def get_institution(self, code: str) -> tuple[dict[str, str], list[dict[str, str]]]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(institutions).where(institutions.c.code == code)).mappings().first()
            if row is None:
                raise NotFound(f"institution {code} not found")
            hist = conn.execute(sa.select(institution_agreements)
                                .where(institution_agreements.c.institution_code == code)
                                .order_by(institution_agreements.c.id)).mappings().all()
        return _text(row), [_text(h) for h in hist]

    def existing_institutions(self, conn: Connection, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {r["code"]: dict(r) for r in conn.execute(
            sa.select(institutions).where(institutions.c.code.in_(sorted(set(codes))))).mappings()}

    def institution_exists(self, code: str) -> bool:
        with self.engine.connect() as conn:
            return bool(self.existing_institutions(conn, [code]))

    # -- staff ----------------------------------------------------------------------------

    def upsert_staff(self, rows: Sequence[dict[str, Any]], change: Change) -> WriteReport:
        """Insert or update staff. A masked or empty identity number keeps the stored one, so
        re-importing an export changes nothing."""
        codes = [r["code"] for r in rows]
        latest = {r["code"]: r for r in rows}
        with self.engine.begin() as conn:
            existing = {r["code"]: r for r in conn.execute(
                sa.select(staff).where(staff.c.code.in_(codes)).order_by(staff.c.code).with_for_update()).mappings()}
            writes, log = [], []
            for code, r in latest.items():
                old = existing.get(code)
                fields = {k: r[k] for k in STAFF_FIELDS}
                id_number = r.get("id_number") or ""
                new_id = bool(id_number) and not is_masked(id_number)
                digest = self.protector.digest(id_number) if new_id else None
                id_changed = new_id and (old is None or old["id_number_hmac"] != digest)
                if old is not None and not id_changed and all(old[k] == v for k, v in fields.items()):
                    continue
                row: dict[str, Any] = {"code": code, **fields, "updated_by": change.changed_by}
                if id_changed:
                    row |= {"id_number_hmac": digest, "id_number_masked": mask(id_number),
                            "id_number_encrypted": self.protector.encrypt(id_number)}
                elif old is not None:
                    row |= {k: old[k] for k in ("id_number_hmac", "id_number_masked", "id_number_encrypted")}
                else:
                    row |= {"id_number_hmac": None, "id_number_masked": "", "id_number_encrypted": None}
                writes.append(row)
                log.append({"entity": "staff", "entity_key": code, "staff_code": code,
                            "action": "insert" if old is None else "update",
                            "detail": {"before": {k: old[k] for k in STAFF_FIELDS} if old else None,
                                       "after": fields, "id_number_changed": id_changed}})
            for part in _chunks(writes):
                stmt = insert(staff).values(part)
                conn.execute(stmt.on_conflict_do_update(
                    index_elements=[staff.c.code],
                    set_={k: stmt.excluded[k] for k in part[0] if k != "code"} | {"updated_at": sa.func.now()}))
            self._commit_changes(conn, change, log)
        return WriteReport(accepted=len(writes), unchanged=len(rows) - len(writes))

    def get_staff(self, code: str) -> dict[str, str] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(staff).where(staff.c.code == code)).mappings().first()
        return None if row is None else _text(row)

    def reveal_id_number(self, row: Mapping[str, str]) -> str:
        token = row.get("id_number_encrypted") or ""
        return self.protector.decrypt(token) if token else ""

    def list_staff(self, *, dept_code: str = "", institution_code: str = "", id_number: str = "",
                   as_of: date | None = None, after: str = "", limit: int = 100) -> list[dict[str, str]]:
        q = sa.select(staff).where(staff.c.code > after).order_by(staff.c.code).limit(limit)
        if dept_code:
            q = q.where(staff.c.dept_code == dept_code)
        if id_number:
            q = q.where(staff.c.id_number_hmac == self.protector.digest(id_number))
        if institution_code:
            regs = sa.select(registrations.c.staff_code).where(registrations.c.institution_code == institution_code)
            if as_of is not None:
                regs = regs.where(registrations.c.valid_from <= as_of,
                                  sa.or_(registrations.c.valid_to.is_(None), registrations.c.valid_to >= as_of))
            q = q.where(staff.c.code.in_(regs))
        with self.engine.connect() as conn:
            return [_text(r) for r in conn.execute(q).mappings()]

    def export_rows(self, kind: str) -> list[dict[str, Any]]:
        table = {"institutions": institutions, "staff": staff, "registrations": registrations}[kind]
        order = [registrations.c.staff_code, registrations.c.institution_code, registrations.c.valid_from] \
            if kind == "registrations" else [table.c.code]
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(table).order_by(*order)).mappings()]

    # -- registrations --------------------------------------------------------------------

    def add_registrations(self, rows: Sequence[dict[str, Any]], change: Change) -> WriteReport:
        """Record practice periods, each checked against the person's other periods and
        sanctions. The staff rows are locked so two imports cannot slip overlapping periods
        past each other."""
        staff_codes = sorted({r["staff_code"] for r in rows})
        errors: list[tuple[int, Problem]] = []
        accepted = unchanged = 0
        with self.engine.begin() as conn:
            known_staff = set(conn.execute(sa.select(staff.c.code).where(staff.c.code.in_(staff_codes))
                                           .order_by(staff.c.code).with_for_update()).scalars())
            known_inst = set(self.existing_institutions(conn, (r["institution_code"] for r in rows)))
            regs: dict[str, dict[tuple[str, date], dict[str, Any]]] = defaultdict(dict)
            for reg in conn.execute(sa.select(registrations)
                                    .where(registrations.c.staff_code.in_(staff_codes))).mappings():
                regs[reg["staff_code"]][(reg["institution_code"], reg["valid_from"])] = dict(reg)
            sanctions, lifts = self._sanctions(conn, staff_codes)
            writes: dict[tuple[str, str, date], dict[str, Any]] = {}
            log = []
            for i, r in enumerate(rows):
                row_problems = []
                if r["staff_code"] not in known_staff:
                    row_problems.append(Problem("staff_code", f"unknown staff code {r['staff_code']!r}"))
                if r["institution_code"] not in known_inst:
                    row_problems.append(Problem("institution_code",
                                                f"unknown institution code {r['institution_code']!r}"))
                if row_problems:
                    errors += [(i, p) for p in row_problems]
                    continue
                mine = regs[r["staff_code"]]
                key = (r["institution_code"], r["valid_from"])
                old = mine.get(key)
                if old is not None and old["valid_to"] == r["valid_to"]:
                    unchanged += 1
                    continue
                new = RegistrationFact(r["institution_code"], Period(r["valid_from"], r["valid_to"]))
                others = [RegistrationFact(inst, Period(start, o["valid_to"]))
                          for (inst, start), o in mine.items() if (inst, start) != key]
                if why := registration_problem(new, others, sanctions.get(r["staff_code"], []),
                                               lifts.get(r["staff_code"], [])):
                    errors.append((i, Problem("valid_from", why)))
                    continue
                mine[key] = {"institution_code": r["institution_code"], "valid_from": r["valid_from"],
                             "valid_to": r["valid_to"]}
                writes[(r["staff_code"], *key)] = {
                    "staff_code": r["staff_code"], "institution_code": r["institution_code"],
                    "valid_from": r["valid_from"], "valid_to": r["valid_to"],
                    "recorded_by": change.changed_by, "reason": change.reason}
                log.append({"entity": "registration", "staff_code": r["staff_code"],
                            "entity_key": f"{r['staff_code']}@{r['institution_code']}@{r['valid_from']}",
                            "action": "insert" if old is None else "update",
                            "detail": {"before_valid_to": str(old["valid_to"]) if old else None,
                                       "valid_from": str(r["valid_from"]), "valid_to": str(r["valid_to"] or "")}})
                accepted += 1
            for part in _chunks(list(writes.values())):
                stmt = insert(registrations).values(part)
                conn.execute(stmt.on_conflict_do_update(
                    constraint="uq_registration",
                    set_={"valid_to": stmt.excluded.valid_to, "recorded_by": stmt.excluded.recorded_by,
                          "reason": stmt.excluded.reason, "recorded_at": sa.func.now()}))
            self._commit_changes(conn, change, log)
        return WriteReport(accepted=accepted, unchanged=unchanged, errors=tuple(errors))

    def registrations_of(self, code: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(
                sa.select(registrations, institutions.c.level, institutions.c.name.label("institution_name"))
                .join(institutions, institutions.c.code == registrations.c.institution_code)
                .where(registrations.c.staff_code == code)
                .order_by(registrations.c.valid_from, registrations.c.institution_code)).mappings()]

    # -- sanctions ------------------------------------------------------------------------

    @staticmethod
    def _sanctions(conn: Connection, codes: Sequence[str]) -> tuple[dict[str, list[Sanction]], dict[str, list[Lift]]]:
        sanctions: dict[str, list[Sanction]] = defaultdict(list)
        lifts: dict[str, list[Lift]] = defaultdict(list)
        rows = conn.execute(sa.select(status_events).where(status_events.c.staff_code.in_(codes))
                            .order_by(status_events.c.id)).mappings()
        for r in rows:
            if r["status"] == "lifted":
                lifts[r["staff_code"]].append(Lift(r["decision_id"], r["lifts_decision_id"], r["effective_from"]))
            else:
                sanctions[r["staff_code"]].append(Sanction(r["decision_id"], r["status"], r["effective_from"],
                                                           r["effective_to"], r["ban_until"], r["reason"]))
        return sanctions, lifts

    def record_sanction(self, s: Sanction, staff_code: str, change: Change) -> bool:
        """Store a suspension or termination once per decision id. Returns True when it was
        already stored (by an earlier or a concurrent identical request)."""
        print_ = fingerprint(s.status, staff_code, s.start, s.end, s.ban_until)
        with self.engine.begin() as conn:
            # Locking the staff row serialises a sanction with registration writes for the same
            # person, so a registration cannot be checked against the sanctions just before a
            # termination commits and slip into the ban.
            if conn.execute(sa.select(staff.c.code).where(staff.c.code == staff_code).with_for_update()).first() is None:
                raise NotFound(f"staff {staff_code} not found")
            # Two identical requests at once: the second waits on the unique index until the
            # first commits, then inserts nothing and reports the decision as already applied.
            inserted = conn.execute(insert(status_events).values(
                staff_code=staff_code, status=s.status, effective_from=s.start, effective_to=s.end,
                ban_until=s.ban_until, reason=s.reason, decision_id=s.decision_id,
                recorded_by=change.changed_by, fingerprint=print_,
            ).on_conflict_do_nothing(index_elements=[status_events.c.decision_id]).returning(status_events.c.id)).first()
            if inserted is None:
                self._same_decision(conn, s.decision_id, print_)
                return True
            self._commit_changes(conn, change, [{
                "entity": "sanction", "entity_key": s.decision_id, "staff_code": staff_code, "action": s.status,
                "detail": {"start": str(s.start), "end": str(s.end or ""), "ban_until": str(s.ban_until or "")}}])
        return False

    @staticmethod
    def _same_decision(conn: Connection, decision_id: str, print_: str) -> None:
        stored = conn.execute(sa.select(status_events.c.fingerprint)
                              .where(status_events.c.decision_id == decision_id)).scalar_one()
        if stored != print_:
            raise InvalidArgument([FieldViolation(
                "decision_id", f"{decision_id!r} was already used for a different sanction; use a new decision id")])

    def lift_sanction(self, lift_decision_id: str, decision_id: str, effective: date | None,
                      change: Change) -> tuple[str, bool]:
        """Withdraw a sanction from ``effective`` (default: its start). Returns the staff code
        and whether this lift was already stored."""
        with self.engine.begin() as conn:
            target = conn.execute(sa.select(status_events).where(status_events.c.decision_id == decision_id)
                                  ).mappings().first()
            if target is None or target["status"] == "lifted":
                raise NotFound(f"sanction {decision_id} not found")
            day = effective or target["effective_from"]
            print_ = fingerprint("lifted", decision_id, day)
            inserted = conn.execute(insert(status_events).values(
                staff_code=target["staff_code"], status="lifted", effective_from=day, reason=change.reason,
                decision_id=lift_decision_id, lifts_decision_id=decision_id, recorded_by=change.changed_by,
                fingerprint=print_,
            ).on_conflict_do_nothing(index_elements=[status_events.c.decision_id]).returning(status_events.c.id)).first()
            if inserted is None:
                self._same_decision(conn, lift_decision_id, print_)
                return target["staff_code"], True
            self._commit_changes(conn, change, [{
                "entity": "sanction", "entity_key": lift_decision_id, "staff_code": target["staff_code"],
                "action": "lifted", "detail": {"lifts": decision_id, "effective": str(day)}}])
        return target["staff_code"], False

    def status_history(self, code: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(status_events).where(status_events.c.staff_code == code)
                                                  .order_by(status_events.c.id)).mappings()]

    # -- facts for binding checks ---------------------------------------------------------

    def load_facts(self, codes: Sequence[str] | None = None) -> tuple[int, dict[str, StaffFacts]]:
        """The registry's version and the facts of ``codes`` (all staff when None), read in
        one repeatable-read transaction so the two agree."""
        with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            version = int(conn.execute(sa.select(registry_version.c.version)).scalar_one())
            return version, self._facts(conn, codes)

    def load_changes(self, since: int) -> tuple[int, set[str], dict[str, StaffFacts]]:
        """Staff changed after version ``since``, and their current facts."""
        with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            version = int(conn.execute(sa.select(registry_version.c.version)).scalar_one())
            changed = {c for c in conn.execute(
                sa.select(registry_changes.c.staff_code).distinct()
                .where(registry_changes.c.version > since, registry_changes.c.staff_code.is_not(None))).scalars()}
            return version, changed, self._facts(conn, sorted(changed)) if changed else {}

    def _facts(self, conn: Connection, codes: Sequence[str] | None) -> dict[str, StaffFacts]:
        def only(q: Any, column: Any) -> Any:
            return q if codes is None else q.where(column.in_(codes))

        known = conn.execute(only(sa.select(staff.c.code), staff.c.code)).scalars().all()
        regs: dict[str, list[RegistrationFact]] = defaultdict(list)
        for code, inst, start, end in conn.execute(only(
                sa.select(registrations.c.staff_code, registrations.c.institution_code,
                          registrations.c.valid_from, registrations.c.valid_to), registrations.c.staff_code)):
            regs[code].append(RegistrationFact(inst, Period(start, end)))
        sanctions, lifts = self._sanctions(conn, codes) if codes is not None else self._all_sanctions(conn)
        return {c: staff_facts(c, regs.get(c, []), sanctions.get(c, []), lifts.get(c, [])) for c in known}

    def _all_sanctions(self, conn: Connection) -> tuple[dict[str, list[Sanction]], dict[str, list[Lift]]]:
        codes = conn.execute(sa.select(status_events.c.staff_code).distinct()).scalars().all()
        return self._sanctions(conn, list(codes))

    def sanctions_of(self, code: str) -> tuple[list[Sanction], list[Lift]]:
        with self.engine.connect() as conn:
            s, lifts = self._sanctions(conn, [code])
        return s.get(code, []), lifts.get(code, [])

    # -- peers ----------------------------------------------------------------------------

    def peers(self, role: str, dept_code: str, levels: Sequence[str], as_of: date, exclude: str,
              after: str = "", limit: int = 100) -> list[str]:
        """Staff of the same role and department registered on ``as_of`` at an institution of
        one of ``levels``."""
        q = (sa.select(staff.c.code).distinct()
             .join(registrations, registrations.c.staff_code == staff.c.code)
             .join(institutions, institutions.c.code == registrations.c.institution_code)
             .where(staff.c.role == role, staff.c.dept_code == dept_code, institutions.c.level.in_(levels),
                    registrations.c.valid_from <= as_of,
                    sa.or_(registrations.c.valid_to.is_(None), registrations.c.valid_to >= as_of),
                    staff.c.code != exclude, staff.c.code > after)
             .order_by(staff.c.code).limit(limit))
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())
