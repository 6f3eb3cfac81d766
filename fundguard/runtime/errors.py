"""Rich gRPC errors: INVALID_ARGUMENT with google.rpc.BadRequest field violations."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status


@dataclass(frozen=True)
class FieldViolation:
    field: str
    reason: str


class InvalidArgument(Exception):
    """Bad input, with every offending field named. Domain code raises it; servicers map it."""

    def __init__(self, violations: Iterable[FieldViolation]) -> None:
        self.violations = list(violations)
        super().__init__("; ".join(f"{v.field}: {v.reason}" for v in self.violations))


class NotFound(Exception):
    """The named resource does not exist (or the caller may not know that it does)."""


# What another service's failure means to our caller too: the data it sent was refused, or
# the work could not be done now (retry later). Other codes are our own fault: INTERNAL.
PASSED_ON = frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAVAILABLE,
                       grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED})


def error_status(exc: Exception, log: logging.Logger) -> status_pb2.Status:
    """The google.rpc.Status a servicer answers for ``exc``, as the server's error mapping
    would: bad input names its fields, a missing resource says not found, a call to another
    service that failed for a reason the caller can act on (its data refused, the service
    unavailable or out of time) keeps that reason, and anything else is an internal error,
    logged here and never shown to the caller."""
    if isinstance(exc, InvalidArgument):
        detail = any_pb2.Any()
        detail.Pack(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.reason)
            for v in exc.violations]))
        return status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=str(exc), details=[detail])
    if isinstance(exc, NotFound):
        return status_pb2.Status(code=code_pb2.NOT_FOUND, message=str(exc) or "not found")
    if isinstance(exc, grpc.RpcError) and isinstance(exc, grpc.Call) and exc.code() in PASSED_ON:
        passed = rpc_status.from_call(exc)
        return passed or status_pb2.Status(code=exc.code().value[0], message=exc.details() or "")
    log.error("unhandled error in RPC", exc_info=exc)
    return status_pb2.Status(code=code_pb2.INTERNAL, message="internal error; see the service log")


def field_violations_from(error: grpc.RpcError) -> list[FieldViolation]:
    """Read the field violations back out of a gRPC error (the gateway's side)."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    out: list[FieldViolation] = []
    if status is None:
        return out
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            br = error_details_pb2.BadRequest()
            detail.Unpack(br)
            out += [FieldViolation(v.field, v.description) for v in br.field_violations]
    return out


class StatusError(grpc.RpcError):
    """A failure that arrived as a google.rpc.Status value (an item of a batch answer), with
    the face of the RpcError the single call would have raised: code, details and the rich
    status in the trailing metadata, so ``field_violations_from`` reads it the same way."""

    def __init__(self, status: status_pb2.Status, method: str = "") -> None:
        super().__init__(status.message)
        self.status = status
        self.fundguard_method = method

    def code(self) -> grpc.StatusCode:
        return CODES.get(self.status.code, grpc.StatusCode.UNKNOWN)

    def details(self) -> str:
        return self.status.message

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        return ((rpc_status.GRPC_DETAILS_METADATA_KEY, self.status.SerializeToString()),)


CODES = {c.value[0]: c for c in grpc.StatusCode}
