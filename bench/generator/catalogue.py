"""The synthetic province's catalogue (drugs, services, consumables) and diagnoses.

Written in catalogue format v1 (docs/catalogue.md, /work/helpers/CONTRACTS.md) so the rules
service loads exactly what the generator billed against. Every constraint written here is
honoured by the clean world: sex limits, age limits, care settings, institution levels,
indications, quantity caps and the pair tables; violations appear only where injected.
Prices are whole cents (int) so every amount is exact.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

CHILD_MAX_DAYS = 6574  # < 18 years
ELDERLY_YEARS = 65
CAPPED_WINDOW_DAYS = 7  # R-SPLIT-PRESCRIPTION's window
AGE_MARGIN_DAYS = 31
# Items are in force from long before any generated period, so a charge dated just before a
# period's first day (an injected charge outside a stay) still finds its item.
CATALOGUE_FROM = "2020-01-01"


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    item_type: str  # 101 drug, 102 herb, 201 service, 301 consumable
    item_class: str  # 01 甲, 02 乙, 03 丙
    kind: str
    price: int  # cents, the usual billed unit price (level 3)
    ceilings: tuple[int, int, int] | None = None  # cents per institution level 1, 2, 3
    sex_limit: str = ""
    min_age_days: int | None = None
    max_age_days: int | None = None
    elderly_caution: bool = False
    indications: tuple[str, ...] = ()
    care_settings: tuple[str, ...] = ("1", "2", "3")
    levels: tuple[str, ...] = ("1", "2", "3")
    max_quantity: int | None = None  # per encounter
    pregnancy_caution: bool = False

    def price_at(self, level: str) -> int:
        """The usual unit price at an institution of this level; never above its ceiling."""
        if self.ceilings is None:
            return self.price
        return self.ceilings[int(level) - 1] * 9 // 10

    def ceiling_at(self, level: str) -> int | None:
        return None if self.ceilings is None else self.ceilings[int(level) - 1]

    def allowed(self, sex: str, age_days: int, setting: str, level: str, diagnoses: tuple[str, ...]) -> bool:
        """Whether billing this item breaks none of its own catalogue constraints."""
        if self.sex_limit and self.sex_limit != sex:
            return False
        # A month's margin on every age limit: however a rule counts ages, the clean world
        # stays clear of the boundary.
        if self.min_age_days is not None and age_days < self.min_age_days + AGE_MARGIN_DAYS:
            return False
        if self.max_age_days is not None and age_days > self.max_age_days - AGE_MARGIN_DAYS:
            return False
        if self.elderly_caution and age_days >= ELDERLY_YEARS * 365 - AGE_MARGIN_DAYS:
            return False
        if setting not in self.care_settings or level not in self.levels:
            return False
        return not (self.indications and not any(d.startswith(p) for d in diagnoses for p in self.indications))


def _svc(code: str, name: str, kind: str, c1: int, c2: int, c3: int, **kw: object) -> Item:
    return Item(code, name, "201", "01", kind, c3, (c1, c2, c3), **kw)  # type: ignore[arg-type]


def _drug(code: str, name: str, price: int, cls: str = "01", **kw: object) -> Item:
    return Item(code, name, "101", cls, "drug", price, **kw)  # type: ignore[arg-type]


OUT_PHARM = ("1", "3")

ITEMS: tuple[Item, ...] = (
    # services: consultation, labs, exams, treatment, bed, nursing, surgery
    _svc("110200001", "普通门诊诊查费", "service", 500, 800, 1000, care_settings=("1",)),
    _svc("110200002", "副主任医师门诊诊查费", "service", 1500, 2000, 2500, care_settings=("1",), levels=("2", "3")),
    _svc("250101001", "血常规", "lab", 1500, 1800, 2000),
    _svc("250203001", "C反应蛋白测定", "lab", 2500, 3000, 3500),
    _svc("250301001", "肝功能检查", "lab", 4000, 4500, 5000),
    _svc("250302001", "肾功能检查", "lab", 3500, 4000, 4500),
    _svc("250310001", "血糖测定", "lab", 500, 600, 800),
    _svc("250307001", "血脂四项", "lab", 4000, 4500, 5000),
    _svc("250307002", "总胆固醇测定", "lab", 800, 1000, 1200),
    _svc("250307003", "甘油三酯测定", "lab", 800, 1000, 1200),
    _svc("250401001", "尿常规", "lab", 800, 1000, 1200),
    _svc("250305011", "前列腺特异性抗原测定(PSA)", "lab", 4500, 5000, 5500, sex_limit="1"),
    _svc("250308001", "人绒毛膜促性腺激素测定(HCG)", "lab", 3000, 3500, 4000, sex_limit="2"),
    _svc("210102001", "X线胸部正位片", "exam", 4000, 5000, 6000, levels=("2", "3")),
    _svc("210300001", "X线计算机体层(CT)平扫", "ct", 11000, 13000, 15000, levels=("2", "3")),
    _svc("210400001", "磁共振(MRI)平扫", "mri", 40000, 45000, 50000, levels=("3",)),
    _svc("220201001", "B超常规检查", "exam", 4000, 5000, 6000),
    _svc("220600001", "常规心电图检查", "exam", 1500, 2000, 2500),
    _svc("311201001", "妇科检查", "exam", 800, 1000, 1200, sex_limit="2"),
    _svc("311300001", "前列腺按摩", "treatment", 1000, 1200, 1500, sex_limit="1"),
    _svc("120400001", "静脉输液", "treatment", 800, 1000, 1200),
    _svc("120100001", "I级护理", "nursing", 1800, 2200, 2600, care_settings=("2",)),
    _svc("110900001", "普通病房床位费", "bed", 3000, 4000, 5000, care_settings=("2",)),
    _svc("331001001", "阑尾切除术", "surgery", 80000, 100000, 120000, care_settings=("2",), levels=("2", "3")),
    _svc("311101001", "阴道分娩", "surgery", 60000, 80000, 100000, care_settings=("2",), levels=("2", "3"),
         sex_limit="2"),
    # drugs
    _drug("XJ01CAA040A001", "阿莫西林胶囊", 1250),
    _drug("XJ01DDC040A001", "头孢克肟分散片", 2860, cls="02", max_quantity=6, care_settings=OUT_PHARM),
    _drug("XM01AEB010A001", "布洛芬缓释胶囊", 1580),
    _drug("XR05XXF020A001", "复方甘草片", 650),
    _drug("XA10BAE010A001", "二甲双胍片", 1820, indications=("E11",)),
    _drug("XC08CAA010A001", "氨氯地平片", 2340, indications=("I10", "I25")),
    _drug("XC10AAA050A001", "阿托伐他汀钙片", 3150, indications=("E78", "I25", "I63")),
    _drug("XA02BCO010A001", "奥美拉唑肠溶胶囊", 1890),
    _drug("XB05BBN010B002", "氯化钠注射液", 350, care_settings=("1", "2")),
    _drug("XB05BAP010B002", "葡萄糖注射液", 420, care_settings=("1", "2")),
    _drug("XJ01MAL040B001", "左氧氟沙星注射液", 2680, cls="02", care_settings=("1", "2"), min_age_days=CHILD_MAX_DAYS),
    _drug("XN05CDA040A001", "艾司唑仑片", 980, cls="02", max_quantity=6, care_settings=OUT_PHARM, elderly_caution=True),
    _drug("XN02AXQ010A001", "盐酸曲马多片", 1560, cls="02", max_quantity=6, care_settings=OUT_PHARM,
          min_age_days=CHILD_MAX_DAYS),
    _drug("XR05XAC010A001", "小儿氨酚黄那敏颗粒", 1280, max_age_days=CHILD_MAX_DAYS),
    _drug("XA11GAW010A001", "维生素C片", 300),
    _drug("XB01ACA010A001", "阿司匹林肠溶片", 1520, indications=("I25", "I63")),
    _drug("XG03DAH010B002", "黄体酮注射液", 2450, sex_limit="2", min_age_days=CHILD_MAX_DAYS),
    _drug("XG03CAW010A001", "戊酸雌二醇片", 3680, cls="02", sex_limit="2", min_age_days=CHILD_MAX_DAYS),
    _drug("XG04CAT010E001", "盐酸坦索罗辛缓释胶囊", 4250, cls="02", sex_limit="1", min_age_days=CHILD_MAX_DAYS),
    _drug("XG04CBF010A001", "非那雄胺片", 5860, cls="02", sex_limit="1", min_age_days=CHILD_MAX_DAYS),
    _drug("XJ01DCF010B001", "注射用头孢呋辛钠", 1890, care_settings=("2",)),
    _drug("XB01ABH010B001", "低分子肝素钠注射液", 3560, cls="02", care_settings=("2",)),
    _drug("XN07XXD010B001", "依达拉奉注射液", 8750, cls="02", care_settings=("2",), indications=("I63",)),
    _drug("XA10ABI010B001", "胰岛素注射液", 6230, care_settings=("2",), indications=("E11",)),
    _drug("XH01BBO010B001", "缩宫素注射液", 850, care_settings=("2",), sex_limit="2", indications=("O",)),
    # herbal pieces (priced per gram)
    Item("T001700101", "黄芪", "102", "01", "herb", 18, care_settings=OUT_PHARM),
    Item("T001700102", "当归", "102", "01", "herb", 32, care_settings=OUT_PHARM),
    Item("T001700103", "甘草", "102", "01", "herb", 12, care_settings=OUT_PHARM),
    Item("T001700104", "甘遂", "102", "02", "herb", 45, care_settings=OUT_PHARM),  # never billed with 甘草
    # consumables
    Item("C14010101", "一次性使用无菌注射器", "301", "01", "consumable", 80),
    Item("C14020101", "一次性使用输液器", "301", "01", "consumable", 260, care_settings=("1", "2")),
    Item("C02030101", "医用棉签", "301", "01", "consumable", 150),
)
BY_CODE: dict[str, Item] = {i.code: i for i in ITEMS}

# Codes never billed by the clean world: they exist to make the pair tables meaningful.
NEVER_BILLED = frozenset({"T001700104", "XA11GAW010A001", "110200002", "C14020101", "XB01ABH010B001",
                          "250307001", "250307002", "250307003"})

CONTAINS = (("120400001", "C14020101"),)  # an infusion fee includes its giving set
BUNDLES = (("250307001", "250307002"), ("250307001", "250307003"))  # 血脂四项 replaces its parts
SIMILAR_ACTION = (("NSAID", "XM01AEB010A001"), ("NSAID", "XN02AXQ010A001"))
INTERACTIONS = (("XB01ACA010A001", "XB01ABH010B001", "major"),)
HERB_INCOMPATIBLE = (("T001700103", "T001700104"),)
REQUIRES_SERVICE = (("XB05BBN010B002", "120400001"), ("XB05BAP010B002", "120400001"),
                    ("XJ01MAL040B001", "120400001"))
DIAGNOSIS_SEX = (("N40", "1"), ("N76", "2"), ("O", "2"))
DIAGNOSIS_AGE = (("O", 5113, 20089), ("P", 0, 28))
PROCEDURE_SEX = (("73.5", "2"),)
DIAGNOSIS_PROCEDURE = (("K35", "47.0"), ("O80", "73.5"))


@dataclass(frozen=True)
class Diagnosis:
    code: str
    name: str
    sex: str  # "" any
    min_years: int
    max_years: int
    weight: float
    drugs: tuple[str, ...]
    tests: tuple[str, ...]


OUTPATIENT_DIAGNOSES: tuple[Diagnosis, ...] = (
    Diagnosis("J06.900", "急性上呼吸道感染", "", 0, 120, 5.0,
              ("XJ01CAA040A001", "XM01AEB010A001", "XR05XXF020A001", "XR05XAC010A001", "XJ01DDC040A001"),
              ("250101001", "250203001")),
    Diagnosis("J20.900", "急性支气管炎", "", 0, 120, 2.0,
              ("XJ01CAA040A001", "XR05XXF020A001", "XJ01DDC040A001", "XR05XAC010A001"),
              ("250101001", "210102001")),
    Diagnosis("I10.x00", "原发性高血压", "", 35, 120, 3.0, ("XC08CAA010A001",), ("220600001", "250302001")),
    Diagnosis("E11.900", "2型糖尿病", "", 30, 120, 2.5, ("XA10BAE010A001",), ("250310001", "250301001")),
    Diagnosis("E78.500", "高脂血症", "", 30, 120, 1.5, ("XC10AAA050A001",), ("250301001",)),
    Diagnosis("K29.700", "胃炎", "", 12, 120, 2.0, ("XA02BCO010A001",), ("220201001",)),
    Diagnosis("M54.500", "腰痛", "", 18, 120, 1.5, ("XM01AEB010A001", "XN02AXQ010A001"), ("210300001",)),
    Diagnosis("I25.100", "冠状动脉粥样硬化性心脏病", "", 45, 120, 1.5,
              ("XB01ACA010A001", "XC10AAA050A001", "XC08CAA010A001"), ("220600001",)),
    Diagnosis("G47.000", "失眠", "", 18, 64, 1.0, ("XN05CDA040A001",), ()),
    Diagnosis("R51.x00", "头痛", "", 6, 120, 1.0, ("XM01AEB010A001",), ("210300001", "210400001")),
    Diagnosis("N40.x00", "前列腺增生", "1", 45, 120, 1.0, ("XG04CAT010E001", "XG04CBF010A001"), ("250305011",)),
    Diagnosis("N76.000", "阴道炎", "2", 16, 80, 1.0, ("XA02BCO010A001",), ("311201001", "250401001")),
    Diagnosis("N95.100", "绝经期综合征", "2", 45, 60, 0.5, ("XG03CAW010A001",), ("311201001",)),
    Diagnosis("N97.900", "女性不孕症", "2", 22, 42, 0.3, ("XG03DAH010B002",), ("250308001",)),
    Diagnosis("Z00.000", "健康查体", "", 0, 120, 0.8, ("T001700101", "T001700102", "T001700103"), ("250101001",)),
)

INPATIENT_DIAGNOSES: tuple[Diagnosis, ...] = (
    Diagnosis("J18.900", "肺炎", "", 0, 120, 3.0,
              ("XJ01DCF010B001", "XB05BBN010B002", "XR05XXF020A001", "XA02BCO010A001"),
              ("250101001", "250203001", "210102001")),
    Diagnosis("I63.900", "脑梗死", "", 45, 120, 2.0,
              ("XN07XXD010B001", "XB01ACA010A001", "XC10AAA050A001", "XB05BBN010B002"),
              ("210300001", "250301001", "250302001")),
    Diagnosis("I25.100", "冠状动脉粥样硬化性心脏病", "", 45, 120, 1.5,
              ("XB01ACA010A001", "XC10AAA050A001", "XC08CAA010A001", "XB05BAP010B002"),
              ("220600001", "250301001")),
    Diagnosis("E11.900", "2型糖尿病", "", 30, 120, 1.5,
              ("XA10ABI010B001", "XA10BAE010A001", "XB05BBN010B002"), ("250310001", "250302001")),
    Diagnosis("K35.800", "急性阑尾炎", "", 6, 90, 1.0,
              ("XJ01DCF010B001", "XB05BBN010B002", "XB05BAP010B002"), ("250101001", "220201001")),
    Diagnosis("O80.000", "单胎顺产", "2", 20, 42, 1.0,
              ("XH01BBO010B001", "XB05BAP010B002"), ("250101001", "220201001")),
)
SURGERY = {"K35.800": ("331001001", "47.0901", "腹腔镜下阑尾切除术"), "O80.000": ("311101001", "73.5901", "阴道分娩")}


def conflicts() -> dict[str, frozenset[str]]:
    """For each code, the codes it must never share an encounter with in the clean world:
    contained pairs, bundle members, similar action, interactions, incompatible herbs."""
    pairs: list[tuple[str, str]] = [(a, b) for a, b in CONTAINS] + [(a, b) for a, b, _ in INTERACTIONS]
    pairs += list(HERB_INCOMPATIBLE)
    groups: dict[str, list[str]] = {}
    for g, code in SIMILAR_ACTION:
        groups.setdefault(g, []).append(code)
    for members in groups.values():
        pairs += [(a, b) for a in members for b in members if a < b]
    out: dict[str, set[str]] = {}
    for a, b in pairs:
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return {k: frozenset(v) for k, v in out.items()}


def required_services() -> dict[str, str]:
    return dict(REQUIRES_SERVICE)


def _cents(c: int | None) -> str:
    return "" if c is None else f"{c // 100}.{c % 100:02d}"


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


ITEM_HEADER = [
    "item_code", "name", "item_type", "item_class", "item_kind", "price_ceiling_1", "price_ceiling_2",
    "price_ceiling_3", "sex_limit", "min_age_days", "max_age_days", "elderly_caution", "indications",
    "departments", "care_settings", "institution_levels", "insurance_scope", "second_line", "pregnancy_caution",
    "max_quantity", "quantity_window", "max_times", "times_window", "course_days", "max_payable_days",
    "effective_from", "effective_to",
]


def catalogue_files() -> dict[str, str]:
    """The catalogue as {file name: CSV text}, exactly what is written to DIR/catalogue/."""
    rows = []
    for i in ITEMS:
        c = i.ceilings or (None, None, None)
        rows.append([
            i.code, i.name, i.item_type, i.item_class, i.kind, _cents(c[0]), _cents(c[1]), _cents(c[2]), i.sex_limit,
            "" if i.min_age_days is None else str(i.min_age_days),
            "" if i.max_age_days is None else str(i.max_age_days),
            "1" if i.elderly_caution else "0", "|".join(i.indications), "", "|".join(i.care_settings),
            "|".join(i.levels), "basic", "0",
            "1" if i.pregnancy_caution else "0",
            "" if i.max_quantity is None else str(i.max_quantity), "" if i.max_quantity is None else "encounter",
            "", "", "", "", CATALOGUE_FROM, "",
        ])
    return {
        "items.csv": _csv(ITEM_HEADER, rows),
        "contains.csv": _csv(["item_code", "contained_code"], [list(r) for r in CONTAINS]),
        "bundles.csv": _csv(["bundle_code", "item_code"], [list(r) for r in BUNDLES]),
        "similar_action.csv": _csv(["group_code", "item_code"], [list(r) for r in SIMILAR_ACTION]),
        "interactions.csv": _csv(["item_code_a", "item_code_b", "severity"], [list(r) for r in INTERACTIONS]),
        "herb_incompatible.csv": _csv(["item_code_a", "item_code_b"], [list(r) for r in HERB_INCOMPATIBLE]),
        "requires_service.csv": _csv(["item_code", "service_code"], [list(r) for r in REQUIRES_SERVICE]),
        "diagnosis_sex.csv": _csv(["diagnosis_prefix", "sex"], [list(r) for r in DIAGNOSIS_SEX]),
        "diagnosis_age.csv": _csv(["diagnosis_prefix", "min_age_days", "max_age_days"],
                                  [[p, str(a), str(b)] for p, a, b in DIAGNOSIS_AGE]),
        "procedure_sex.csv": _csv(["procedure_prefix", "sex"], [list(r) for r in PROCEDURE_SEX]),
        "diagnosis_procedure.csv": _csv(["diagnosis_prefix", "procedure_prefix"],
                                        [list(r) for r in DIAGNOSIS_PROCEDURE]),
    }


def write_catalogue(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in catalogue_files().items():
        (folder / name).write_text(text, encoding="utf-8")
