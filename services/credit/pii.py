"""Identity numbers at rest: AES-GCM with a key from FUNDGUARD_PII_KEY.

The key is 32 bytes given as base64 or hex; any other text is stretched with HKDF so an
operator's passphrase still yields a proper key. Without the variable (a developer's
machine) a random key is kept in ``<data dir>/credit-pii.key`` and a warning is logged.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)
KEY_ENV = "FUNDGUARD_PII_KEY"
_AAD = b"fundguard.credit.identity"
_VERSION = "v1:"


def _decode_key(text: str) -> bytes:
    for decode in (lambda t: binascii.unhexlify(t), lambda t: base64.b64decode(t, validate=True),
                   lambda t: base64.urlsafe_b64decode(t)):
        try:
            raw = decode(text)
        except (ValueError, binascii.Error):
            continue
        if len(raw) == 32:
            return raw
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"fundguard-pii").derive(text.encode())


class IdentityVault:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def from_env(cls, data_dir: Path, env: Mapping[str, str] | None = None) -> IdentityVault:
        env = os.environ if env is None else env
        text = env.get(KEY_ENV, "")
        if text:
            return cls(_decode_key(text))
        path = data_dir / "credit-pii.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode())
        log.warning("FUNDGUARD_PII_KEY is not set; identity numbers are encrypted with a local key file",
                    extra={"fields": {"path": str(path)}})
        return cls(_decode_key(path.read_text().strip()))

    def seal(self, plain: str) -> str:
        if not plain:
            return ""
        nonce = os.urandom(12)
        return _VERSION + base64.b64encode(nonce + self._aead.encrypt(nonce, plain.encode(), _AAD)).decode()

    def open(self, sealed: str) -> str:
        if not sealed:
            return ""
        raw = base64.b64decode(sealed.removeprefix(_VERSION))
        return self._aead.decrypt(raw[:12], raw[12:], _AAD).decode()
