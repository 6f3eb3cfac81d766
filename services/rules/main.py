"""Start the rules service."""

from __future__ import annotations

from pathlib import Path

import grpc

from fundguard.rules.v1 import rules_pb2, rules_pb2_grpc
from fundguard.runtime.db import create_engine
from fundguard.runtime.server import ServiceRunner
from fundguard.runtime.settings import Settings
from services.rules.domain import engine, rulepack
from services.rules.servicer import RulesServicer
from services.rules.store.repository import CatalogueStore, RulePackStore

DEFAULT_PACK = Path(__file__).parent / "packs" / "national_v1.toml"


def load_default_pack() -> rulepack.RulePack:
    return engine.parse_pack(DEFAULT_PACK.read_text(encoding="utf-8"), DEFAULT_PACK.name)


def build(settings: Settings) -> ServiceRunner:
    assert settings.database_url
    db = create_engine(settings.database_url)
    servicer = RulesServicer(CatalogueStore(db), load_default_pack(), RulePackStore(db),
                             DEFAULT_PACK.read_text(encoding="utf-8"))

    def register(server: grpc.Server) -> list[str]:
        rules_pb2_grpc.add_RulesServiceServicer_to_server(servicer, server)
        return [rules_pb2.DESCRIPTOR.services_by_name["RulesService"].full_name]

    return ServiceRunner(settings, register, db)
