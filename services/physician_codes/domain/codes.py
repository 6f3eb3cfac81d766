"""National code formats. Prefixes and lengths are configuration: provinces differ.

Every pattern is read once at start from the environment and compiled then, so a bad
pattern stops the service with a message naming the variable, not the first request.
A pattern with a named group ``division`` ties the embedded division to the record's own
division field (an institution ``H321181xxxxx`` must be in division 321181).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from fundguard.runtime.settings import SettingsError

DEFAULT_INSTITUTION = r"[HP](?P<division>\d{6})\d{5}"   # H hospital / P pharmacy + division 6 + serial 5
# Doctor D, pharmacist Y, nurse N, technician J (+ division 6 + serial 5 or 6), or an
# institution's own pharmacy (HY) or technical (HJ) staff: 14 characters.
DEFAULT_STAFF = r"(?:[DYNJ](?P<division>\d{6})\d{5,6})|(?:H[YJ]\d{6}\d{6})"
DEFAULT_DIVISION = r"\d{6}"
DEFAULT_ROLE_PREFIXES = "doctor:D,pharmacist:Y|HY,nurse:N,technician:J|HJ"

ENV_INSTITUTION = "FUNDGUARD_INSTITUTION_CODE_PATTERN"
ENV_STAFF = "FUNDGUARD_STAFF_CODE_PATTERN"
ENV_DIVISION = "FUNDGUARD_DIVISION_CODE_PATTERN"
ENV_ROLE_PREFIXES = "FUNDGUARD_STAFF_ROLE_PREFIXES"


def _compile(var: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise SettingsError(f"{var} is not a valid regular expression ({exc}): {pattern!r}") from exc


def _role_prefixes(var: str, text: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        role, sep, prefixes = part.partition(":")
        if not sep or not role.strip() or not prefixes.strip():
            raise SettingsError(f"{var} must look like 'doctor:D,pharmacist:Y|HY', got {text!r}")
        out[role.strip()] = tuple(p.strip() for p in prefixes.split("|") if p.strip())
    if not out:
        raise SettingsError(f"{var} names no role")
    return out


@dataclass(frozen=True)
class CodeFormats:
    institution: re.Pattern[str] = field(default_factory=lambda: re.compile(DEFAULT_INSTITUTION))
    staff: re.Pattern[str] = field(default_factory=lambda: re.compile(DEFAULT_STAFF))
    division: re.Pattern[str] = field(default_factory=lambda: re.compile(DEFAULT_DIVISION))
    role_prefixes: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: _role_prefixes(ENV_ROLE_PREFIXES, DEFAULT_ROLE_PREFIXES))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CodeFormats:
        return cls(
            institution=_compile(ENV_INSTITUTION, env.get(ENV_INSTITUTION, DEFAULT_INSTITUTION)),
            staff=_compile(ENV_STAFF, env.get(ENV_STAFF, DEFAULT_STAFF)),
            division=_compile(ENV_DIVISION, env.get(ENV_DIVISION, DEFAULT_DIVISION)),
            role_prefixes=_role_prefixes(ENV_ROLE_PREFIXES, env.get(ENV_ROLE_PREFIXES, DEFAULT_ROLE_PREFIXES)),
        )

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(sorted(self.role_prefixes))

    def check(self, kind: str, value: str) -> str | None:
        """None when ``value`` is well formed, else the reason it is not."""
        pattern: re.Pattern[str] = getattr(self, kind)
        if not value:
            return "required"
        if value != value.strip():
            return f"{value!r} has surrounding spaces"
        if pattern.fullmatch(value) is None:
            return f"{value!r} does not match the {kind} code format {pattern.pattern}"
        return None

    def embedded_division(self, kind: str, value: str) -> str | None:
        """The division the code carries, when its pattern names one."""
        m = getattr(self, kind).fullmatch(value)
        if m is None or "division" not in m.re.groupindex:
            return None
        return m.group("division")

    def check_role(self, code: str, role: str) -> str | None:
        """None when the code's prefix fits the role (a D-code is a doctor's), else why not."""
        prefixes = self.role_prefixes.get(role)
        if prefixes is None:
            return f"must be one of {', '.join(self.roles)}, got {role!r}"
        if code and not code.startswith(prefixes):
            return f"a {role}'s code starts with {' or '.join(prefixes)}, got {code!r}"
        return None
