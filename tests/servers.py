"""Real gRPC servers in the test process, on free ports, against the test database."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import grpc

from fundguard.runtime.server import ServiceRunner
from fundguard.runtime.settings import SERVICES, addr_var, load
from fundguard.runtime.supervisor import free_port


@contextmanager
def serve(service: str, database_url: str, data_dir: Path,
          addrs: Mapping[str, str] | None = None) -> Iterator[tuple[grpc.Channel, ServiceRunner]]:
    """Start ``service`` on a free port; yield a channel to it and its runner, then stop it.

    ``addrs`` gives the addresses of the other services it calls (defaults to unused ports,
    so a call to an absent service fails as UNAVAILABLE rather than reaching something else).
    """
    port = free_port()
    env = {"DATABASE_URL": database_url, "FUNDGUARD_DATA_DIR": str(data_dir),
           addr_var(service): f"127.0.0.1:{port}"}
    for other in SERVICES:
        if other != service:
            env[addr_var(other)] = (addrs or {}).get(other, f"127.0.0.1:{free_port()}")
    settings = load(service, env)
    runner: ServiceRunner = importlib.import_module(f"services.{service}.main").build(settings)
    runner.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel, runner
    finally:
        channel.close()
        runner.stop(grace=1.0)
