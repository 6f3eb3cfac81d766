"""The gateway's own settings, from the environment, checked at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from fundguard.runtime.settings import SettingsError


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    text = env.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {text!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
    return value


@dataclass(frozen=True)
class GatewayConfig:
    timestamp_window: float = 300.0        # seconds either side of now a signature is accepted
    max_body: int = 8 * 1024 * 1024        # any request except bulk uploads
    max_upload: int = 1024 * 1024 * 1024   # bulk fee-detail uploads (streamed, never held whole)
    rate: float = 500.0                    # per caller, requests per second, per replica
    burst: float = 1000.0
    max_inflight: int = 256                # beyond this, 429 at once
    deadline: float = 10.0                 # default gRPC deadline per request
    max_deadline: float = 60.0             # what a caller may ask for with x-fundguard-timeout
    caller_cache_seconds: float = 5.0
    workers: int = 1
    analysis_calls: int = 1                # 3101/3102 calls to claims in flight; others wait and go together
    tls_cert: str = ""
    tls_key: str = ""
    tls_client_ca: str = ""                # set: client certificates are requested and checked

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewayConfig:
        env = os.environ if env is None else env
        p = "FUNDGUARD_GATEWAY_"
        cfg = cls(
            timestamp_window=_number(env, p + "TIMESTAMP_WINDOW", 300, 1, 3600),
            max_body=int(_number(env, p + "MAX_BODY", 8 * 1024 * 1024, 1024, 1 << 30)),
            max_upload=int(_number(env, p + "MAX_UPLOAD", 1 << 30, 1024, 1 << 40)),
            rate=_number(env, p + "RATE", 500, 0.01, 1e6),
            burst=_number(env, p + "BURST", 1000, 1, 1e7),
            max_inflight=int(_number(env, p + "MAX_INFLIGHT", 256, 1, 100_000)),
            deadline=_number(env, p + "DEADLINE", 10, 0.01, 600),
            max_deadline=_number(env, p + "MAX_DEADLINE", 60, 0.01, 3600),
            caller_cache_seconds=_number(env, p + "CALLER_CACHE_SECONDS", 5, 0, 3600),
            workers=int(_number(env, p + "WORKERS", 1, 1, 64)),
            analysis_calls=int(_number(env, p + "ANALYSIS_CALLS", 1, 1, 64)),
            tls_cert=env.get(p + "TLS_CERT", ""), tls_key=env.get(p + "TLS_KEY", ""),
            tls_client_ca=env.get(p + "TLS_CLIENT_CA", ""),
        )
        if bool(cfg.tls_cert) != bool(cfg.tls_key):
            raise SettingsError(f"{p}TLS_CERT and {p}TLS_KEY must be set together")
        if cfg.tls_client_ca and not cfg.tls_cert:
            raise SettingsError(f"{p}TLS_CLIENT_CA needs {p}TLS_CERT and {p}TLS_KEY (mutual TLS is TLS first)")
        return cfg
