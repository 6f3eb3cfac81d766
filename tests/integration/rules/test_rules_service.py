"""Every template through the real gRPC service and through `fundguard check`; catalogue and
rule versions, malformed loads and what-if replay over gRPC."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import psycopg2
import pytest
from sqlalchemy.engine import make_url

from fundguard.common.v1 import common_pb2
from fundguard.rules.v1 import rules_pb2, rules_pb2_grpc
from fundguard.runtime import migrations
from services.rules.cli import check_request, main_pack_for_tests
from services.rules.domain import catalogue as cat
from tests.servers import serve
from tests.unit.rules.scenarios import CATALOGUE_DIR, SCENARIOS, Scenario, case, enc, line

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
FILES = cat.read_folder(CATALOGUE_DIR)
MOMENTS = {"pre": common_pb2.MOMENT_PRE, "in": common_pb2.MOMENT_IN, "post": common_pb2.MOMENT_POST}


@pytest.fixture(scope="module")
def rules_db(migrated_url: str) -> Iterator[str]:
    """A database of this module's own: the service judges by the catalogue versions stored, so
    versions loaded by other tests in the session must not be in force here."""
    name = f"fg_rules_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(make_url(migrated_url).set(drivername="postgresql").render_as_string(hide_password=False))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = make_url(migrated_url).set(database=name).render_as_string(hide_password=False)
    migrations.upgrade_all(url)
    yield url
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


ADDR: dict[str, str] = {}


@pytest.fixture(scope="module")
def rules(rules_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[rules_pb2_grpc.RulesServiceStub]:
    with serve("rules", rules_db, tmp_path_factory.mktemp("rules")) as (channel, runner):
        ADDR["rules"] = runner.settings.addr("rules")
        stub = rules_pb2_grpc.RulesServiceStub(channel)
        stub.LoadCatalogue(rules_pb2.LoadCatalogueRequest(request_id="t-cat-1", version="test-2024",
                                                          effective_from="2024-01-01", files=FILES), timeout=30)
        yield stub


def _got(findings: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted((f.rule_id, str(Decimal(f.amount.amount)), tuple(sorted(f.line_ids))) for f in findings)


def _want(s: Scenario) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted((r, str(Decimal(a)), tuple(sorted(ids))) for r, a, ids in s.expected)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_template_over_grpc(rules: rules_pb2_grpc.RulesServiceStub, scenario: Scenario) -> None:
    reply = rules.Evaluate(rules_pb2.EvaluateRequest(cases=[scenario.case], moment=MOMENTS[scenario.moment],
                                                     rule_ids=[scenario.rule_id]), timeout=30)
    assert _got(reply.findings) == _want(scenario)
    assert reply.catalogue_version == "test-2024"
    for f in reply.findings:
        assert f.national_code == next(r.national_code for r in main_pack_for_tests().rules if r.rule_id == f.rule_id)


def to_3101(c: common_pb2.PatientCase) -> dict[str, Any]:
    """A PatientCase in the national 3101 request shape."""
    base = json.loads((ROOT / "samples" / "requests" / "3101-01-clean-outpatient.json").read_text(encoding="utf-8"))
    body = copy.deepcopy(base)
    p = c.patient
    body["input"]["data"]["patient_dtos"] = [{
        "patn_id": p.patient_id, "gend": p.gender, "brdy": p.birth_date, "death_date": p.death_date,
        "insutype": p.insurance_type,
        "fsi_encounter_dtos": [{
            "mdtrt_id": e.encounter_id, "medins_id": e.institution_code, "medins_lv": e.institution_level,
            "med_mdtrt_type": e.care_setting, "adm_date": e.admission_date, "dscg_date": e.discharge_date,
            "insutype": e.insurance_type, "adm_dept_codg": e.dept_code, "medfee_sumamt": e.total_amount.amount,
            "fsi_diagnose_dtos": [{"dise_codg": d.code} for d in e.diagnoses],
            "fsi_operation_dtos": [{"oprn_code": x.code} for x in e.procedures],
            "fsi_order_dtos": [{"rx_id": ln.line_id, "hilist_code": ln.item_code, "hilist_type": ln.item_type,
                                "cnt": ln.quantity, "pric": ln.unit_price.amount, "sumamt": ln.amount.amount,
                                "drord_begn_date": ln.service_date, "drord_dept_codg": ln.dept_code,
                                "drord_dr_codg": ln.doctor_code} for ln in e.lines],
        } for e in c.encounters],
    }]
    body["input"]["data"]["rule_ids"] = []
    return body


OFFLINE = [s for s in SCENARIOS if s.offline]


@pytest.mark.parametrize("scenario", OFFLINE, ids=[s.name for s in OFFLINE])
def test_template_through_fundguard_check(scenario: Scenario) -> None:
    body = to_3101(scenario.case)
    body["input"]["data"]["rule_ids"] = [scenario.rule_id]
    out = check_request(body, cat.parse("t", "2024-01-01", FILES), main_pack_for_tests(), scenario.moment)
    got = sorted((r["rule_id"], str(Decimal(r["vola_amt"])), tuple(sorted(d["rx_id"] for d in r["judge_result_detail_dtos"])))
                 for r in out["result"])
    assert got == _want(scenario)
    for r in out["result"]:
        assert r["vola_cont"] and r["vola_evid"]
        assert r["vola_amt_stas"] == ("1" if r["fundguard_tier"] == "A" else "0")


def test_fundguard_check_command_prints_the_3101_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fundguard.cli import main

    request = tmp_path / "req.json"
    request.write_text(json.dumps(to_3101(case([enc("E1", [line("SEXF", "3", "18.60")])]))), encoding="utf-8")
    assert main(["check", str(request), "--catalogue", str(CATALOGUE_DIR)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["infcode"] == 0
    assert [(r["rule_id"], r["vola_amt"]) for r in out["output"]["result"]] == [("R-DRUG-SEX", "55.80")]


def test_a_malformed_catalogue_is_rejected_with_file_row_field_and_the_old_one_stays(
        rules: rules_pb2_grpc.RulesServiceStub) -> None:
    bad = dict(FILES)
    bad["items.csv"] = FILES["items.csv"] + "BAD1,坏,999,01,drug,abc,,,,,,,,,,,,,,,,,,,,,,,,\n"
    bad["interactions.csv"] = "item_code_a,item_code_b,severity\nINT1,,major\n"
    with pytest.raises(grpc.RpcError) as err:
        rules.LoadCatalogue(rules_pb2.LoadCatalogueRequest(request_id="t-bad", version="bad-1",
                                                           effective_from="2025-01-01", files=bad), timeout=30)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = err.value.details() or ""
    assert "items.csv:46:item_type" in details and "items.csv:46:price_ceiling_1" in details
    assert "interactions.csv:2:item_code_b" in details
    reply = rules.Evaluate(rules_pb2.EvaluateRequest(cases=[SCENARIOS[0].case], moment=common_pb2.MOMENT_POST,
                                                     rule_ids=["R-DRUG-SEX"]), timeout=30)
    assert reply.catalogue_version == "test-2024" and len(reply.findings) == 1


def test_a_catalogue_version_changing_mid_month_judges_each_claim_by_its_date(
        rules: rules_pb2_grpc.RulesServiceStub) -> None:
    newer = dict(FILES)
    newer["items.csv"] = FILES["items.csv"].replace("210300001,CT平扫,201,01,ct,110.00,130.00,150.00",
                                                    "210300001,CT平扫,201,01,ct,100.00,120.00,140.00")
    rules.LoadCatalogue(rules_pb2.LoadCatalogueRequest(request_id="t-cat-2", version="test-2026-11-15",
                                                       effective_from="2026-11-15", files=newer), timeout=30)
    early = case([enc("E1", [line("210300001", "1", "145.00", day="2026-11-14")])], pid="PA")
    late = case([enc("E2", [line("210300001", "1", "145.00", day="2026-11-16")])], pid="PB")
    reply = rules.Evaluate(rules_pb2.EvaluateRequest(cases=[early, late], moment=common_pb2.MOMENT_POST,
                                                     rule_ids=["R-PRICE-CEILING"]), timeout=30)
    assert sorted((f.patient_id, f.amount.amount) for f in reply.findings) == [("PB", "5.00")]
    assert set(reply.catalogue_version.split(",")) == {"test-2024", "test-2026-11-15"}


def test_list_rules_shows_metadata_and_basis(rules: rules_pb2_grpc.RulesServiceStub) -> None:
    reply = rules.ListRules(rules_pb2.ListRulesRequest(as_of="2026-11-01"), timeout=10)
    by_id = {r.rule_id: r for r in reply.rules}
    assert len(by_id) >= 70
    assert by_id["R-SPLIT-ADMISSION"].national_code == "GZ10000204001000"
    assert by_id["R-SPLIT-ADMISSION"].tier == "B" and by_id["R-SPLIT-ADMISSION"].basis
    assert json.loads(by_id["R-SPLIT-ADMISSION"].parameters_json) == {"days": 15}


def test_what_if_replays_a_draft_pack_over_a_stream_of_chunks(rules: rules_pb2_grpc.RulesServiceStub) -> None:
    draft = (ROOT / "services" / "rules" / "packs" / "national_v1.toml").read_text(encoding="utf-8").replace(
        'version = "national-1.0"', 'version = "draft-1"').replace(
        "params = {item_types = [\"101\", \"102\"], window = \"encounter\"}",
        "params = {item_types = [\"101\", \"102\"], window = \"day\"}")
    chunk_cases = [case([enc("E1", [line("QTY", "12", lid="1")])], pid="W1"),
                   case([enc("E2", [line("SEXF", lid="1")], inst="H009")], pid="W2")]

    def chunks() -> Iterator[rules_pb2.WhatIfChunk]:
        yield rules_pb2.WhatIfChunk(draft_pack_toml=draft, moment=common_pb2.MOMENT_POST, cases=chunk_cases[:1])
        yield rules_pb2.WhatIfChunk(cases=chunk_cases[1:])

    report = rules.WhatIf(chunks(), timeout=60)
    rows = {(r.rule_id, r.institution_code): r for r in report.rows}
    assert report.cases == 2 and report.draft_pack_version == "draft-1"
    quantity = rows[("R-DRUG-QUANTITY", "H001")]
    assert (quantity.current_findings, quantity.current_amount.amount, quantity.draft_findings) == (1, "20.00", 0)
    sex = rows[("R-DRUG-SEX", "H009")]
    assert (sex.current_findings, sex.draft_findings) == (1, 1)


def test_the_cli_loads_a_catalogue_version_over_grpc_and_reports_bad_rows(
        rules: rules_pb2_grpc.RulesServiceStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from fundguard.cli import main

    monkeypatch.setenv("FUNDGUARD_RULES_ADDR", ADDR["rules"])
    assert main(["rules", "load-catalogue", str(CATALOGUE_DIR), "--version", "cli-2020",
                 "--effective-from", "2020-01-01"]) == 0
    assert '"items": "44"' in capsys.readouterr().out
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "items.csv").write_text("item_code,name,item_type\nX,坏,999\n", encoding="utf-8")
    assert main(["rules", "load-catalogue", str(bad), "--version", "cli-bad", "--effective-from", "2020-01-01"]) == 2
    assert "items.csv:2:item_type" in capsys.readouterr().err


# Rule-pack versions change the pack in force for the module's server: these run last.
PACK_TEXT = (ROOT / "services" / "rules" / "packs" / "national_v1.toml").read_text(encoding="utf-8")
SPLIT_V1 = 'params = {days = 15}'


def test_zz_a_published_rule_version_cannot_be_changed(rules: rules_pb2_grpc.RulesServiceStub) -> None:
    changed = PACK_TEXT.replace('version = "national-1.0"', 'version = "national-1.1"').replace(
        SPLIT_V1, 'params = {days = 30}')
    with pytest.raises(grpc.RpcError) as err:
        rules.SaveRulePack(rules_pb2.SaveRulePackRequest(request_id="t-pack-bad", toml=changed), timeout=30)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "R-SPLIT-ADMISSION@1" in (err.value.details() or "")


def test_zz_a_new_rule_version_is_saved_as_draft_then_published(rules: rules_pb2_grpc.RulesServiceStub) -> None:
    v2 = PACK_TEXT.replace('version = "national-1.0"', 'version = "national-1.2"') + """
[[rules]]
rule_id = "R-SPLIT-ADMISSION"
version = 2
national_code = "GZ10000204001000"
template = "split_admission"
name = "分解住院"
tier = "B"
result_type = "suspicious"
moments = ["in", "post"]
basis = "test"
effective_from = "2026-12-01"
params = {days = 30}
"""
    saved = rules.SaveRulePack(rules_pb2.SaveRulePackRequest(request_id="t-pack-2", toml=v2), timeout=30)
    assert (saved.version, saved.status, saved.already_done) == ("national-1.2", "draft", False)
    before = rules.ListRules(rules_pb2.ListRulesRequest(as_of="2026-12-05"), timeout=10)
    assert [r.version for r in before.rules if r.rule_id == "R-SPLIT-ADMISSION"] == [1]
    done = rules.PublishRulePack(rules_pb2.PublishRulePackRequest(request_id="t-pub-2", version="national-1.2",
                                                                   actor="规则管理员"), timeout=30)
    assert (done.status, done.already_done) == ("published", False)
    again = rules.PublishRulePack(rules_pb2.PublishRulePackRequest(request_id="t-pub-2b", version="national-1.2"),
                                  timeout=30)
    assert again.already_done
    november = rules.ListRules(rules_pb2.ListRulesRequest(as_of="2026-11-30"), timeout=10)
    december = rules.ListRules(rules_pb2.ListRulesRequest(as_of="2026-12-05"), timeout=10)
    assert [r.version for r in november.rules if r.rule_id == "R-SPLIT-ADMISSION"] == [1]
    assert [r.version for r in december.rules if r.rule_id == "R-SPLIT-ADMISSION"] == [2]
    with pytest.raises(grpc.RpcError) as err:
        rules.SaveRulePack(rules_pb2.SaveRulePackRequest(request_id="t-pack-3", toml=v2.replace("days = 30", "days = 31")),
                           timeout=30)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_zz_the_published_rule_version_in_force_judges_each_claim_by_its_date(
        rules: rules_pb2_grpc.RulesServiceStub) -> None:
    from tests.unit.rules.scenarios import _stay

    def readmission(pid: str, first: str, second: str) -> common_pb2.PatientCase:
        return case([_stay("E2", [line("PLAIN", day=second)], second, second)],
                    history=[_stay("E1", [line("PLAIN", day=first)], first, first)], pid=pid)

    nov = readmission("RV1", "2026-11-01", "2026-11-21")  # 20 days: v1 (15 days) finds nothing
    dec = readmission("RV2", "2026-11-15", "2026-12-05")  # 20 days: v2 (30 days) finds it
    reply = rules.Evaluate(rules_pb2.EvaluateRequest(cases=[nov, dec], moment=common_pb2.MOMENT_POST,
                                                     rule_ids=["R-SPLIT-ADMISSION"]), timeout=30)
    assert [(f.patient_id, f.rule_version) for f in reply.findings] == [("RV2", 2)]
