"""Running the gateway: uvicorn, optionally with TLS and client certificates (mutual TLS).

With FUNDGUARD_GATEWAY_TLS_CERT/_KEY the gateway speaks HTTPS; with
FUNDGUARD_GATEWAY_TLS_CLIENT_CA as well it asks every client for a certificate signed by
that CA (``ssl_cert_reqs=CERT_OPTIONAL``: callers that sign with x-tif headers need none).
The certificate's subject, in RFC 4514 form, is then handed to the app, which maps it to a
caller registered with ``fundguard callers add --cert-subject``.
"""

from __future__ import annotations

import ssl
from dataclasses import replace
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from fundguard.runtime.settings import Settings
from gateway.config import GatewayConfig

_OIDS = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU", "countryName": "C",
         "stateOrProvinceName": "ST", "localityName": "L", "serialNumber": "serialNumber"}


def subject_text(peercert: dict[str, Any]) -> str:
    """``getpeercert()``'s subject as RFC 4514 text (most specific first): CN=...,O=...,C=..."""
    parts = []
    for rdn in reversed(peercert.get("subject", ())):
        for name, value in rdn:
            v = str(value).replace("\\", "\\\\").replace(",", "\\,").replace("+", "\\+")
            parts.append(f"{_OIDS.get(name, name)}={v}")
    return ",".join(parts)


class ClientCertProtocol(H11Protocol):
    """h11 with the verified client certificate's subject put into each request's state.

    Read when the first bytes of a request arrive: by then the TLS handshake is surely
    complete (at ``connection_made`` the peer certificate may not be available yet)."""

    _tls_checked = False

    def data_received(self, data: bytes) -> None:
        if not self._tls_checked:
            self._tls_checked = True
            ssl_object = self.transport.get_extra_info("ssl_object")
            cert = ssl_object.getpeercert() if ssl_object is not None else None
            if cert:
                self.app_state = {**self.app_state, "tls_client_subject": subject_text(cert)}
        super().data_received(data)


def uvicorn_config(settings: Settings, host: str, port: int, config: GatewayConfig | None = None) -> uvicorn.Config:
    from gateway.app import create_app

    config = config or GatewayConfig.from_env()
    kw: dict[str, Any] = {}
    if config.tls_cert:
        kw.update(ssl_certfile=config.tls_cert, ssl_keyfile=config.tls_key)
    if config.tls_client_ca:
        kw.update(ssl_ca_certs=config.tls_client_ca, ssl_cert_reqs=ssl.CERT_OPTIONAL, http=ClientCertProtocol)
    return uvicorn.Config(create_app(settings, config), host=host, port=port, log_config=None, access_log=False,
                          timeout_graceful_shutdown=10, backlog=2048, **kw)


def app_from_env() -> Any:
    """The app factory each worker process calls when FUNDGUARD_GATEWAY_WORKERS > 1: every
    worker sets up its own logging and telemetry, then builds the app from the environment."""
    from fundguard.runtime import telemetry
    from fundguard.runtime.logs import setup_logging
    from fundguard.runtime.settings import load
    from gateway.app import create_app

    settings = load("gateway")
    setup_logging("gateway", settings.log_level)
    telemetry.setup("gateway", settings.data_dir, settings.otlp_endpoint)
    config = GatewayConfig.from_env()
    # Rate buckets live in each worker; share the replica's allowance among them.
    config = replace(config, rate=config.rate / config.workers, burst=max(1.0, config.burst / config.workers))
    return create_app(settings, config)


def serve(settings: Settings, host: str, port: int) -> None:
    config = GatewayConfig.from_env()
    if config.workers > 1:
        # Several processes on one port: the event loop of one is no longer the ceiling.
        kw: dict[str, Any] = {}
        if config.tls_cert:
            kw.update(ssl_certfile=config.tls_cert, ssl_keyfile=config.tls_key)
        if config.tls_client_ca:
            kw.update(ssl_ca_certs=config.tls_client_ca, ssl_cert_reqs=ssl.CERT_OPTIONAL, http=ClientCertProtocol)
        uvicorn.run("gateway.server:app_from_env", factory=True, host=host, port=port, workers=config.workers,
                    log_config=None, access_log=False, timeout_graceful_shutdown=10, backlog=2048, **kw)
        return
    uvicorn.Server(uvicorn_config(settings, host, port, config)).run()  # handles SIGTERM and SIGINT itself
