"""Start the credit service."""

from __future__ import annotations

import grpc

from fundguard.credit.v1 import credit_pb2, credit_pb2_grpc
from fundguard.runtime.db import create_engine
from fundguard.runtime.server import ServiceRunner
from fundguard.runtime.settings import Settings
from services.credit.servicer import CreditServicer
from services.credit.store.repository import CreditStore


def build(settings: Settings) -> ServiceRunner:
    assert settings.database_url
    engine = create_engine(settings.database_url)
    servicer = CreditServicer(CreditStore(engine))

    def register(server: grpc.Server) -> list[str]:
        credit_pb2_grpc.add_CreditServiceServicer_to_server(servicer, server)
        return [credit_pb2.DESCRIPTOR.services_by_name["CreditService"].full_name]

    return ServiceRunner(settings, register, engine)
