"""Channels and stubs to the four services, and calls that carry the request's deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from fundguard.claims.v1 import claims_pb2_grpc
from fundguard.credit.v1 import credit_pb2_grpc
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc
from fundguard.rules.v1 import rules_pb2_grpc
from fundguard.runtime.settings import SERVICES, Settings
from fundguard.runtime.tls import dial, dial_aio
from gateway import national

T = TypeVar("T")


class DeadlinePassed(Exception):
    pass


class Upstreams:
    def __init__(self, settings: Settings) -> None:
        self.channels = {svc: dial(settings.addr(svc)) for svc in SERVICES}
        self.claims = claims_pb2_grpc.ClaimsServiceStub(self.channels["claims"])
        self.rules = rules_pb2_grpc.RulesServiceStub(self.channels["rules"])
        self.registry = physician_codes_pb2_grpc.PhysicianCodesServiceStub(self.channels["physician_codes"])
        self.credit = credit_pb2_grpc.CreditServiceStub(self.channels["credit"])
        self._claims_addr = settings.addr("claims")
        self._claims_aio: grpc.aio.Channel | None = None
        self._claims_async: claims_pb2_grpc.ClaimsServiceStub | None = None

    def claims_async(self) -> claims_pb2_grpc.ClaimsServiceStub:
        """claims on a grpc.aio channel, for the real-time checks: made on first use, inside the
        event loop it then belongs to."""
        if self._claims_async is None:
            self._claims_aio = dial_aio(self._claims_addr)
            self._claims_async = claims_pb2_grpc.ClaimsServiceStub(self._claims_aio)
        return self._claims_async

    async def aclose(self) -> None:
        if self._claims_aio is not None:
            await self._claims_aio.close()
            self._claims_aio, self._claims_async = None, None

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


def remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlinePassed()
    return left


async def call(method: Callable[..., T], message: Any, deadline: float, name: str = "",
               nul_checked: bool = False) -> T:
    """One unary (or stream-unary) gRPC call, with the time the HTTP request has left as its
    gRPC deadline: on the event loop for a grpc.aio stub's method, in a worker thread for a
    sync one. The method name rides on the error so that an UNIMPLEMENTED answer can say
    which operation is missing. ``nul_checked`` says the caller already knows no text in the
    message holds a NUL (walking a 50-line message costs more than the rest of the gateway's
    work on it)."""
    timeout = remaining(deadline)
    if not nul_checked and hasattr(message, "ListFields"):
        national.refuse_nul(message)
    try:
        if isinstance(method, grpc.aio.UnaryUnaryMultiCallable):
            return await method(message, timeout=timeout)  # type: ignore[no-any-return]
        return await anyio.to_thread.run_sync(lambda: method(message, timeout=timeout))
    except grpc.RpcError as exc:
        exc.fundguard_method = name  # type: ignore[attr-defined]
        raise
