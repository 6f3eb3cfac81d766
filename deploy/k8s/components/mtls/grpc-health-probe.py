"""Exec probe: ask grpc.health.v1 on this pod over mutual TLS.

Usage: python grpc-health-probe.py PORT SERVER_NAME [SERVICE]

Connects to 127.0.0.1:PORT with the pod's own certificate (FUNDGUARD_TLS_CERT, _KEY, _CA),
checks the server's certificate against SERVER_NAME (the Kubernetes Service name in its SAN)
and exits 0 only if the answer is SERVING. Used because the kubelet's native gRPC probe
cannot speak TLS.
"""

from __future__ import annotations

import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def _read(variable: str) -> bytes:
    with open(os.environ[variable], "rb") as handle:
        return handle.read()


def check(port: int, server_name: str, service: str = "", timeout: float = 2.0) -> bool:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read("FUNDGUARD_TLS_CA"),
        private_key=_read("FUNDGUARD_TLS_KEY"),
        certificate_chain=_read("FUNDGUARD_TLS_CERT"),
    )
    options = [("grpc.ssl_target_name_override", server_name), ("grpc.default_authority", server_name)]
    with grpc.secure_channel(f"127.0.0.1:{port}", credentials, options=options) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        healthy = check(int(argv[1]), argv[2], argv[3] if len(argv) == 4 else "")
    except (grpc.RpcError, OSError, KeyError) as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    if not healthy:
        print("unhealthy: not SERVING", file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
