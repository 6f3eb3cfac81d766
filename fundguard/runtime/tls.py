"""Optional mutual TLS between services, from files named in the environment."""

from __future__ import annotations

import os
from pathlib import Path

import grpc


def _files() -> tuple[bytes, bytes, bytes] | None:
    cert, key, ca = (os.environ.get(f"FUNDGUARD_TLS_{n}") for n in ("CERT", "KEY", "CA"))
    if not (cert and key and ca):
        return None
    return Path(cert).read_bytes(), Path(key).read_bytes(), Path(ca).read_bytes()


def server_credentials() -> grpc.ServerCredentials | None:
    files = _files()
    if files is None:
        return None
    cert, key, ca = files
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=ca, require_client_auth=True)


# round_robin over every address DNS returns, so replicas added by the autoscaler (a
# headless Service) get traffic instead of each client sticking to its first pod.
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 64 * 1024 * 1024),
                   ("grpc.max_send_message_length", 64 * 1024 * 1024),
                   ("grpc.lb_policy_name", "round_robin")]


def channel_credentials() -> grpc.ChannelCredentials | None:
    """Mutual TLS credentials for a channel to another service, when configured."""
    files = _files()
    if files is None:
        return None
    cert, key, ca = files
    return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)


def dial(addr: str) -> grpc.Channel:
    """A channel to another Fundguard service: mutual TLS when configured, else plaintext."""
    creds = channel_credentials()
    if creds is None:
        return grpc.insecure_channel(addr, options=CHANNEL_OPTIONS)
    return grpc.secure_channel(addr, creds, options=CHANNEL_OPTIONS)


def dial_aio(addr: str) -> grpc.aio.Channel:
    """The same channel for asyncio code: its calls run on the event loop, with no worker
    thread to hand each call to. Made inside the running loop."""
    creds = channel_credentials()
    if creds is None:
        return grpc.aio.insecure_channel(addr, options=CHANNEL_OPTIONS)
    return grpc.aio.secure_channel(addr, creds, options=CHANNEL_OPTIONS)
