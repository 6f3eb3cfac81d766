"""The registry's CSV format, read and written the same way (an export imports unchanged)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.physician_codes.domain.records import COLUMNS, REQUIRED_COLUMNS, Problem


@dataclass(frozen=True)
class RowError:
    row: int  # line number in the file; the header is line 1
    field: str
    reason: str


class BadFile(ValueError):
    """The file as a whole cannot be read (encoding, header); no row is looked at."""


def read_rows(data: bytes, kind: str) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """The data rows with their line numbers, and rows refused for their shape alone."""
    if kind not in COLUMNS:
        raise BadFile(f"kind must be one of {', '.join(COLUMNS)}, got {kind!r}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile(f"not UTF-8 text: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise BadFile("empty file: a header row is required")
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS[kind] if c not in header]
    unknown = [c for c in header if c not in COLUMNS[kind]]
    if missing or unknown:
        parts = ([f"missing columns {', '.join(missing)}"] if missing else []) + (
            [f"unknown columns {', '.join(unknown)}"] if unknown else [])
        raise BadFile(f"{'; '.join(parts)}; expected {', '.join(COLUMNS[kind])}")
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[RowError] = []
    for record in reader:
        line = reader.line_num
        if None in record:
            errors.append(RowError(line, "", f"more values than the {len(header)} columns of the header"))
            continue
        if all(not (v or "").strip() for v in record.values()):
            continue  # blank line
        if any(v is None for v in record.values()):
            errors.append(RowError(line, "", f"fewer values than the {len(header)} columns of the header"))
            continue
        rows.append((line, {k: v for k, v in record.items() if k is not None}))
    return rows, errors


def row_errors(line: int, problems: Iterable[Problem]) -> list[RowError]:
    return [RowError(line, p.field, p.reason) for p in problems]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_rows(kind: str, rows: Iterable[Mapping[str, Any]]) -> tuple[bytes, int]:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS[kind]), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in COLUMNS[kind]})
        n += 1
    return out.getvalue().encode("utf-8"), n
