"""Real rules and physician_codes servers with the sample catalogue and registry loaded."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import grpc
import pytest

from fundguard.physician_codes.v1 import physician_codes_pb2 as pc
from fundguard.physician_codes.v1 import physician_codes_pb2_grpc as pc_grpc
from fundguard.rules.v1 import rules_pb2, rules_pb2_grpc
from fundguard.runtime.server import ServiceRunner
from fundguard.runtime.settings import SERVICES, addr_var, load
from fundguard.runtime.supervisor import free_port
from tests.servers import serve

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def backends(migrated_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Addresses of a loaded rules and physician_codes server (and a port reserved for credit)."""
    data_dir = tmp_path_factory.mktemp("backends")
    with ExitStack() as stack:
        rules_ch, rules_runner = stack.enter_context(serve("rules", migrated_url, data_dir))
        pc_ch, pc_runner = stack.enter_context(serve("physician_codes", migrated_url, data_dir))
        files = {p.name: p.read_text(encoding="utf-8") for p in sorted((SAMPLES / "catalogue").glob("*.csv"))}
        rules_pb2_grpc.RulesServiceStub(rules_ch).LoadCatalogue(rules_pb2.LoadCatalogueRequest(
            request_id="claims-tests-catalogue", version="sample-2026.11", effective_from="2024-01-01",
            files=files), timeout=30)
        registry = pc_grpc.PhysicianCodesServiceStub(pc_ch)
        for row in _rows(SAMPLES / "registry" / "institutions.csv"):
            registry.UpsertInstitution(pc.UpsertInstitutionRequest(institution=pc.Institution(**row)), timeout=10)
        for row in _rows(SAMPLES / "registry" / "staff.csv"):
            id_number = row.pop("id_number")
            registry.UpsertStaff(pc.UpsertStaffRequest(staff=pc.Staff(**row), id_number=id_number), timeout=10)
        for row in _rows(SAMPLES / "registry" / "registrations.csv"):
            registry.AddRegistration(pc.AddRegistrationRequest(registration=pc.Registration(**row)), timeout=10)
        yield {"rules": rules_runner.settings.listen_addr,
               "physician_codes": pc_runner.settings.listen_addr,
               "credit": f"127.0.0.1:{free_port()}"}


@contextmanager
def serve_at(service: str, addr: str, database_url: str, data_dir: Path,
             addrs: dict[str, str]) -> Iterator[grpc.Channel]:
    """Like tests.servers.serve, but on a given address (to start a service after its callers)."""
    env = {"DATABASE_URL": database_url, "FUNDGUARD_DATA_DIR": str(data_dir), addr_var(service): addr}
    for other in SERVICES:
        if other != service:
            env[addr_var(other)] = addrs.get(other, f"127.0.0.1:{free_port()}")
    import importlib

    runner: ServiceRunner = importlib.import_module(f"services.{service}.main").build(load(service, env))
    runner.start()
    channel = grpc.insecure_channel(addr)
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel
    finally:
        channel.close()
        runner.stop(grace=1.0)
