"""Settings from environment variables, checked at start with a clear message."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("claims", "rules", "physician_codes", "credit")
DEFAULT_PORTS = {"claims": 50051, "rules": 50052, "physician_codes": 50053, "credit": 50054, "gateway": 8080}

_ADDR = re.compile(r"^(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.\-]+):(?P<port>\d{1,5})$")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and the reason."""


def addr_var(service: str) -> str:
    return f"FUNDGUARD_{service.upper()}_ADDR"


def check_addr(name: str, value: str) -> str:
    m = _ADDR.match(value)
    if not m or not 0 < int(m.group("port")) < 65536:
        raise SettingsError(f"{name} must be host:port with a port from 1 to 65535, got {value!r}")
    return value


def check_database_url(value: str) -> str:
    if not value.startswith(("postgresql://", "postgresql+psycopg2://", "postgres://")):
        raise SettingsError(f"DATABASE_URL must be a postgresql:// URL, got {value[:30]!r}")
    if value.startswith("postgres://"):
        value = "postgresql://" + value[len("postgres://") :]
    return value


@dataclass(frozen=True)
class Settings:
    """What one process needs to know about its surroundings."""

    service: str
    database_url: str | None
    data_dir: Path
    listen_addr: str
    addrs: Mapping[str, str] = field(default_factory=dict)  # service -> dial address
    metrics_addr: str | None = None
    otlp_endpoint: str | None = None
    log_level: str = "INFO"

    def addr(self, service: str) -> str:
        return self.addrs[service]


def default_data_dir() -> Path:
    return Path(os.environ.get("FUNDGUARD_DATA_DIR", ".fundguard")).resolve()


def load(service: str, env: Mapping[str, str] | None = None, *, need_database: bool = True) -> Settings:
    """Read and check the settings for ``service``; raise SettingsError naming the variable."""
    env = os.environ if env is None else env
    if service not in (*SERVICES, "gateway"):
        raise SettingsError(f"unknown service {service!r}; expected one of {', '.join((*SERVICES, 'gateway'))}")
    addrs: dict[str, str] = {}
    for svc in (*SERVICES, "gateway"):
        var = addr_var(svc)
        addrs[svc] = check_addr(var, env.get(var, f"127.0.0.1:{DEFAULT_PORTS[svc]}"))
    listen = check_addr("FUNDGUARD_LISTEN_ADDR", env.get("FUNDGUARD_LISTEN_ADDR", addrs[service]))
    db = env.get("DATABASE_URL")
    if need_database and not db:
        raise SettingsError(
            "DATABASE_URL is not set: point it at PostgreSQL (postgresql://user@host:5432/db), "
            "or start the suite with `fundguard up`, which provides the embedded server"
        )
    metrics = env.get("FUNDGUARD_METRICS_ADDR")
    if metrics:
        check_addr("FUNDGUARD_METRICS_ADDR", metrics)
    level = env.get("FUNDGUARD_LOG_LEVEL", "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError(f"FUNDGUARD_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    return Settings(
        service=service,
        database_url=check_database_url(db) if db else None,
        data_dir=Path(env.get("FUNDGUARD_DATA_DIR", ".fundguard")).resolve(),
        listen_addr=listen,
        addrs=addrs,
        metrics_addr=metrics,
        otlp_endpoint=env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
        log_level=level,
    )
