"""Mutual TLS through a real uvicorn: the client certificate's subject is the caller."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fundguard.runtime.supervisor import free_port
from gateway.config import GatewayConfig
from gateway.server import uvicorn_config
from tests.integration.gateway.conftest import Gateway, gateway_settings

pytestmark = pytest.mark.integration


def _cert(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey,
          ca: bool, san: str | None = None) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
         .not_valid_after(now + dt.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san), x509.IPAddress(
            __import__("ipaddress").ip_address("127.0.0.1"))]), critical=False)
    return b.sign(signer, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[str, str]:
    cert_path, key_path = path.with_suffix(".crt"), path.with_suffix(".key")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fundguard test CA")])
    ca = _cert(ca_name, ca_name, ca_key, ca_key, True)
    out = {"ca": _write(d / "ca", ca, ca_key)}
    server_key = ec.generate_private_key(ec.SECP256R1())
    out["server"] = _write(d / "server", _cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]),
                                               ca_name, server_key, ca_key, False, "localhost"), server_key)
    client_key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Jiangsu Platform"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "platform-mtls")])
    out["client"] = _write(d / "client", _cert(subject, ca_name, client_key, ca_key, False), client_key)
    return out


@pytest.fixture(scope="module")
def https_url(gw: Gateway, migrated_url: str, pki: dict[str, tuple[str, str]],
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    config = GatewayConfig(tls_cert=pki["server"][0], tls_key=pki["server"][1], tls_client_ca=pki["ca"][0])
    settings = gateway_settings(gw.addrs, migrated_url, tmp_path_factory.mktemp("mtls"))
    import base64
    import os

    os.environ["FUNDGUARD_SECRET_KEY"] = base64.urlsafe_b64encode(gw.key).decode()
    try:
        server = uvicorn.Server(uvicorn_config(settings, "127.0.0.1", port, config))
    finally:
        del os.environ["FUNDGUARD_SECRET_KEY"]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"https://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_a_registered_certificate_is_the_caller(gw: Gateway, https_url: str, pki: dict[str, tuple[str, str]]) -> None:
    gw.store.add("mtls-platform", "platform", "32", cert_subject="CN=platform-mtls,O=Jiangsu Platform,C=CN")
    ctx = ssl.create_default_context(cafile=pki["ca"][0])
    ctx.load_cert_chain(*pki["client"])
    with httpx.Client(verify=ctx) as client:
        r = client.get(https_url + "/api/v1/whoami")
        assert r.status_code == 200, r.text
        assert r.json() == {"caller_id": "mtls-platform", "role": "platform", "scope": "32"}
    # No certificate and no signature: refused; a signature alone still works over TLS.
    with httpx.Client(verify=ssl.create_default_context(cafile=pki["ca"][0])) as client:
        assert client.get(https_url + "/api/v1/whoami").status_code == 401
        assert client.get(https_url + "/api/v1/whoami", headers=gw.headers("auditor-1")).json()["role"] == "auditor"
