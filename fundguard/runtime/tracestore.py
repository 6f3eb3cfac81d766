"""Reading the local span files: a claim's whole life as one timeline across traces.

A claim's story spans several traces: the one it arrived with, and later steps (audit run,
publication, appeal, deduction, points, case, feed) whose spans carry the claim id and link
back to it. Traces that belong to this claim alone are shown whole; traces shared with other
claims (an audit chunk, a bulk upload) show only this claim's spans, their ancestors and
their descendants.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fundguard.runtime.telemetry import CLAIM_ID, span_dir

Span = dict[str, Any]


def read_spans(data_dir: Path) -> list[Span]:
    spans: list[Span] = []
    for path in sorted(span_dir(data_dir).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    spans.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash; the rest still count
    return spans


def _claims_of(span: Span) -> set[str]:
    value = span["attributes"].get(CLAIM_ID)
    if isinstance(value, list):
        return {str(v) for v in value}
    return {str(value)} if value else set()


def claim_spans(spans: Iterable[Span], claim_id: str) -> list[Span]:
    """The spans that tell the claim's story, in start order."""
    spans = list(spans)
    by_trace: dict[str, list[Span]] = defaultdict(list)
    for s in spans:
        by_trace[s["trace_id"]].append(s)
    mentioning = [s for s in spans if claim_id in _claims_of(s)]
    traces = {s["trace_id"] for s in mentioning}
    # The traces those steps link back to: the claim's arrival (a single or a bulk upload).
    traces |= {link["trace_id"] for s in mentioning for link in s["links"]}
    chosen: list[Span] = []
    for trace_id in traces:
        members = by_trace.get(trace_id, [])
        others = set().union(*(_claims_of(s) for s in members)) - {claim_id}
        if not others:
            chosen += members
            continue
        # A trace shared with other claims: this claim's spans, their ancestors and descendants.
        by_id = {s["span_id"]: s for s in members}
        children: dict[str, list[Span]] = defaultdict(list)
        for s in members:
            if s["parent_span_id"]:
                children[s["parent_span_id"]].append(s)
        keep: dict[str, Span] = {}
        for s in members:
            if claim_id not in _claims_of(s):
                continue
            up: Span | None = s
            while up is not None and up["span_id"] not in keep:
                keep[up["span_id"]] = up
                up = by_id.get(up["parent_span_id"] or "")
            stack = list(children.get(s["span_id"], []))
            while stack:
                d = stack.pop()
                keep[d["span_id"]] = d
                stack += children.get(d["span_id"], [])
        chosen += keep.values()
    return sorted(chosen, key=lambda s: s["start_ns"])


def render(spans: list[Span], claim_id: str = "") -> str:
    """One timeline: each trace a subtree, in time order, each line naming service and operation."""
    by_trace: dict[str, list[Span]] = defaultdict(list)
    for s in spans:
        by_trace[s["trace_id"]].append(s)
    if not spans:
        return ""
    t0 = min(s["start_ns"] for s in spans)
    services = sorted({str(s["service"]).removeprefix("fundguard-") for s in spans})
    out = [f"claim {claim_id}: {len(spans)} spans in {len(by_trace)} trace(s) across {', '.join(services)}"
           if claim_id else f"{len(spans)} spans in {len(by_trace)} trace(s)"]
    ordered = sorted(by_trace.items(), key=lambda kv: min(s["start_ns"] for s in kv[1]))
    for n, (trace_id, members) in enumerate(ordered):
        last_trace = n == len(ordered) - 1
        ids = {s["span_id"] for s in members}
        children: dict[str | None, list[Span]] = defaultdict(list)
        for s in members:
            children[s["parent_span_id"] if s["parent_span_id"] in ids else None].append(s)
        linked = sorted({link["trace_id"][:8] for s in members for link in s["links"]} - {trace_id[:8]})
        note = f" (linked to {', '.join(linked)}…)" if linked else ""
        out.append(f"{'└─' if last_trace else '├─'} trace {trace_id[:8]}…{note}")
        base = "   " if last_trace else "│  "

        def walk(parent: str | None, prefix: str, children: dict[str | None, list[Span]] = children) -> None:
            kids = sorted(children.get(parent, []), key=lambda s: s["start_ns"])
            for i, s in enumerate(kids):
                last = i == len(kids) - 1
                took = (s["end_ns"] - s["start_ns"]) / 1e6
                at = (s["start_ns"] - t0) / 1e9
                service = str(s["service"]).removeprefix("fundguard-")
                err = "  ERROR" if s["status"] == "ERROR" else ""
                out.append(f"{prefix}{'└─ ' if last else '├─ '}{service:<16} {s['name']}  "
                           f"+{at:.3f} s, {took:.1f} ms{err}")
                walk(s["span_id"], prefix + ("   " if last else "│  "))

        walk(None, base)
    return "\n".join(out)
