"""One scenario per template (and edge cases), shared by the domain, gRPC and `fundguard check`
tests: a patient case, the rule judged, and the findings expected as (rule id, amount, line ids)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fundguard.common.v1 import common_pb2

CATALOGUE_DIR = Path(__file__).parent / "data" / "catalogue"
DAY = "2026-11-10"


def line(code: str, qty: str = "1", price: str = "10.00", day: str = DAY, lid: str = "", typ: str = "",
         dept: str = "", amount: str = "") -> common_pb2.FeeLine:
    from decimal import Decimal

    total = amount or str((Decimal(qty) * Decimal(price)).quantize(Decimal("0.01")))
    return common_pb2.FeeLine(line_id=lid or code, item_code=code, item_type=typ, quantity=qty,
                              unit_price=common_pb2.Money(amount=price), amount=common_pb2.Money(amount=total),
                              service_date=day, dept_code=dept, doctor_code="D001")


def enc(eid: str, lines: list[common_pb2.FeeLine], care: str = "1", level: str = "3", adm: str = DAY, dis: str = DAY,
        dx: tuple[str, ...] = ("J06.9",), px: tuple[str, ...] = (), inst: str = "H001", ins: str = "",
        invoice: str = "", dept: str = "A03") -> common_pb2.Encounter:
    return common_pb2.Encounter(
        encounter_id=eid, institution_code=inst, institution_level=level, care_setting=care,
        med_type="21" if care == "2" else "11", admission_date=adm, discharge_date=dis, doctor_code="D001",
        dept_code=dept, insurance_type=ins, diagnoses=[common_pb2.Diagnosis(code=d) for d in dx],
        procedures=[common_pb2.Procedure(code=p) for p in px], lines=lines, claim_id=f"{inst}-{eid}",
        invoice_no=invoice)


def case(encounters: list[common_pb2.Encounter], history: list[common_pb2.Encounter] | None = None,
         gender: str = "1", birth: str = "1980-01-01", death: str = "", ins: str = "310",
         pid: str = "P001") -> common_pb2.PatientCase:
    return common_pb2.PatientCase(
        patient=common_pb2.Patient(patient_id=pid, gender=gender, birth_date=birth, death_date=death,
                                   insurance_type=ins),
        encounters=encounters, history=history or [])


@dataclass
class Scenario:
    name: str
    rule_id: str
    case: common_pb2.PatientCase
    expected: list[tuple[str, str, tuple[str, ...]]]  # rule id, amount, line ids
    moment: str = "post"
    extra_rules: list[str] = field(default_factory=list)

    @property
    def offline(self) -> bool:
        """Whether the 3101 shape can carry it (no history, no invoice numbers)."""
        return not any(len(c.history) for c in [self.case]) and not any(e.invoice_no for e in self.case.encounters)


def _s(name: str, rule_id: str, c: common_pb2.PatientCase, expected: list[tuple[str, tuple[str, ...]]],
       moment: str = "post") -> Scenario:
    return Scenario(name, rule_id, c, [(rule_id, a, ids) for a, ids in expected], moment)


def _stay(eid: str, lines: list[common_pb2.FeeLine], adm: str, dis: str, **kw: object) -> common_pb2.Encounter:
    return enc(eid, lines, care="2", adm=adm, dis=dis, **kw)  # type: ignore[arg-type]


SCENARIOS: list[Scenario] = [
    _s("female drug for a man", "R-DRUG-SEX", case([enc("E1", [line("SEXF", "3", "18.60")])]), [("55.80", ("SEXF",))]),
    _s("female drug for a woman", "R-DRUG-SEX", case([enc("E1", [line("SEXF")])], gender="2"), []),
    _s("male service for a woman", "R-SERVICE-SEX", case([enc("E1", [line("SEXM", price="45.00")])], gender="2"),
       [("45.00", ("SEXM",))]),
    _s("price above level-2 ceiling", "R-PRICE-CEILING",
       case([enc("E1", [line("210300001", "2", "140.00")], level="2")]), [("20.00", ("210300001",))]),
    _s("price at the ceiling", "R-PRICE-CEILING", case([enc("E1", [line("210300001", "1", "150.00")])]), []),
    _s("work-injury drug under basic insurance", "R-DRUG-WORK-INJURY", case([enc("E1", [line("WI")])]),
       [("10.00", ("WI",))]),
    _s("work-injury drug under work-injury insurance", "R-DRUG-WORK-INJURY",
       case([enc("E1", [line("WI")], ins="610")]), []),
    _s("maternity service under basic insurance", "R-SERVICE-MATERNITY",
       case([enc("E1", [line("MAT")])], gender="2"), [("10.00", ("MAT",))]),
    _s("herb never payable", "R-HERB-NEVER-PAYABLE", case([enc("E1", [line("HERBN")])]), [("10.00", ("HERBN",))]),
    _s("herb alone", "R-HERB-ALONE", case([enc("E1", [line("HERBC")])]), [("10.00", ("HERBC",))]),
    _s("herb in a compound", "R-HERB-ALONE", case([enc("E1", [line("HERBC"), line("HERBX")])]), []),
    _s("second-line drug without first line", "R-DRUG-SECOND-LINE", case([enc("E1", [line("SEC")])]),
       [("10.00", ("SEC",))]),
    _s("second-line drug after first line in history", "R-DRUG-SECOND-LINE",
       case([enc("E1", [line("SEC")])], history=[enc("H1", [line("FIRST", day="2026-11-01")])]), []),
    _s("newborn drug for a 29-day-old", "R-DRUG-NEWBORN",
       case([enc("E1", [line("NEWB")])], birth="2026-10-12"), [("10.00", ("NEWB",))]),
    _s("newborn drug for a 28-day-old (boundary)", "R-DRUG-NEWBORN",
       case([enc("E1", [line("NEWB")])], birth="2026-10-13"), []),
    _s("child drug for an adult", "R-DRUG-CHILD", case([enc("E1", [line("CHILD")])]), [("10.00", ("CHILD",))]),
    _s("child-forbidden drug for a child", "R-DRUG-CHILD-FORBIDDEN",
       case([enc("E1", [line("ADULT")])], birth="2015-01-01"), [("10.00", ("ADULT",))]),
    _s("elderly-caution drug at 65 (tier C, no amount)", "R-ELDERLY-DRUG",
       case([enc("E1", [line("ELD")])], birth="1961-11-10"), [("0.00", ("ELD",))]),
    _s("elderly-caution drug a day before 65", "R-ELDERLY-DRUG",
       case([enc("E1", [line("ELD")])], birth="1961-11-11"), []),
    _s("pregnancy-caution drug in pregnancy", "R-PREGNANCY-DRUG",
       case([enc("E1", [line("PREG")], dx=("O80",))], gender="2"), [("0.00", ("PREG",))]),
    _s("drug outside its indications", "R-DRUG-INDICATION", case([enc("E1", [line("IND")], dx=("K29.7",))]),
       [("10.00", ("IND",))]),
    _s("drug within its indications", "R-DRUG-INDICATION", case([enc("E1", [line("IND")], dx=("J02.9",))]), []),
    _s("drug with a contraindicated diagnosis", "R-DRUG-CONTRAINDICATION",
       case([enc("E1", [line("CONTRA")], dx=("K25.1",))]), [("10.00", ("CONTRA",))]),
    _s("level-3 drug at a level-2 institution", "R-DRUG-LEVEL", case([enc("E1", [line("LVL")], level="2")]),
       [("10.00", ("LVL",))]),
    _s("service outside its departments", "R-SERVICE-DEPARTMENT", case([enc("E1", [line("DEPT", dept="A05")])]),
       [("10.00", ("DEPT",))]),
    _s("inpatient-only service in outpatient care", "R-SERVICE-CARE-SETTING", case([enc("E1", [line("CARE")])]),
       [("10.00", ("CARE",))]),
    _s("drug quantity above the encounter limit", "R-DRUG-QUANTITY",
       case([enc("E1", [line("QTY", "8", lid="1"), line("QTY", "4", lid="2")])]), [("20.00", ("1", "2"))]),
    _s("a return brings the quantity under the limit", "R-DRUG-QUANTITY",
       case([enc("E1", [line("QTY", "8", lid="1"), line("QTY", "4", lid="2"), line("QTY", "-2", lid="3")])]), []),
    _s("daily dose above the limit across encounters", "R-DRUG-DOSE",
       case([enc("E1", [line("DOSE", "2", lid="1")]), enc("E2", [line("DOSE", "2", lid="2")])]),
       [("10.00", ("1", "2"))]),
    _s("service twice a day, limit once", "R-SERVICE-FREQUENCY-DAY",
       case([enc("E1", [line("FREQ", "2", "30.00")])]), [("30.00", ("FREQ",))]),
    _s("consumable above its amount cap", "R-CONSUMABLE-AMOUNT-CAP",
       case([enc("E1", [line("CAP", "3", "40.00")])]), [("20.00", ("CAP",))]),
    _s("drug paid on more days than allowed", "R-DRUG-PAYABLE-DAYS",
       case([_stay("E1", [line("PAYD", day=d, lid=d) for d in ("2026-11-01", "2026-11-02", "2026-11-03")],
                   "2026-11-01", "2026-11-05")]), [("10.00", ("2026-11-03",))]),
    _s("service beyond its course (history starts it)", "R-SERVICE-COURSE",
       case([enc("E1", [line("COURSE", day="2026-11-04")])], history=[enc("H1", [line("COURSE", day="2026-11-01")])]),
       [("10.00", ("COURSE",))]),
    _s("contained item billed with its container", "R-DUPLICATE-CHARGE",
       case([enc("E1", [line("BIG", price="50.00"), line("SMALL", price="20.00")])]), [("20.00", ("SMALL",))]),
    _s("bundle billed as parts", "R-UNBUNDLING",
       case([enc("E1", [line("PART1", price="70.00"), line("PART2", price="60.00")])]),
       [("30.00", ("PART1", "PART2"))]),
    _s("two drugs of similar action", "R-DUPLICATE-PRESCRIBING",
       case([enc("E1", [line("SIM1"), line("SIM2", price="12.00")])]), [("12.00", ("SIM2",))]),
    _s("interacting drugs", "R-DRUG-INTERACTION", case([enc("E1", [line("INT1"), line("INT2", price="5.00")])]),
       [("5.00", ("INT1", "INT2"))]),
    _s("incompatible herbs", "R-HERB-INCOMPATIBLE", case([enc("E1", [line("HB1"), line("HB2", price="3.00")])]),
       [("3.00", ("HB1", "HB2"))]),
    _s("drug without its required service", "R-DRUG-NEEDS-SERVICE", case([enc("E1", [line("NEEDS")])]),
       [("10.00", ("NEEDS",))]),
    _s("drug with its required service", "R-DRUG-NEEDS-SERVICE",
       case([enc("E1", [line("NEEDS"), line("INJ")])]), []),
    _s("second surgery at full price", "R-SURGERY-DISCOUNT",
       case([_stay("E1", [line("SURG1", price="1000.00"), line("SURG2", price="800.00")], "2026-11-09",
                   "2026-11-12")]), [("400.00", ("SURG2",))]),
    _s("too many drugs in one visit (tier C)", "R-DRUG-KINDS",
       case([enc("E1", [line(c) for c in ("SIM1", "INT1", "FIRST", "PLAIN", "QTY", "NEEDS")])]),
       [("0.00", ("SIM1", "INT1", "FIRST", "PLAIN", "QTY", "NEEDS"))]),
    _s("line amount is not quantity x price", "R-LINE-AMOUNT",
       case([enc("E1", [line("PLAIN", "2", "10.00", amount="25.00")])]), [("5.00", ("PLAIN",))]),
    Scenario("settlement total differs from the lines (tier C)", "R-SETTLEMENT-TOTAL",
             case([common_pb2.Encounter(encounter_id="E1", institution_code="H001", institution_level="3",
                                        care_setting="1", claim_id="H001-E1", total_amount=common_pb2.Money(amount="99.00"),
                                        lines=[line("PLAIN")])]), [("R-SETTLEMENT-TOTAL", "0.00", ())]),
    _s("malformed diagnosis code", "R-DIAGNOSIS-CODE", case([enc("E1", [line("PLAIN")], dx=("j06",))]),
       [("0.00", ())]),
    _s("hysterectomy for a man", "R-PROCEDURE-SEX", case([enc("E1", [line("PLAIN")], px=("68.41",))]),
       [("0.00", ())]),
    _s("appendectomy without appendicitis", "R-DIAGNOSIS-PROCEDURE",
       case([enc("E1", [line("PLAIN")], dx=("K29.7",), px=("47.01",))]), [("0.00", ())]),
    _s("appendectomy with appendicitis", "R-DIAGNOSIS-PROCEDURE",
       case([enc("E1", [line("PLAIN")], dx=("K35.8",), px=("47.01",))]), []),
    _s("prostate diagnosis for a woman", "R-DIAGNOSIS-SEX", case([enc("E1", [line("PLAIN")], dx=("N40",))],
                                                                 gender="2"), [("0.00", ())]),
    _s("premature-birth diagnosis for an adult", "R-DIAGNOSIS-AGE",
       case([enc("E1", [line("PLAIN")], dx=("P07.3",))]), [("0.00", ())]),
    _s("charge after death", "R-AFTER-DEATH",
       case([enc("E1", [line("PLAIN", day="2026-11-09", lid="1"), line("PLAIN", day="2026-11-10", lid="2")],
                 adm="2026-11-09")], death="2026-11-09"), [("10.00", ("2",))]),
    _s("inpatient charge after discharge", "R-CHARGE-OUTSIDE-STAY",
       case([_stay("E1", [line("PLAIN", day="2026-11-05", lid="1"), line("PLAIN", day="2026-11-06", lid="2")],
                   "2026-11-01", "2026-11-05")]), [("10.00", ("2",))]),
    _s("outpatient visit during a stay elsewhere", "R-OUTPATIENT-DURING-STAY",
       case([enc("E1", [line("PLAIN", day="2026-11-03")], adm="2026-11-03", dis="2026-11-03")],
            history=[_stay("S1", [line("BED", day="2026-11-02")], "2026-11-01", "2026-11-05", inst="H002")]),
       [("10.00", ("PLAIN",))]),
    _s("outpatient visit on the discharge day", "R-OUTPATIENT-DURING-STAY",
       case([enc("E1", [line("PLAIN", day="2026-11-05")], adm="2026-11-05", dis="2026-11-05")],
            history=[_stay("S1", [line("BED", day="2026-11-02")], "2026-11-01", "2026-11-05", inst="H002")]), []),
    _s("bed-days beyond the stay", "R-BED-DAYS-OVER-STAY",
       case([_stay("E1", [line("BED", "5", "30.00", day="2026-11-01")], "2026-11-01", "2026-11-04")]),
       [("60.00", ("BED",))]),
    _s("invoice already claimed", "R-DUPLICATE-INVOICE",
       case([enc("E2", [line("PLAIN")], invoice="INV9")], history=[enc("E1", [line("PLAIN")], invoice="INV9")]),
       [("10.00", ("PLAIN",))]),
    _s("re-admission within 15 days (tier B, amount 0)", "R-SPLIT-ADMISSION",
       case([_stay("E2", [line("PLAIN", day="2026-11-15")], "2026-11-15", "2026-11-18")],
            history=[_stay("E1", [line("PLAIN", day="2026-11-01")], "2026-11-01", "2026-11-05")]), [("0.00", ())]),
    _s("re-admission after 16 days", "R-SPLIT-ADMISSION",
       case([_stay("E2", [line("PLAIN", day="2026-11-21")], "2026-11-21", "2026-11-22")],
            history=[_stay("E1", [line("PLAIN", day="2026-11-01")], "2026-11-01", "2026-11-05")]), []),
    _s("nine outpatient visits in a month", "R-FREQUENT-VISITS",
       case([enc("E9", [line("PLAIN", day="2026-11-20")], adm="2026-11-20", dis="2026-11-20")],
            history=[enc(f"E{i}", [line("PLAIN", day=f"2026-11-0{i}")], adm=f"2026-11-0{i}", dis=f"2026-11-0{i}")
                     for i in range(1, 9)]), [("0.00", ())]),
    _s("seven pharmacy purchases in a month", "R-FREQUENT-PURCHASES",
       case([enc("E7", [line("PLAIN", day="2026-11-20")], care="3", adm="", dis="")],
            history=[enc(f"E{i}", [line("PLAIN", day=f"2026-11-0{i}")], care="3", adm="", dis="")
                     for i in range(1, 7)]), [("0.00", ())]),
    _s("four admissions in 90 days", "R-FREQUENT-ADMISSIONS",
       case([_stay("E4", [line("PLAIN", day="2026-11-20")], "2026-11-20", "2026-11-21")],
            history=[_stay(f"E{i}", [line("PLAIN", day=d)], d, d, inst=f"H00{i}")
                     for i, d in ((1, "2026-09-01"), (2, "2026-10-01"), (3, "2026-11-01"))]), [("0.00", ())]),
    _s("drug split across visits to evade the limit", "R-SPLIT-PRESCRIPTION",
       case([enc("E2", [line("QTY", "6", day="2026-11-12")], adm="2026-11-12", dis="2026-11-12")],
            history=[enc("E1", [line("QTY", "8", day="2026-11-10")])]), [("40.00", ("QTY",))]),
    _s("five small pharmacy purchases in a day", "R-CARD-MISUSE",
       case([enc("E5", [line("PLAIN")], care="3")],
            history=[enc(f"E{i}", [line("PLAIN")], care="3") for i in range(1, 5)]), [("0.00", ())]),
    _s("unknown item code is not judged", "R-DRUG-SEX", case([enc("E1", [line("NOPE", typ="101")])]), []),
    _s("an item outside its catalogue period is not judged", "R-SERVICE-SEX",
       case([enc("E1", [line("OLD")])], gender="2"), []),
]
