"""The HTTP edge: the national interface and REST, translated to gRPC calls.

Only the gateway speaks HTTP or knows about callers; everything behind it is gRPC. Every
request except the probes and the API description passes the edge first: body size,
overload, authentication, the caller's rate limit and a deadline. Routes then say which
roles may use them; anything not granted is denied.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.telemetry._api import _route_selected
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fundguard.runtime import telemetry
from fundguard.runtime.db import create_engine
from fundguard.runtime.errors import FieldViolation, InvalidArgument
from fundguard.runtime.heap import freeze_startup_heap
from fundguard.runtime.settings import Settings, SettingsError
from gateway import national, problems
from gateway.auth import Authenticator, Caller, Unauthenticated, may_see_institution
from gateway.coalesce import AnalysisBatcher
from gateway.config import GatewayConfig
from gateway.limits import InflightGate, RateLimiter
from gateway.problems import Problem
from gateway.secrets import TokenCipher, load_key
from gateway.store.repository import CallerStore, NonceStore, StoreUnavailable
from gateway.upstreams import DeadlinePassed, Upstreams, call

log = logging.getLogger(__name__)
NATIONAL_PATH = "/fsi/api/rsfComIfsService/callService"
UPLOAD_PATHS = ("/api/v1/uploads/fee-details",)
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect"})
TIMEOUT_HEADER = "x-fundguard-timeout"
NATIONAL_ROLES = ("platform", "institution")


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"body: larger than {limit} bytes")
        self.limit = limit


class Edge:
    """What every route needs: the upstream stubs, the callers and the limits."""

    def __init__(self, settings: Settings, config: GatewayConfig, engine: Engine, cipher: TokenCipher) -> None:
        self.settings = settings
        self.config = config
        self.engine = engine
        self.callers = CallerStore(engine, cipher)
        self.nonces = NonceStore(engine.url.render_as_string(hide_password=False))
        self.auth = Authenticator(self.callers, self.nonces, config.timestamp_window,
                                  config.caller_cache_seconds)
        self.limiter = RateLimiter(config.rate, config.burst)
        self.gate = InflightGate(config.max_inflight)
        self.upstreams = Upstreams(settings)
        self.analyses = AnalysisBatcher(self.upstreams.claims_async, config.analysis_calls)


def caller_of(request: Request) -> Caller:
    c = request.state.caller
    assert isinstance(c, Caller)
    return c


def deadline_of(request: Request) -> float:
    return float(request.state.deadline)


@dataclass(frozen=True)
class Refusal:
    """A request the edge turns away before any route runs."""

    status: int
    detail: str
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class Admission:
    """A request the edge lets through: who it is, when its time is up, how much body it may send."""

    caller: Caller
    deadline: float
    body_limit: int


async def admit(edge: Edge, scope: Scope, headers: Mapping[str, str]) -> Admission | Refusal:
    """The edge's checks, in order: NUL characters, declared body size, the in-flight gate,
    authentication, the caller's rate limit, and the request's deadline. An Admission holds
    a place in the gate, which the caller gives back (``edge.gate.leave()``) when done."""
    cfg = edge.config
    if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
        return Refusal(400, "the path or query contains a NUL character")
    limit = cfg.max_upload if scope["path"] in UPLOAD_PATHS else cfg.max_body
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return Refusal(413, f"body: larger than {limit} bytes")
    if not edge.gate.enter():
        return Refusal(429, "the gateway is at capacity; retry shortly", {"Retry-After": "1"})
    try:
        outcome = await _identify(edge, scope, headers, limit)
    except BaseException:
        edge.gate.leave()
        raise
    if isinstance(outcome, Refusal):
        edge.gate.leave()
    return outcome


async def _identify(edge: Edge, scope: Scope, headers: Mapping[str, str], limit: int) -> Admission | Refusal:
    """Authentication, the caller's rate limit and the request's deadline."""
    try:
        caller = await edge.auth.authenticate(headers, scope.get("state", {}).get("tls_client_subject"))
    except Unauthenticated as exc:
        return Refusal(401, str(exc))
    except (SQLAlchemyError, StoreUnavailable):
        log.warning("caller or nonce store unavailable", exc_info=True)
        return Refusal(503, "authentication is unavailable; retry shortly", {"Retry-After": "1"})
    wait = edge.limiter.retry_after(caller.caller_id)
    if wait > 0:
        return Refusal(429, f"rate limit for caller {caller.caller_id} reached",
                       {"Retry-After": str(max(1, math.ceil(wait)))})
    budget = edge.config.deadline
    asked = headers.get(TIMEOUT_HEADER, "")
    try:
        if asked and float(asked) > 0:
            budget = min(float(asked), edge.config.max_deadline)
    except ValueError:
        pass
    return Admission(caller, time.monotonic() + budget, limit)


def header_map(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class EdgeMiddleware:
    """Pure ASGI, so streamed uploads stay streamed and the cost per request stays small."""

    def __init__(self, app: ASGIApp, edge: Edge) -> None:
        self.app = app
        self.edge = edge

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, refusal: Refusal) -> None:
        if scope["path"] == NATIONAL_PATH:
            answer = NationalAnswer.refused(refusal)
            resp = JSONResponse(answer.envelope, status_code=answer.status, headers=answer.headers)
        else:
            resp = problems.response(refusal.status, refusal.detail, headers=refusal.headers)
        await resp(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        admitted = await admit(self.edge, scope, header_map(scope))
        if isinstance(admitted, Refusal):
            await self._refuse(scope, receive, send, admitted)
            return
        try:
            state = scope.setdefault("state", {})
            state["caller"] = admitted.caller
            state["deadline"] = admitted.deadline
            limit = admitted.body_limit
            seen = 0

            async def counted() -> Message:
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > limit:
                        raise BodyTooLarge(limit)
                return message

            await self.app(scope, counted, send)
        finally:
            self.edge.gate.leave()


async def read_body(receive: Receive, limit: int) -> bytes | BodyTooLarge | None:
    """The whole request body, or BodyTooLarge past ``limit`` bytes, or None when the client
    went away before sending it."""
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            return BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def send_json(send: Send, status: int, content: Any, headers: Mapping[str, str] | None = None) -> None:
    """A JSON response as JSONResponse renders it (compact, UTF-8, no NaN), sent directly."""
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()
    raw = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class GatewayApp(FastAPI):
    """FastAPI, with the national interface's POST answered on a lean path: the same edge
    checks and the same answer as the route, without the routing, dependency and exception
    layers between them, which cost a 3101 more CPU than everything else the gateway does
    for it. Every other request, and the OpenAPI description of this one, is FastAPI's."""

    edge: Edge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != NATIONAL_PATH or scope["method"] != "POST":
            await super().__call__(scope, receive, send)
        elif "fastapi.telemetry" not in scope and self._native_telemetry.enabled():
            # FastAPI's own telemetry around it: the same span and metrics as any route.
            await self._native_telemetry(app=self._national, scope=scope, receive=receive, send=send)
        else:
            await self._national(scope, receive, send)

    async def _national(self, scope: Scope, receive: Receive, send: Send) -> None:
        _route_selected(scope=scope, path=NATIONAL_PATH)  # the span and metrics name the route
        try:
            reply = await self._national_reply(scope, receive)
        except Exception:
            log.exception("unhandled error in the gateway")
            reply = NationalAnswer(500, national.response("", None, "internal error; the incident is logged"))
        if reply is not None:
            await send_json(send, reply.status, reply.envelope, reply.headers)

    async def _national_reply(self, scope: Scope, receive: Receive) -> NationalAnswer | None:
        """The answer, or None when the client left before its body arrived."""
        admitted = await admit(self.edge, scope, header_map(scope))
        if isinstance(admitted, Refusal):
            return NationalAnswer.refused(admitted)
        try:
            body = await read_body(receive, admitted.body_limit)
            return None if body is None else await national_answer(self.edge, admitted.caller, body,
                                                                   admitted.deadline)
        finally:
            self.edge.gate.leave()


def create_app(settings: Settings, config: GatewayConfig | None = None, *, engine: Engine | None = None,
               key: bytes | None = None) -> FastAPI:
    config = config or GatewayConfig.from_env()
    if engine is None:
        if not settings.database_url:
            raise SettingsError("DATABASE_URL is not set: the gateway keeps callers and nonces in PostgreSQL")
        # Callers read on a cache miss; nonces have connections of their own (NonceStore). No
        # ping per checkout: a connection the server dropped fails one request (503) and is
        # replaced.
        engine = create_engine(settings.database_url, pool_size=20, max_overflow=20, pool_pre_ping=False,
                               pool_recycle=1800)
    edge = Edge(settings, config, engine, TokenCipher(key if key is not None else load_key()))
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        freeze_startup_heap()
        yield
        await edge.upstreams.aclose()
        edge.upstreams.close()
        edge.nonces.close()

    app = GatewayApp(
        lifespan=lifespan,
        telemetry=telemetry.fastapi_telemetry(),
        title="Fundguard gateway", version="1.0.0",
        description=(
            "The national interface (`POST /fsi/api/rsfComIfsService/callService`) and REST access to "
            "Fundguard. Every call is authenticated by the signed `x-tif-*` headers (x-tif-paasid, "
            "x-tif-timestamp, x-tif-nonce, x-tif-signature = hex SHA-256 of timestamp + token + nonce + "
            "timestamp) or by a registered client certificate. Errors are application/problem+json."),
    )
    app.edge = edge
    app.state.upstreams = edge.upstreams
    app.add_middleware(EdgeMiddleware, edge=edge)

    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> JSONResponse:
        return problems.response(exc.status, exc.detail, errors=exc.errors, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [FieldViolation(".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body",
                                 str(e.get("msg", "invalid"))) for e in exc.errors()]
        return problems.response(400, "the request has invalid fields", errors=errors)

    @app.exception_handler(InvalidArgument)
    async def on_invalid(request: Request, exc: InvalidArgument) -> JSONResponse:
        return problems.response(400, "the request has invalid fields", errors=exc.violations)

    @app.exception_handler(grpc.RpcError)
    async def on_rpc(request: Request, exc: grpc.RpcError) -> JSONResponse:
        p = problems.from_rpc(exc)
        if p.status >= 502:
            log.warning("upstream failed", extra={"fields": {"code": exc.code().name}})  # type: ignore[attr-defined]
        return problems.response(p.status, p.detail, errors=p.errors, headers=p.headers)

    @app.exception_handler(DeadlinePassed)
    async def on_deadline(request: Request, exc: DeadlinePassed) -> JSONResponse:
        return problems.response(504, "the request's deadline passed")

    @app.exception_handler(BodyTooLarge)
    async def on_too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return problems.response(413, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problems.response(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in the gateway")
        return problems.response(500, "internal error; the incident is logged")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        status = edge.upstreams.healthy()
        return JSONResponse({"ready": all(status.values()), "upstreams": status},
                            status_code=200 if all(status.values()) else 503)

    app.state.edge = edge  # for operators' tools and tests: the batcher, the limits
    add_national_route(app, edge)
    from gateway.rest import add_rest_routes

    add_rest_routes(app, edge)

    return app


ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["infno", "msgid", "fixmedins_code", "input"],
    "additionalProperties": True,
    "properties": {
        "infno": {"type": "string", "enum": list(national.SUPPORTED_INFNOS)},
        "msgid": {"type": "string", "description": "institution code (12) + yyyyMMddHHmmss + 4-digit sequence"},
        "mdtrtarea_admvs": {"type": "string"}, "insuplc_admdvs": {"type": "string"},
        "recer_sys_code": {"type": "string"}, "infver": {"type": "string"}, "opter_type": {"type": "string"},
        "opter": {"type": "string"}, "opter_name": {"type": "string"}, "inf_time": {"type": "string"},
        "fixmedins_code": {"type": "string"}, "fixmedins_name": {"type": "string"}, "sign_no": {"type": "string"},
        "cainfo": {"type": "string"}, "signtype": {"type": "string"},
        "input": {"type": "object", "additionalProperties": True},
    },
}
NATIONAL_RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"infcode": {"type": "integer", "enum": [0, -1]}, "inf_refmsgid": {"type": "string"},
                   "refmsg_time": {"type": "string"}, "respond_time": {"type": "string"},
                   "err_msg": {"type": "string"}, "output": {"type": "object"}},
}


async def _dispatch(edge: Edge, envelope: dict[str, Any], deadline: float, nul_free: bool
                    ) -> tuple[dict[str, Any], str]:
    """(output, err_msg) for one checked envelope; ``nul_free`` when its body held no NUL."""
    up = edge.upstreams
    infno = str(envelope["infno"])
    if infno in national.ANALYSIS_INFNOS:
        reply = await edge.analyses.analyze(national.analysis_request(envelope), deadline, nul_checked=nul_free)
        task_id = national._text(envelope["input"].get("data", {}).get("task_id"))
        return national.analysis_result(reply.findings, task_id), ""
    if infno == national.FEEDBACK_INFNO:
        fb = await call(up.claims.RecordFeedback, national.feedback_request(envelope), deadline,
                        "ClaimsService/RecordFeedback", nul_checked=nul_free)
        return national.feedback_output(fb), ""
    if infno in national.FEE_DETAIL_INFNOS:
        req = national.fee_details_request(envelope)
        report = await call(up.claims.UploadFeeDetails, req, deadline, "ClaimsService/UploadFeeDetails",
                            nul_checked=nul_free)
        return national.ingest_output(report, req.details), national.ingest_error_text(report)
    if infno in national.SETTLE_INFNOS:
        st = await call(up.claims.Settle, national.settle_request(envelope), deadline, "ClaimsService/Settle",
                        nul_checked=nul_free)
        return national.settle_output(st), ""
    if infno in national.REVERSAL_INFNOS:
        rv = await call(up.claims.ReverseSettlement, national.reversal_request(envelope), deadline,
                        "ClaimsService/ReverseSettlement", nul_checked=nul_free)
        return national.settle_output(rv), ""
    raise InvalidArgument([FieldViolation("infno", f"unsupported transaction {infno!r}; supported: "
                                                   + ", ".join(national.SUPPORTED_INFNOS))])


@dataclass
class NationalAnswer:
    """The national response envelope for one request, with its HTTP status and headers."""

    status: int
    envelope: dict[str, Any]
    headers: dict[str, str] | None = None

    @classmethod
    def refused(cls, refusal: Refusal) -> NationalAnswer:
        """The edge's refusal in the national shape (no msgid: the body was not read)."""
        return cls(refusal.status, national.response("", None, refusal.detail), refusal.headers)


async def national_answer(edge: Edge, caller: Caller, body: bytes | BodyTooLarge, deadline: float) -> NationalAnswer:
    """One call of the national interface, from the raw body to the response envelope:
    every failure is an envelope with infcode -1 and an err_msg that names the problem."""
    msgid = ""

    def answer(status: int, output: dict[str, Any] | None, err: str = "",
               headers: dict[str, str] | None = None) -> NationalAnswer:
        return NationalAnswer(status, national.response(msgid, output, err), headers)

    if caller.role not in NATIONAL_ROLES:
        return answer(403, None, f"caller {caller.caller_id} ({caller.role}) may not use the national interface")
    if isinstance(body, BodyTooLarge):
        return answer(413, None, str(body))
    try:
        parsed = national.parse_body(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return answer(400, None, f"body: not valid JSON ({exc})")
    try:
        envelope = national.check_envelope(parsed)
        msgid = national._text(envelope["msgid"])
        outside = [c for c in national.institution_codes(envelope) if not may_see_institution(caller, c)]
        if outside:
            return answer(403, None, f"fixmedins_code: {', '.join(outside)} is outside the scope of caller "
                                     f"{caller.caller_id}")
        # Strict JSON refuses raw control characters, so a NUL in any parsed text can only
        # come from a \u0000 escape: without one, the messages need no NUL walk.
        output, err = await _dispatch(edge, envelope, deadline, nul_free=b"\\u0000" not in body)
    except InvalidArgument as exc:
        return answer(400, None, "; ".join(f"{v.field}: {v.reason}" for v in exc.violations))
    except grpc.RpcError as exc:
        status, text = problems.national_status(exc)
        if status >= 502:
            log.warning("upstream failed", extra={"fields": {"code": exc.code().name}})  # type: ignore[attr-defined]
        return answer(status, None, text, {"Retry-After": "1"} if status in (429, 503) else None)
    except DeadlinePassed:
        return answer(504, None, "the request's deadline passed")
    return answer(200, output, err)


def add_national_route(app: FastAPI, edge: Edge) -> None:
    @app.post(NATIONAL_PATH, summary="The national interface: one envelope, dispatched on infno",
              tags=["national"], response_model=None,
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": ENVELOPE_SCHEMA}}},
                  "responses": {"200": {"description": "the national response envelope", "content": {
                      "application/json": {"schema": NATIONAL_RESPONSE_SCHEMA}}}}})
    async def call_service(request: Request) -> JSONResponse:
        # GatewayApp answers these POSTs before routing (the lean path); the route is what
        # the OpenAPI document describes, and answers the same way if it is ever reached.
        try:
            body: bytes | BodyTooLarge = await request.body()
        except BodyTooLarge as exc:
            body = exc
        reply = await national_answer(edge, caller_of(request), body, deadline_of(request))
        return JSONResponse(reply.envelope, status_code=reply.status, headers=reply.headers)
