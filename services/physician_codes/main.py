"""Start the physician_codes service."""

from __future__ import annotations

import grpc

from fundguard.physician_codes.v1 import physician_codes_pb2, physician_codes_pb2_grpc
from fundguard.runtime.db import create_engine
from fundguard.runtime.server import ServiceRunner
from fundguard.runtime.settings import Settings
from services.physician_codes.servicer import PhysicianCodesServicer
from services.physician_codes.store.repository import RegistryStore


def build(settings: Settings) -> ServiceRunner:
    assert settings.database_url
    engine = create_engine(settings.database_url)
    servicer = PhysicianCodesServicer(RegistryStore(engine))

    def register(server: grpc.Server) -> list[str]:
        physician_codes_pb2_grpc.add_PhysicianCodesServiceServicer_to_server(servicer, server)
        return [physician_codes_pb2.DESCRIPTOR.services_by_name["PhysicianCodesService"].full_name]

    return ServiceRunner(settings, register, engine)
