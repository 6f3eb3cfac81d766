"""The gateway benchmark's load generator does not pause for its own heap during a timed run."""

from __future__ import annotations

import asyncio
import gc

from bench.gateway_latency import Load


async def _serve_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, frozen: list[int]) -> None:
    """A keep-alive HTTP server answering every request 200, noting the load generator's
    frozen object count as each request arrives (the same process)."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            frozen.append(gc.get_freeze_count())
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


def test_a_timed_run_starts_with_the_load_generators_heap_frozen() -> None:
    """A request is timed from its scheduled moment: a full collection of the bench process's
    heap (70-150 ms, the suite's modules are imported there) would count as the suite's
    latency. Every request of a run must go out with that heap already frozen."""
    frozen: list[int] = []

    async def run() -> dict[str, object]:
        server = await asyncio.start_server(lambda r, w: _serve_ok(r, w, frozen), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        load = Load(f"http://127.0.0.1:{port}", "bench-caller", "token")
        try:
            return await load.run("noop", 100, load.prepare("noop", 5))
        finally:
            if load.sender is not None:
                load.sender.close()
            server.close()

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        result = asyncio.run(run())
    finally:
        gc.unfreeze()
    assert result["errors"] == 0 and result["requests"] == 5
    assert len(frozen) == 5 and min(frozen) > 0
