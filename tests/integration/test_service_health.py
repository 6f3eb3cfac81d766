"""Health follows the database: SERVING once it answers, NOT_SERVING when it does not."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.servers import serve

pytestmark = pytest.mark.integration


def _status(channel: object) -> int:
    return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2).status


def _wait_for(channel: object, want: int, seconds: float = 10.0) -> int:
    deadline = time.monotonic() + seconds
    status = _status(channel)
    while status != want and time.monotonic() < deadline:
        time.sleep(0.1)
        status = _status(channel)
    return status


def test_serving_once_the_database_answers(migrated_url: str, data_dir: Path) -> None:
    with serve("credit", migrated_url, data_dir) as (channel, _):
        assert _wait_for(channel, health_pb2.HealthCheckResponse.SERVING) == health_pb2.HealthCheckResponse.SERVING


def test_not_serving_while_the_database_is_unreachable(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    unreachable = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"
    with serve("credit", unreachable, data_dir) as (channel, _):
        time.sleep(1.0)
        assert _status(channel) == health_pb2.HealthCheckResponse.NOT_SERVING
    assert any("database does not answer" in r.getMessage() for r in caplog.records)
