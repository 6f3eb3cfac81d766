"""Concurrent 3101/3102 requests gathered into one call to claims: each caller gets exactly
the answer it gets when its request goes alone, failures included."""

from __future__ import annotations

import copy
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from gateway.coalesce import AnalysisBatcher
from tests.integration.gateway.conftest import NATIONAL, Gateway
from tests.integration.gateway.test_national_http import sample

pytestmark = pytest.mark.integration
SAMPLES = ["05-psa-for-female-above-ceiling", "02-female-drug-for-male", "01-clean-outpatient",
           "04-unregistered-doctor"]


def burst(tag: str) -> list[dict[str, Any]]:
    """Four patients' checks (each sample renamed by ``tag``), a retry of the first, and one
    that claims refuses (an unknown sex code)."""
    bodies = []
    for n, name in enumerate(SAMPLES):
        body = sample(name)
        for patient in body["input"]["data"]["patient_dtos"]:
            patient["patn_id"] = f"{tag}-{n}-{patient['patn_id']}"
            for enc in patient["fsi_encounter_dtos"]:
                enc["mdtrt_id"] = f"{tag}-{n}-{enc['mdtrt_id']}"
            patient["curr_mdtrt_id"] = f"{tag}-{n}-{patient['curr_mdtrt_id']}"
        bodies.append(body)
    bodies.append(copy.deepcopy(bodies[0]))
    refused = copy.deepcopy(bodies[2])
    refused["msgid"] = refused["msgid"][:-4] + "9999"
    refused["input"]["data"]["patient_dtos"][0]["gend"] = "7"
    for patient in refused["input"]["data"]["patient_dtos"]:
        patient["patn_id"] += "-x"
    bodies.append(refused)
    return bodies


def answer(gw: Gateway, body: dict[str, Any], tag: str) -> tuple[int, Any, str]:
    r = gw.role("platform", "POST", NATIONAL, json=body)
    reply = r.json()
    found = sorted((x["rule_id"], x["vola_amt"], x["vola_cont"].replace(tag, "~"))
                   for x in (reply["output"] or {}).get("result", [])) if reply["output"] else None
    return r.status_code, found, reply["err_msg"].replace(tag, "~")


def test_checks_that_wait_go_together_and_get_their_own_answers(gw: Gateway) -> None:
    alone_tag, together_tag = "A" + uuid.uuid4().hex[:6], "T" + uuid.uuid4().hex[:6]
    alone = [answer(gw, b, alone_tag) for b in burst(alone_tag)]

    batcher: AnalysisBatcher = gw.app.state.edge.analyses
    portal = gw.client.portal
    assert portal is not None
    before = batcher.sent_together

    def take_every_place() -> None:
        batcher.in_flight += batcher.in_flight_limit

    def give_them_back() -> None:
        batcher.in_flight -= batcher.in_flight_limit
        batcher._dispatch()

    bodies = burst(together_tag)
    portal.call(take_every_place)  # every call to claims busy: checks must wait
    with ThreadPoolExecutor(len(bodies)) as pool:
        try:
            # The retry goes after the others: the same msgid twice in one batch would wait
            # for the next round (claims' rule) and this test wants one call.
            pending = [pool.submit(answer, gw, b, together_tag) for b in bodies[:4] + bodies[5:]]
            deadline = time.monotonic() + 20
            while portal.call(lambda: len(batcher.waiting)) < len(pending) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert portal.call(lambda: len(batcher.waiting)) == len(pending)
        finally:
            portal.call(give_them_back)
    together = [f.result(timeout=30) for f in pending]
    together.insert(4, answer(gw, bodies[4], together_tag))

    assert batcher.sent_together - before == len(pending)  # one AnalyzeBatch carried them all
    assert together == alone
    assert [a[0] for a in alone] == [200, 200, 200, 200, 200, 400]
    assert alone[0][1] and alone[4] == alone[0]  # the retry answers as the first did
    assert "gender" in alone[5][2]
