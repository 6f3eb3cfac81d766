"""Rich gRPC errors: INVALID_ARGUMENT with google.rpc.BadRequest field violations."""

from __future__ import annotations

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


def invalid_argument_status(err: InvalidArgument) -> grpc.Status:
    detail = any_pb2.Any()
    detail.Pack(
        error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.reason)
                for v in err.violations
            ]
        )
    )
    return rpc_status.to_status(
        status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=str(err), details=[detail])
    )


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
