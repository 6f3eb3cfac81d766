"""Identity numbers at rest: encrypted to read back, hashed to match, masked to show.

One secret, ``FUNDGUARD_PII_KEY``, read at start. Two keys are derived from it so that the
matching hash and the encryption never share key material. Without the variable a fixed
development key is used and a warning is logged: fine for the demo, not for real data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)
ENV_KEY = "FUNDGUARD_PII_KEY"
DEVELOPMENT_KEY = "fundguard-development-key"


def mask(id_number: str) -> str:
    """First four and last four characters; the rest starred (a 18-digit number keeps 8)."""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def is_masked(value: str) -> bool:
    """A masked export value: importing it back must not replace the stored number."""
    return "*" in value


@dataclass(frozen=True)
class IdentityProtector:
    secret: bytes

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> IdentityProtector:
        secret = env.get(ENV_KEY, "")
        if not secret:
            log.warning(f"{ENV_KEY} is not set: identity numbers are protected with the development key")
            secret = DEVELOPMENT_KEY
        return cls(secret.encode())

    def _fernet(self) -> Fernet:
        derived = hashlib.sha256(b"fundguard/pii/fernet\x00" + self.secret).digest()
        return Fernet(base64.urlsafe_b64encode(derived))

    def digest(self, id_number: str) -> str:
        """Keyed hash of the normalised number: equal numbers match, the hash reveals nothing."""
        return hmac.new(self.secret, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()

    def encrypt(self, id_number: str) -> str:
        return self._fernet().encrypt(id_number.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet().decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("identity number cannot be decrypted with the configured key") from exc
