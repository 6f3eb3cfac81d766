from __future__ import annotations

import io

from fundguard.claims.v1 import claims_pb2
from services.claims.cli import progress_line


def test_the_progress_line_shows_bar_lines_rate_and_findings() -> None:
    run = claims_pb2.AuditRun(state="running", lines_total=2_000, lines_done=500, lines_per_second=1234.4, findings=17)
    line = progress_line(run)
    assert line.startswith("[" + "#" * 8 + "." * 22 + "]")  # 25% of 30
    assert " 25.0%" in line and "500/2,000 lines" in line and "1,234 lines/s" in line and "17 findings" in line
    assert "100.0%" in progress_line(claims_pb2.AuditRun(state="done"))  # an empty month is done


def test_watch_stops_when_the_run_ends() -> None:
    runs = iter([claims_pb2.AuditRun(run_id="r", state="running", lines_total=4, lines_done=2),
                 claims_pb2.AuditRun(run_id="r", state="failed", lines_total=4, lines_done=2, error="rules down")])

    class Stub:
        def GetAuditRun(self, request: claims_pb2.GetAuditRunRequest, timeout: float) -> claims_pb2.AuditRun:
            return next(runs)

    from services.claims.cli import watch

    out = io.StringIO()
    assert watch(Stub(), "r", out=out, interval=0) == 1  # type: ignore[arg-type]
    text = out.getvalue()
    assert text.count("\n") >= 2 and "error: rules down" in text
