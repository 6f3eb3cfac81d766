"""Start the claims service, with its background workers: the audit runs and the outbox relay."""

from __future__ import annotations

import grpc

from fundguard.claims.v1 import claims_pb2, claims_pb2_grpc
from fundguard.credit.v1 import credit_pb2_grpc
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc
from fundguard.rules.v1 import rules_pb2_grpc
from fundguard.runtime.db import create_engine
from fundguard.runtime.server import ServiceRunner
from fundguard.runtime.settings import Settings
from fundguard.runtime.tls import dial
from services.claims.audit import AuditRunner
from services.claims.cycle import Cycle
from services.claims.metrics import register_gauges
from services.claims.outbox import OutboxRelay
from services.claims.servicer import ClaimsServicer
from services.claims.store.repository import ClaimsStore


def build(settings: Settings) -> ServiceRunner:
    assert settings.database_url
    engine = create_engine(settings.database_url)
    register_gauges(engine)
    rules_channel = dial(settings.addr("rules"))
    registry_channel = dial(settings.addr("physician_codes"))
    credit_channel = dial(settings.addr("credit"))
    rules = rules_pb2_grpc.RulesServiceStub(rules_channel)
    registry = physician_codes_pb2_grpc.PhysicianCodesServiceStub(registry_channel)
    relay = OutboxRelay(engine, credit_pb2_grpc.CreditServiceStub(credit_channel))
    audit = AuditRunner(engine, rules, registry)
    servicer = ClaimsServicer(ClaimsStore(engine), rules, registry, audit=audit,
                              cycle=Cycle(engine, wake_relay=relay.notify))

    def register(server: grpc.Server) -> list[str]:
        claims_pb2_grpc.add_ClaimsServiceServicer_to_server(servicer, server)
        return [claims_pb2.DESCRIPTOR.services_by_name["ClaimsService"].full_name]

    def close() -> None:
        audit.stop()
        relay.stop()
        servicer.pool.shutdown(wait=False)
        rules_channel.close()
        registry_channel.close()
        credit_channel.close()

    # Runs left `running` by a crashed process resume here; the relay drains what is pending.
    audit.start()
    relay.start()
    return ServiceRunner(settings, register, engine, on_stop=close)
