"""Institutions, staff, registrations and sanctions of the synthetic province.

Codes follow the national formats: institutions H/P + 6-digit division + 5-digit serial,
staff D + division + 5-digit serial, identity numbers 18 characters with their check digit.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

DIVISIONS = ("321102", "321111", "321112", "321181", "321182", "321183")
DIVISION_NAMES = {"321102": "京口区", "321111": "润州区", "321112": "丹徒区", "321181": "丹阳市",
                  "321182": "扬中市", "321183": "句容市"}
DEPTS = ("A01", "A02", "A03", "A04", "A05", "A07", "A50")  # 预防保健 全科 内科 外科 妇产 儿科 中医
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建国文华红梅玉兰志强海燕晓东春梅立新"
TITLES = ("主任医师", "副主任医师", "主治医师", "医师")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


@dataclass
class Institution:
    code: str
    name: str
    level: str
    kind: str  # hospital | clinic | pharmacy
    division: str
    staff: list[Staff] = field(default_factory=list)


@dataclass
class Registration:
    institution_code: str
    valid_from: int  # day ordinal
    valid_to: int | None  # inclusive; None open


@dataclass
class Staff:
    code: str
    name: str
    role: str
    title: str
    dept: str
    id_number: str
    registrations: list[Registration] = field(default_factory=list)
    suspensions: list[tuple[int, int]] = field(default_factory=list)  # inclusive day ranges

    def registered(self, institution_code: str, day: int) -> bool:
        return any(r.institution_code == institution_code and r.valid_from <= day
                   and (r.valid_to is None or day <= r.valid_to) for r in self.registrations)

    def suspended(self, day: int) -> bool:
        return any(a <= day <= b for a, b in self.suspensions)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def id_number(division: str, birth: str, serial: int) -> str:
    body = f"{division}{birth}{serial % 1000:03d}"
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


@dataclass
class Registry:
    institutions: list[Institution]
    staff: list[Staff]

    def by_kind(self, kind: str, level: str | None = None) -> list[Institution]:
        return [i for i in self.institutions if i.kind == kind and (level is None or i.level == level)]


def _mix(n: int) -> list[tuple[str, str]]:
    """(kind, level) for n institutions: mostly clinics and pharmacies, a few big hospitals,
    and at least one of each kind so even a tiny world has somewhere to be admitted."""
    base = [("hospital", "3"), ("hospital", "2"), ("hospital", "2"), ("clinic", "1"), ("pharmacy", "1"),
            ("pharmacy", "1")]
    cycle = [("clinic", "1")] * 10 + [("pharmacy", "1")] * 6 + [("hospital", "2")] * 3 + [("hospital", "3")]
    out = base[:n] if n < len(base) else list(base)
    while len(out) < n:
        out.append(cycle[len(out) % len(cycle)])
    return out


def build_registry(rng: random.Random, institutions: int, start: int, end: int) -> Registry:
    """Institutions with their staff; every staff member is registered where they work."""
    insts: list[Institution] = []
    serial = {d: 0 for d in DIVISIONS}
    for n, (kind, level) in enumerate(_mix(max(institutions, 6))):
        division = DIVISIONS[n % len(DIVISIONS)]
        serial[division] += 1
        prefix = "P" if kind == "pharmacy" else "H"
        code = f"{prefix}{division}{serial[division]:05d}"
        place = DIVISION_NAMES[division]
        name = {"hospital": f"{place}第{serial[division]}人民医院" if level == "3" else f"{place}第{serial[division]}中心医院",
                "clinic": f"{place}第{serial[division]}社区卫生服务中心",
                "pharmacy": f"{place}第{serial[division]}大药房"}[kind]
        insts.append(Institution(code, name, level, kind, division))
    staff: list[Staff] = []
    staff_serial = {d: 0 for d in DIVISIONS}
    for inst in insts:
        count = {"3": 24, "2": 10, "1": 4}[inst.level] if inst.kind != "pharmacy" else 2
        for _ in range(count):
            staff_serial[inst.division] += 1
            s_no = staff_serial[inst.division]
            birth_year = rng.randint(1960, 1995)
            birth = f"{birth_year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            role = "pharmacist" if inst.kind == "pharmacy" else "doctor"
            dept = "A50" if role == "pharmacist" else rng.choice(DEPTS[1:] if inst.kind == "hospital" else DEPTS[:3])
            s = Staff(f"D{inst.division}{s_no:05d}", person_name(rng), role,
                      "药师" if role == "pharmacist" else rng.choice(TITLES), dept,
                      id_number(inst.division, birth, s_no))
            s.registrations.append(Registration(inst.code, start - rng.randint(200, 3000), None))
            inst.staff.append(s)
            staff.append(s)
    doctors = [s for s in staff if s.role == "doctor"]
    hospitals = [i for i in insts if i.kind != "pharmacy"]
    for s in doctors:
        roll = rng.random()
        home = s.registrations[0].institution_code
        others = [i for i in hospitals if i.code != home]
        if roll < 0.12 and others:  # multi-site practice: a second registration
            other = rng.choice(others)
            s.registrations.append(Registration(other.code, start - rng.randint(30, 900), None))
            other.staff.append(s)
        elif roll < 0.16 and others and end - start > 60:  # moved mid-period
            move = rng.randint(start + 20, end - 20)
            s.registrations[0].valid_to = move - 1
            other = rng.choice(others)
            s.registrations.append(Registration(other.code, move, None))
            other.staff.append(s)
        elif roll < 0.18 and end - start > 60:  # a suspension they respect
            a = rng.randint(start, end - 30)
            s.suspensions.append((a, a + rng.randint(14, 60)))
    return Registry(insts, staff)


def _day(ordinal: int | None) -> str:
    from datetime import date

    return "" if ordinal is None else date.fromordinal(ordinal).isoformat()


def write_registry(folder: Path, registry: Registry) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "institutions.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name", "level", "type", "division"])
        for i in registry.institutions:
            w.writerow([i.code, i.name, i.level, i.kind, i.division])
    with (folder / "staff.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name", "role", "title", "dept_code", "id_number"])
        for s in registry.staff:
            w.writerow([s.code, s.name, s.role, s.title, s.dept, s.id_number])
    with (folder / "registrations.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["staff_code", "institution_code", "valid_from", "valid_to"])
        for s in registry.staff:
            for r in s.registrations:
                w.writerow([s.code, r.institution_code, _day(r.valid_from), _day(r.valid_to)])
    with (folder / "sanctions.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["staff_code", "kind", "valid_from", "valid_to", "reason"])
        for s in registry.staff:
            for a, b in s.suspensions:
                w.writerow([s.code, "suspension", _day(a), _day(b), "暂停医保医师服务资格"])
