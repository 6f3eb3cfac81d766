"""National code formats. Prefixes and lengths are configuration: provinces differ."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CodeFormats:
    institution: str = r"[HP]\d{6}\d{5}"          # H hospital / P pharmacy + division 6 + serial 5
    staff: str = r"[DYNJ]\d{6}\d{5,6}"            # doctor, pharmacist (Y), nurse (N), technician (J)
    division: str = r"\d{6}"

    def check(self, kind: str, value: str) -> str | None:
        """None when ``value`` is well formed, else the reason it is not."""
        pattern = getattr(self, kind)
        if not value:
            return "required"
        if re.fullmatch(pattern, value) is None:
            return f"{value!r} does not match the {kind} code format {pattern}"
        return None
