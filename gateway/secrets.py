"""Callers' tokens at rest: encrypted with AES-256-GCM under a key the operator provides.

The x-tif signature is SHA-256 over the token itself, so the server must recover each
token to check a signature: a one-way hash would not do. The key comes from
``FUNDGUARD_SECRET_KEY`` (urlsafe base64 of 32 bytes) or a file named by
``FUNDGUARD_SECRET_KEY_FILE``; it never enters the database, so a database dump alone
reveals no token.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fundguard.runtime.settings import SettingsError

KEY_VAR = "FUNDGUARD_SECRET_KEY"
KEY_FILE_VAR = "FUNDGUARD_SECRET_KEY_FILE"
_NONCE = 12


def new_key() -> str:
    """A fresh key in the form FUNDGUARD_SECRET_KEY expects."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def new_token() -> str:
    """A caller's shared secret: 256 random bits, printable."""
    return secrets.token_urlsafe(32)


def parse_key(text: str, source: str = KEY_VAR) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except ValueError as exc:
        raise SettingsError(f"{source} must be urlsafe base64 of 32 bytes ({exc})") from exc
    if len(key) != 32:
        raise SettingsError(f"{source} must decode to 32 bytes, got {len(key)}; "
                            "make one with `fundguard callers keygen`")
    return key


def load_key(env: Mapping[str, str] | None = None) -> bytes:
    """The token-encryption key from the environment; SettingsError names what is wrong."""
    env = os.environ if env is None else env
    if env.get(KEY_VAR):
        return parse_key(env[KEY_VAR])
    if env.get(KEY_FILE_VAR):
        path = Path(env[KEY_FILE_VAR])
        if not path.is_file():
            raise SettingsError(f"{KEY_FILE_VAR} names {path}, which is not a readable file")
        return parse_key(path.read_text(), KEY_FILE_VAR)
    raise SettingsError(f"{KEY_VAR} (or {KEY_FILE_VAR}) is not set: the gateway needs it to read callers' "
                        "tokens; make one with `fundguard callers keygen`")


def ensure_key_file(path: Path) -> Path:
    """Create a key file (mode 0600) if absent: used by `fundguard up` on one machine."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_key() + "\n")
    return path


class TokenCipher:
    """Seal and open tokens; the caller id is bound in as associated data so a sealed token
    copied to another caller's row does not open."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, caller_id: str, token: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, token.encode(), caller_id.encode())

    def open(self, caller_id: str, sealed: bytes) -> str | None:
        try:
            return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], caller_id.encode()).decode()
        except (InvalidTag, ValueError):
            return None
