"""Start the credit service."""

from __future__ import annotations

import grpc

from fundguard.credit.v1 import credit_pb2, credit_pb2_grpc
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc
from fundguard.runtime.db import create_engine
from fundguard.runtime.server import ServiceRunner
from fundguard.runtime.settings import Settings
from fundguard.runtime.tls import dial
from services.credit.dispatch import RetryLoop, SanctionDispatcher
from services.credit.domain import policy as credit_policy
from services.credit.metrics import register_gauges
from services.credit.pii import IdentityVault
from services.credit.servicer import CreditServicer
from services.credit.store.repository import CreditStore


def build(settings: Settings) -> ServiceRunner:
    assert settings.database_url
    policy = credit_policy.load()   # a bad policy file stops the start with a clear message
    engine = create_engine(settings.database_url)
    register_gauges(engine)
    store = CreditStore(engine, policy, IdentityVault.from_env(settings.data_dir))
    registry_channel = dial(settings.addr("physician_codes"))
    dispatcher = SanctionDispatcher(store, physician_codes_pb2_grpc.PhysicianCodesServiceStub(registry_channel))
    retry = RetryLoop(dispatcher)
    servicer = CreditServicer(store, dispatcher)

    def register(server: grpc.Server) -> list[str]:
        credit_pb2_grpc.add_CreditServiceServicer_to_server(servicer, server)
        return [credit_pb2.DESCRIPTOR.services_by_name["CreditService"].full_name]

    def close() -> None:
        retry.stop()
        registry_channel.close()

    runner = ServiceRunner(settings, register, engine, on_stop=close)
    retry.start()
    return runner
