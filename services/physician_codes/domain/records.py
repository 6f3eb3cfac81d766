"""Checking registry records field by field, the same way for one gRPC upsert and for every
row of a CSV import, so a row is accepted or refused for the same reasons either way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from services.physician_codes.domain.codes import CodeFormats

LEVELS = ("1", "2", "3")
INSTITUTION_TYPES = ("hospital", "clinic", "pharmacy")
AGREEMENT_STATUSES = ("active", "suspended", "terminated")

INSTITUTION_COLUMNS = ("code", "name", "level", "type", "division", "agreement_status", "agreement_effective_from")
STAFF_COLUMNS = ("code", "name", "role", "title", "dept_code", "id_number")
REGISTRATION_COLUMNS = ("staff_code", "institution_code", "valid_from", "valid_to")
REQUIRED_COLUMNS = {
    "institutions": ("code", "name", "level", "division"),
    "staff": ("code", "name", "role"),
    "registrations": ("staff_code", "institution_code", "valid_from"),
}
COLUMNS = {"institutions": INSTITUTION_COLUMNS, "staff": STAFF_COLUMNS, "registrations": REGISTRATION_COLUMNS}


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str


def parse_day(value: str, field: str, problems: list[Problem], *, required: bool = False) -> date | None:
    if not value:
        if required:
            problems.append(Problem(field, "required"))
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(Problem(field, f"must be a date YYYY-MM-DD, got {value!r}"))
        return None


def _text(row: Mapping[str, str | None], key: str) -> str:
    return (row.get(key) or "").strip()


def check_institution(row: Mapping[str, str | None], formats: CodeFormats) -> tuple[dict[str, object], list[Problem]]:
    code, division = (row.get("code") or ""), _text(row, "division")
    problems = [Problem(f, reason) for f, reason in (
        ("code", formats.check("institution", code)), ("division", formats.check("division", division))) if reason]
    embedded = formats.embedded_division("institution", code)
    if embedded is not None and not any(p.field == "division" for p in problems) and embedded != division:
        problems.append(Problem("division", f"the code {code} belongs to division {embedded}, not {division}"))
    name, level = _text(row, "name"), _text(row, "level")
    kind = _text(row, "type") or ("pharmacy" if code.startswith("P") else "hospital")
    status = _text(row, "agreement_status") or "active"
    if not name:
        problems.append(Problem("name", "required"))
    if level not in LEVELS:
        problems.append(Problem("level", f"must be 1, 2 or 3, got {level!r}"))
    if kind not in INSTITUTION_TYPES:
        problems.append(Problem("type", f"must be one of {', '.join(INSTITUTION_TYPES)}, got {kind!r}"))
    if status not in AGREEMENT_STATUSES:
        problems.append(Problem("agreement_status", f"must be one of {', '.join(AGREEMENT_STATUSES)}, got {status!r}"))
    since = parse_day(_text(row, "agreement_effective_from"), "agreement_effective_from", problems)
    return ({"code": code, "name": name, "level": level, "type": kind, "division": division,
             "agreement_status": status, "agreement_effective_from": since}, problems)


def check_staff(row: Mapping[str, str | None], formats: CodeFormats) -> tuple[dict[str, object], list[Problem]]:
    code, role = (row.get("code") or ""), _text(row, "role")
    problems: list[Problem] = []
    if reason := formats.check("staff", code):
        problems.append(Problem("code", reason))
    if reason := formats.check_role("" if problems else code, role):
        problems.append(Problem("role", reason))
    name = _text(row, "name")
    if not name:
        problems.append(Problem("name", "required"))
    id_number = _text(row, "id_number")
    if id_number and "*" not in id_number and not (id_number[:-1].isdigit() and (id_number[-1].isdigit()
                                                                                  or id_number[-1] in "xX")):
        problems.append(Problem("id_number", "must be digits (the last may be X)"))
    return ({"code": code, "name": name, "role": role, "title": _text(row, "title"),
             "dept_code": _text(row, "dept_code"), "id_number": id_number}, problems)


def check_registration(row: Mapping[str, str | None], formats: CodeFormats) -> tuple[dict[str, object], list[Problem]]:
    staff_code, institution_code = (row.get("staff_code") or ""), (row.get("institution_code") or "")
    problems = [Problem(f, reason) for f, reason in (
        ("staff_code", formats.check("staff", staff_code)),
        ("institution_code", formats.check("institution", institution_code))) if reason]
    start = parse_day(_text(row, "valid_from"), "valid_from", problems, required=True)
    end = parse_day(_text(row, "valid_to"), "valid_to", problems)
    if start and end and end < start:
        problems.append(Problem("valid_to", "must not be before valid_from"))
    return ({"staff_code": staff_code, "institution_code": institution_code, "valid_from": start,
             "valid_to": end}, problems)


CHECKS = {"institutions": check_institution, "staff": check_staff, "registrations": check_registration}
