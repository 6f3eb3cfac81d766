"""Reading the local span files: a claim's spans as one tree per trace, in time order."""

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


def _mentions(span: Span, claim_id: str) -> bool:
    value = span["attributes"].get(CLAIM_ID)
    return value == claim_id or (isinstance(value, list) and claim_id in value)


def claim_spans(spans: Iterable[Span], claim_id: str) -> list[Span]:
    """Every span of every trace that mentions the claim, or links to such a trace."""
    spans = list(spans)
    traces = {s["trace_id"] for s in spans if _mentions(s, claim_id)}
    grew = True
    while grew:
        linked = {s["trace_id"] for s in spans if any(link["trace_id"] in traces for link in s["links"])}
        grew = not linked <= traces
        traces |= linked
    return sorted((s for s in spans if s["trace_id"] in traces), key=lambda s: s["start_ns"])


def render(spans: list[Span]) -> str:
    """Trees, one per trace, children in start order, each line naming service and operation."""
    by_trace: dict[str, list[Span]] = defaultdict(list)
    for s in spans:
        by_trace[s["trace_id"]].append(s)
    out: list[str] = []
    for trace_id, members in sorted(by_trace.items(), key=lambda kv: min(s["start_ns"] for s in kv[1])):
        ids = {s["span_id"] for s in members}
        children: dict[str | None, list[Span]] = defaultdict(list)
        for s in members:
            parent = s["parent_span_id"] if s["parent_span_id"] in ids else None
            children[parent].append(s)
        t0 = min(s["start_ns"] for s in members)
        out.append(f"trace {trace_id}")

        def walk(parent: str | None, prefix: str, children: dict[str | None, list[Span]] = children,
                 t0: int = t0) -> None:
            kids = sorted(children.get(parent, []), key=lambda s: s["start_ns"])
            for i, s in enumerate(kids):
                last = i == len(kids) - 1
                took = (s["end_ns"] - s["start_ns"]) / 1e6
                at = (s["start_ns"] - t0) / 1e6
                service = str(s["service"]).removeprefix("fundguard-")
                claim = s["attributes"].get(CLAIM_ID)
                note = f"  [{CLAIM_ID}={claim}]" if isinstance(claim, str) else ""
                err = "  ERROR" if s["status"] == "ERROR" else ""
                out.append(f"{prefix}{'└─ ' if last else '├─ '}{service:<16} {s['name']}  "
                           f"+{at:.1f} ms, {took:.1f} ms{note}{err}")
                walk(s["span_id"], prefix + ("   " if last else "│  "), children, t0)

        walk(None, "")
    return "\n".join(out)
