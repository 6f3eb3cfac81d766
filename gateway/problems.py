"""Errors as application/problem+json (RFC 9457): type, title, status, detail, and for a
400 the offending fields. Never a stack trace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import grpc
from fastapi.responses import JSONResponse

from fundguard.runtime.errors import FieldViolation, field_violations_from

MEDIA_TYPE = "application/problem+json"
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
          409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests",
          500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
          504: "Gateway Timeout"}
SLUGS = {400: "invalid-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
         405: "method-not-allowed", 409: "conflict", 413: "too-large", 415: "unsupported-media-type",
         429: "too-many-requests", 500: "internal", 501: "not-implemented", 502: "upstream-failed",
         503: "unavailable", 504: "deadline-exceeded"}


class Problem(Exception):
    def __init__(self, status: int, detail: str, *, errors: Sequence[FieldViolation] = (),
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})


def body(status: int, detail: str, errors: Sequence[FieldViolation] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {"type": f"urn:fundguard:problem:{SLUGS.get(status, 'error')}",
                           "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    if errors:
        out["errors"] = [{"field": e.field, "reason": e.reason} for e in errors]
    return out


def response(status: int, detail: str, *, errors: Sequence[FieldViolation] = (),
             headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body(status, detail, errors), status_code=status, media_type=MEDIA_TYPE,
                        headers=dict(headers or {}))


def not_found(kind: str, ident: str) -> Problem:
    """The one answer for 'does not exist' and 'not yours': the same status and body."""
    return Problem(404, f"{kind} {ident} not found")


def from_rpc(exc: grpc.RpcError, not_found_as: tuple[str, str] | None = None) -> Problem:
    """A gRPC failure as a Problem; upstream details are passed on only where they are the
    caller's own input errors."""
    code = exc.code()  # type: ignore[attr-defined]
    if code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED) and not_found_as:
        return not_found(*not_found_as)
    if code == grpc.StatusCode.NOT_FOUND:
        return Problem(404, exc.details() or "not found")  # type: ignore[attr-defined]
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        violations = field_violations_from(exc)
        return Problem(400, exc.details() or "invalid argument", errors=violations)  # type: ignore[attr-defined]
    if code in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.ABORTED):
        return Problem(409, exc.details() or "conflict")  # type: ignore[attr-defined]
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return Problem(403, "not allowed")
    if code == grpc.StatusCode.UNIMPLEMENTED:
        return Problem(501, unimplemented_text(exc))
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return Problem(429, "the service is busy; retry later", headers={"Retry-After": "1"})
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return Problem(504, "the request's deadline passed before the service answered")
    if code == grpc.StatusCode.UNAVAILABLE:
        return Problem(503, "service temporarily unavailable; retry later", headers={"Retry-After": "1"})
    return Problem(502, "the service behind the gateway failed")


def unimplemented_text(exc: grpc.RpcError) -> str:
    method = getattr(exc, "fundguard_method", "") or "this operation"
    return f"{method} is not implemented by the service yet (UNIMPLEMENTED)"


def national_status(exc: grpc.RpcError) -> tuple[int, str]:
    """(HTTP status, err_msg) for a failed call behind the national interface."""
    problem = from_rpc(exc)
    if problem.errors:
        return 400, "; ".join(f"{v.field}: {v.reason}" for v in problem.errors)
    return problem.status, problem.detail
