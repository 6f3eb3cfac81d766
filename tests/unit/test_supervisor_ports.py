"""The suite's listeners get distinct ports even when the kernel would reuse one."""

from __future__ import annotations

import socket

from fundguard.runtime import supervisor
from fundguard.runtime.supervisor import Suite, free_ports


def test_free_ports_are_distinct_and_bindable() -> None:
    ports = free_ports(12)
    assert len(set(ports)) == 12
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))


def test_suite_never_gives_two_listeners_one_port(tmp_path, monkeypatch) -> None:
    # The kernel handing back the port it just released is what made a suite's metrics
    # endpoint collide with another listener ("Address already in use") now and then.
    monkeypatch.setattr(supervisor, "free_port", lambda: 40000)
    suite = Suite(tmp_path, "postgresql://unused/test", fixed_ports=False)
    suite._choose_addrs()
    chosen = [*suite.addrs.values(), *suite.metrics_addrs.values()]
    assert len(set(chosen)) == len(chosen)
