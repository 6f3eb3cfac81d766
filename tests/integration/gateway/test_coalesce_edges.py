"""The gathering of real-time checks at its edges: a claims replica older than AnalyzeBatch (a
rolling upgrade) and a check whose deadline passes while it waits."""

from __future__ import annotations

import asyncio
import time
from concurrent import futures

import grpc
import pytest

from fundguard.claims.v1 import claims_pb2, claims_pb2_grpc
from gateway.coalesce import AnalysisBatcher

pytestmark = pytest.mark.integration


class OlderClaims(claims_pb2_grpc.ClaimsServiceServicer):
    """A claims server of the version before AnalyzeBatch: Analyze only (the generated base
    answers UNIMPLEMENTED for the rest, as the old server did)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def Analyze(self, request: claims_pb2.AnalyzeRequest, context: grpc.ServicerContext) -> claims_pb2.AnalyzeResponse:
        self.seen.append(request.request_id)
        return claims_pb2.AnalyzeResponse(claim_ids=[f"claim-of-{request.request_id}"])


def test_checks_that_waited_go_one_by_one_to_a_claims_without_analyze_batch() -> None:
    older = OlderClaims()
    server = grpc.server(futures.ThreadPoolExecutor(4))
    claims_pb2_grpc.add_ClaimsServiceServicer_to_server(older, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        async def burst() -> tuple[AnalysisBatcher, list[claims_pb2.AnalyzeResponse]]:
            # As the gateway has it: an asyncio channel, made in the running loop.
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = claims_pb2_grpc.ClaimsServiceStub(channel)
                batcher = AnalysisBatcher(lambda: stub, in_flight=1)
                batcher.in_flight += 1  # the one place busy: the checks must wait
                deadline = time.monotonic() + 10
                calls = [asyncio.create_task(batcher.analyze(claims_pb2.AnalyzeRequest(request_id=f"m{i}"), deadline,
                                                             nul_checked=True)) for i in range(3)]
                while len(batcher.waiting) < 3:
                    await asyncio.sleep(0.01)
                batcher.in_flight -= 1
                batcher._dispatch()
                return batcher, await asyncio.gather(*calls)

        batcher, answers = asyncio.run(burst())
    finally:
        server.stop(None)
    assert [a.claim_ids[0] for a in answers] == ["claim-of-m0", "claim-of-m1", "claim-of-m2"]
    assert sorted(older.seen) == ["m0", "m1", "m2"]
    assert batcher.batches_supported is False and batcher.sent_together == 0


def test_a_check_that_waits_past_its_deadline_is_answered_deadline_passed() -> None:
    from gateway.upstreams import DeadlinePassed

    def never_dialled() -> claims_pb2_grpc.ClaimsServiceStub:
        raise AssertionError("the place stays busy: claims is never called")

    batcher = AnalysisBatcher(never_dialled, in_flight=1)

    async def wait_in_vain() -> None:
        batcher.in_flight += 1
        await batcher.analyze(claims_pb2.AnalyzeRequest(request_id="late"), time.monotonic() + 0.2,
                              nul_checked=True)

    started = time.monotonic()
    with pytest.raises(DeadlinePassed):
        asyncio.run(wait_in_vain())
    assert time.monotonic() - started < 5
    # Its turn, when it comes, skips it: nothing is sent for an answer no one awaits.
    batcher.in_flight -= 1
    assert batcher._take() == []
