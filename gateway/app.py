"""The HTTP edge: the national interface and REST, translated to gRPC calls.

Only the gateway speaks HTTP or knows about callers; everything behind it is gRPC.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc

from fundguard.claims.v1 import claims_pb2, claims_pb2_grpc
from fundguard.runtime.errors import InvalidArgument, field_violations_from
from fundguard.runtime.settings import SERVICES, Settings
from fundguard.runtime.tls import dial
from gateway import national

log = logging.getLogger(__name__)
NATIONAL_PATH = "/fsi/api/rsfComIfsService/callService"
MAX_BODY = 8 * 1024 * 1024


class Upstreams:
    def __init__(self, settings: Settings) -> None:
        self.channels = {svc: dial(settings.addr(svc)) for svc in SERVICES}
        self.claims = claims_pb2_grpc.ClaimsServiceStub(self.channels["claims"])
        self.timeout = 10.0

    def healthy(self) -> dict[str, bool]:
        out = {}
        for name, channel in self.channels.items():
            try:
                resp = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                out[name] = resp.status == health_pb2.HealthCheckResponse.SERVING
            except grpc.RpcError:
                out[name] = False
        return out

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()


def _violations_text(violations: list[Any]) -> str:
    return "; ".join(f"{v.field}: {v.reason}" for v in violations)


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="Fundguard gateway", version="0.1.0",
                  description="National interface (callService) and REST access to Fundguard.")
    upstreams = Upstreams(settings)
    app.state.upstreams = upstreams

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        status = upstreams.healthy()
        return JSONResponse({"ready": all(status.values()), "upstreams": status},
                            status_code=200 if all(status.values()) else 503)

    @app.post(NATIONAL_PATH, summary="The national interface: one envelope, dispatched on infno")
    async def call_service(request: Request) -> JSONResponse:
        raw = await request.body()
        msgid = ""
        if len(raw) > MAX_BODY:
            return JSONResponse(national.response("", None, f"body: larger than {MAX_BODY} bytes"), status_code=413)
        try:
            # Decimals, not floats: amounts must survive to the cent.
            body = json.loads(raw, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            return JSONResponse(national.response("", None, f"body: not valid JSON ({exc})"), status_code=400)
        try:
            envelope = national.check_envelope(body)
            msgid = str(envelope["msgid"])
            infno = str(envelope["infno"])
            if infno in national.ANALYSIS_INFNOS:
                output = analyze(envelope, infno)
            else:
                return JSONResponse(national.response(msgid, None, f"infno: unsupported transaction {infno!r}"),
                                    status_code=400)
        except InvalidArgument as exc:
            return JSONResponse(national.response(msgid, None, _violations_text(exc.violations)), status_code=400)
        except grpc.RpcError as exc:
            return _rpc_failure(exc, msgid)
        return JSONResponse(national.response(msgid, output))

    def analyze(envelope: dict[str, Any], infno: str) -> dict[str, Any]:
        data = envelope["input"].get("data")
        if not isinstance(data, dict):
            raise InvalidArgument([national.FieldViolation("input.data", "required: an object")])
        cases = national.analysis_cases(data, str(envelope["fixmedins_code"]))
        rule_ids = data.get("rule_ids") or []
        if isinstance(rule_ids, str):
            rule_ids = [r for r in rule_ids.split(",") if r]
        reply = upstreams.claims.Analyze(claims_pb2.AnalyzeRequest(
            request_id=str(envelope["msgid"]), moment=national.ANALYSIS_INFNOS[infno],
            trigger_scene=national._text(data.get("trig_scen")), task_id=national._text(data.get("task_id")),
            rule_ids=[str(r) for r in rule_ids], cases=cases,
        ), timeout=upstreams.timeout)
        return national.analysis_result(reply.findings, national._text(data.get("task_id")))

    def _rpc_failure(exc: grpc.RpcError, msgid: str) -> JSONResponse:
        code = exc.code()  # type: ignore[attr-defined]
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            violations = field_violations_from(exc)
            text = _violations_text(violations) if violations else exc.details()  # type: ignore[attr-defined]
            return JSONResponse(national.response(msgid, None, text), status_code=400)
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            log.warning("upstream unavailable", extra={"fields": {"code": code.name}})
            return JSONResponse(national.response(msgid, None, "service temporarily unavailable; retry later"),
                                status_code=503, headers={"Retry-After": "1"})
        log.error("upstream failed", extra={"fields": {"code": code.name}})
        return JSONResponse(national.response(msgid, None, "internal error"), status_code=500)

    @app.get("/api/v1/claims/{claim_id}", summary="A claim with its lines and findings")
    def get_claim(claim_id: str) -> JSONResponse:
        try:
            claim = upstreams.claims.GetClaim(claims_pb2.GetClaimRequest(claim_id=claim_id), timeout=upstreams.timeout)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:  # type: ignore[attr-defined]
                return JSONResponse({"type": "about:blank", "title": "Not Found", "status": 404,
                                     "detail": f"claim {claim_id} not found"},
                                    status_code=404, media_type="application/problem+json")
            raise
        return JSONResponse(json_format.MessageToDict(claim, preserving_proto_field_name=True))

    @app.on_event("shutdown")
    def close() -> None:
        upstreams.close()

    return app
