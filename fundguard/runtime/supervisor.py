"""``fundguard up``: the whole suite as separate processes on one machine.

Starts the database if needed, migrates, starts the four services and the gateway,
waits until every one is healthy, and stops them all cleanly, leaving nothing behind.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from fundguard.runtime import migrations
from fundguard.runtime.db import EmbeddedPostgres
from fundguard.runtime.settings import DEFAULT_PORTS, SERVICES, addr_var

ORDER = ("rules", "physician_codes", "credit", "claims", "gateway")


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """``n`` distinct free ports. Each socket stays bound until all are chosen: the kernel
    may hand out a just-released port again, and two of a suite's listeners then collide."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class SuiteFailed(RuntimeError):
    pass


class Suite:
    """The suite's processes. Use as a context manager, or start() and stop()."""

    def __init__(self, data_dir: Path, database_url: str | None = None, *, fixed_ports: bool = True,
                 extra_env: Mapping[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.fixed_ports = fixed_ports
        self.extra_env = dict(extra_env or {})
        self.embedded: EmbeddedPostgres | None = None
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.addrs: dict[str, str] = {}
        self.metrics_addrs: dict[str, str] = {}  # each process's Prometheus endpoint

    @property
    def gateway_url(self) -> str:
        return f"http://{self.addrs['gateway']}"

    def _choose_addrs(self) -> None:
        spare = iter(free_ports(2 * (len(SERVICES) + 1)))
        for svc in (*SERVICES, "gateway"):
            preset = os.environ.get(addr_var(svc)) if self.fixed_ports else None
            if preset:
                self.addrs[svc] = preset
            elif self.fixed_ports and _port_free(DEFAULT_PORTS[svc]):
                self.addrs[svc] = f"127.0.0.1:{DEFAULT_PORTS[svc]}"
            else:
                self.addrs[svc] = f"127.0.0.1:{next(spare)}"
            self.metrics_addrs[svc] = f"127.0.0.1:{next(spare)}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ) | self.extra_env
        env["FUNDGUARD_DATA_DIR"] = str(self.data_dir)
        assert self.database_url
        env["DATABASE_URL"] = self.database_url
        env.pop("FUNDGUARD_LISTEN_ADDR", None)
        if not env.get("FUNDGUARD_SECRET_KEY") and not env.get("FUNDGUARD_SECRET_KEY_FILE"):
            # One machine: the gateway's token key lives in the data directory (mode 0600).
            env["FUNDGUARD_SECRET_KEY_FILE"] = str(self._secret_key_file())
        for svc, addr in self.addrs.items():
            env[addr_var(svc)] = addr
        return env

    def _secret_key_file(self) -> Path:
        path = self.data_dir / "gateway-secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n")
        return path

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        try:
            if not self.database_url:
                self.embedded = EmbeddedPostgres(self.data_dir)
                self.database_url = self.embedded.start()
            migrations.upgrade_all(self.database_url)
            self._choose_addrs()
            env = self.env()
            for svc in ORDER:
                log = (self.data_dir / "logs" / f"{svc}.log").open("ab")
                self.procs[svc] = subprocess.Popen(
                    [sys.executable, "-m", "fundguard.cli", "serve", svc],
                    env=env | {"FUNDGUARD_METRICS_ADDR": self.metrics_addrs[svc]},
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )
            self.wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise

    def _healthy(self, svc: str) -> bool:
        if svc == "gateway":
            try:
                return httpx.get(f"{self.gateway_url}/readyz", timeout=1.0).status_code == 200
            except httpx.HTTPError:
                return False
        with grpc.insecure_channel(self.addrs[svc]) as channel:
            try:
                resp = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1.0)
            except grpc.RpcError:
                return False
            return resp.status == health_pb2.HealthCheckResponse.SERVING

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = set(ORDER)
        while pending:
            for svc in list(pending):
                proc = self.procs[svc]
                if proc.poll() is not None:
                    raise SuiteFailed(f"{svc} exited with code {proc.returncode}; its log:\n{self.log_tail(svc)}")
                if self._healthy(svc):
                    pending.discard(svc)
            if pending and time.monotonic() > deadline:
                raise SuiteFailed(f"not healthy after {timeout:.0f} s: {', '.join(sorted(pending))}\n"
                                  + "\n".join(self.log_tail(s) for s in sorted(pending)))
            if pending:
                time.sleep(0.2)

    def log_tail(self, svc: str, lines: int = 20) -> str:
        path = self.data_dir / "logs" / f"{svc}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, grace: float = 15.0) -> None:
        # The gateway first, so that nothing new arrives while the services drain.
        for svc in reversed(ORDER):
            proc = self.procs.get(svc)
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            try:
                proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None

    def __enter__(self) -> Suite:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
