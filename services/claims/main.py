"""Start the claims service."""

from __future__ import annotations

import grpc

from fundguard.claims.v1 import claims_pb2, claims_pb2_grpc
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc
from fundguard.rules.v1 import rules_pb2_grpc
from fundguard.runtime.db import create_engine
from fundguard.runtime.server import ServiceRunner
from fundguard.runtime.settings import Settings
from fundguard.runtime.tls import dial
from services.claims.servicer import ClaimsServicer
from services.claims.store.repository import ClaimsStore


def build(settings: Settings) -> ServiceRunner:
    assert settings.database_url
    engine = create_engine(settings.database_url)
    rules_channel = dial(settings.addr("rules"))
    registry_channel = dial(settings.addr("physician_codes"))
    servicer = ClaimsServicer(ClaimsStore(engine), rules_pb2_grpc.RulesServiceStub(rules_channel),
                              physician_codes_pb2_grpc.PhysicianCodesServiceStub(registry_channel))

    def register(server: grpc.Server) -> list[str]:
        claims_pb2_grpc.add_ClaimsServiceServicer_to_server(servicer, server)
        return [claims_pb2.DESCRIPTOR.services_by_name["ClaimsService"].full_name]

    def close() -> None:
        servicer.pool.shutdown(wait=False)
        rules_channel.close()
        registry_channel.close()

    return ServiceRunner(settings, register, engine, on_stop=close)
