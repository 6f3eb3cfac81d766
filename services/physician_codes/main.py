"""Start the physician_codes service."""

from __future__ import annotations

import logging
import os
import threading

import grpc
import sqlalchemy as sa

from fundguard.physician_codes.v1 import physician_codes_pb2, physician_codes_pb2_grpc
from fundguard.runtime.db import create_engine
from fundguard.runtime.server import ServiceRunner
from fundguard.runtime.settings import Settings, SettingsError
from services.physician_codes.domain.codes import CodeFormats
from services.physician_codes.pii import IdentityProtector
from services.physician_codes.servicer import PhysicianCodesServicer
from services.physician_codes.store.repository import RegistryStore
from services.physician_codes.store.snapshots import FRESHNESS_MODES

log = logging.getLogger(__name__)


def build(settings: Settings) -> ServiceRunner:
    assert settings.database_url
    # Code formats and the identity key are checked now: a bad pattern stops the start.
    formats = CodeFormats.from_env(os.environ)
    protector = IdentityProtector.from_env(os.environ)
    freshness = os.environ.get("FUNDGUARD_REGISTRY_FRESHNESS", "read")
    if freshness not in FRESHNESS_MODES:
        raise SettingsError(f"FUNDGUARD_REGISTRY_FRESHNESS must be one of {', '.join(FRESHNESS_MODES)}, "
                            f"got {freshness!r}")
    engine = create_engine(settings.database_url)
    servicer = PhysicianCodesServicer(RegistryStore(engine, protector), formats, freshness)

    def warm() -> None:
        # Load the snapshot before the first real-time check needs it; if the database is not
        # there yet, the first check loads it instead.
        try:
            servicer.snapshots.current().warm()
        except sa.exc.SQLAlchemyError:
            log.warning("registry snapshot not loaded at start; the first check will load it")

    threading.Thread(target=warm, name="registry-snapshot", daemon=True).start()

    def register(server: grpc.Server) -> list[str]:
        physician_codes_pb2_grpc.add_PhysicianCodesServiceServicer_to_server(servicer, server)
        return [physician_codes_pb2.DESCRIPTOR.services_by_name["PhysicianCodesService"].full_name]

    return ServiceRunner(settings, register, engine, on_stop=servicer.snapshots.close)
