"""The claim's story from span records: whole own traces, links back, shared traces trimmed."""

from __future__ import annotations

from typing import Any

from fundguard.runtime.tracestore import claim_spans, render


def span(trace: str, sid: str, parent: str | None, name: str, start: int, claim: str | None = None,
         links: tuple[str, ...] = (), service: str = "fundguard-claims") -> dict[str, Any]:
    return {"trace_id": trace, "span_id": sid, "parent_span_id": parent, "name": name, "service": service,
            "kind": "INTERNAL", "start_ns": start, "end_ns": start + 1_000_000, "status": "UNSET",
            "attributes": {"fundguard.claim_id": claim} if claim else {},
            "links": [{"trace_id": t, "span_id": "0"} for t in links]}


SPANS = [
    # The bulk upload that brought claims A and B: it names neither.
    span("up", "u1", None, "StreamFeeDetails", 1),
    # A's own 3101 check: a whole trace about A alone, with a child that does not name it.
    span("chk", "c1", None, "POST callService", 2, service="fundguard-gateway"),
    span("chk", "c2", "c1", "Analyze", 3, claim="A"),
    span("chk", "c3", "c2", "Evaluate", 4, service="fundguard-rules"),
    # An audit chunk shared by A and B.
    span("aud", "a1", None, "claims.audit_chunk", 10),
    span("aud", "a2", "a1", "claims.audit_claim", 11, claim="A", links=("up",)),
    span("aud", "a3", "a1", "claims.audit_claim", 12, claim="B", links=("up",)),
    # Credit processing A's confirmed finding, in a trace of its own, linked back to the check.
    span("cr", "p1", None, "credit.process_event", 20, claim="A", links=("chk",), service="fundguard-credit"),
    # Something unrelated.
    span("x", "x1", None, "other", 5, claim="C"),
]


def test_the_story_follows_links_and_trims_shared_traces() -> None:
    got = claim_spans(SPANS, "A")
    assert [s["span_id"] for s in got] == ["u1", "c1", "c2", "c3", "a1", "a2", "p1"]


def test_the_timeline_names_every_trace_and_service_in_time_order() -> None:
    text = render(claim_spans(SPANS, "A"), "A")
    assert text.splitlines()[0].startswith("claim A: 7 spans in 4 trace(s) across claims, credit, gateway, rules")
    order = [line.split("trace ")[1][:3] for line in text.splitlines() if "trace " in line]
    assert order == ["up…", "chk", "aud", "cr…"]
    assert "claims.audit_claim" in text and "StreamFeeDetails" in text
