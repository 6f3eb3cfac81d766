"""Lean HTTP/1.1 load generators: an open-loop sender on asyncio protocols, and a
keep-alive pool on asyncio streams for requests sent one after another.

httpx costs a millisecond or more of CPU per request; on a 2-core machine shared with the
system under test that cost would be measured as the server's. Both write each request as
prepared bytes on keep-alive connections and read the reply with Content-Length framing
(what uvicorn sends), so nearly all the CPU goes to the server.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


def request_bytes(method: str, path: str, host: str, headers: Mapping[str, str], body: bytes = b"") -> bytes:
    """One HTTP/1.1 request as it goes on the wire."""
    lines = [f"{method} {path} HTTP/1.1", f"host: {host}", f"content-length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Reply:
    """What one request of an open-loop run got: seconds from its scheduled moment to the
    end of its answer, the HTTP status (0 when none came) and the body, or why it failed."""

    latency: float
    status: int
    body: bytes
    error: str = ""


class _Exchange(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time; the answer is framed by
    its Content-Length and handed to the request's callback."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.done: Callable[[int, bytes, str], None] | None = None
        self.closed = False
        self._head_end = -1
        self._need = -1
        self._close_after = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send(self, data: bytes, done: Callable[[int, bytes, str], None]) -> None:
        assert self.transport is not None
        self.done = done
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self._need < 0:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip() == b"content-length":
                    length = int(value)
                elif name.strip() == b"connection" and value.strip() == b"close":
                    self._close_after = True
            self._head_end, self._need = end + 4, end + 4 + length
        if len(self.buffer) < self._need:
            return
        status = int(self.buffer[9:12])
        body = bytes(self.buffer[self._head_end:self._need])
        del self.buffer[:self._need]
        self._need = -1
        done, self.done = self.done, None
        if self._close_after:
            self.closed = True
            assert self.transport is not None
            self.transport.close()
        if done is not None:
            done(status, body, "")

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        done, self.done = self.done, None
        if done is not None:
            done(0, b"", f"connection lost: {exc}" if exc else "closed by the server")


class OpenLoop:
    """Open-loop runs over keep-alive connections that stay open from one run to the next."""

    def __init__(self, base_url: str) -> None:
        u = urlsplit(base_url)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.free: list[_Exchange] = []
        self.opened: list[_Exchange] = []

    async def connect(self) -> _Exchange:
        _, exchange = await asyncio.get_running_loop().create_connection(_Exchange, self.host, self.port)
        self.opened.append(exchange)
        return exchange

    async def warm(self, connections: int) -> None:
        """Open connections ahead of a run, so that the run's first requests find them."""
        self.free = [c for c in self.free if not c.closed]
        while len(self.free) < connections:
            self.free.append(await self.connect())

    async def run(self, requests: Sequence[bytes], rate: float, *, timeout: float = 10.0) -> list[Reply]:
        """Send request i at t0 + i / rate whether or not earlier ones have answered, each on
        a free connection (a new one when none is free, its opening counted), and time it
        from its scheduled moment, so a slow server cannot hide queueing. One sleeping
        sender and callbacks on arrival: no task or stream per request, so the client's own
        CPU stays small."""
        loop = asyncio.get_running_loop()
        replies: list[Reply | None] = [None] * len(requests)
        left = len(requests)
        finished: asyncio.Future[None] = loop.create_future()
        if not requests:
            return []

        def answered(i: int, at: float, conn: _Exchange) -> Callable[[int, bytes, str], None]:
            def done(status: int, body: bytes, error: str) -> None:
                nonlocal left
                replies[i] = Reply(loop.time() - at, status, body, error)
                if not conn.closed:
                    self.free.append(conn)
                left -= 1
                if left == 0 and not finished.done():
                    finished.set_result(None)
            return done

        t0 = loop.time() + 0.05
        for i, data in enumerate(requests):
            at = t0 + i / rate
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            while self.free and self.free[-1].closed:  # the server closes connections left idle
                self.free.pop()
            conn = self.free.pop() if self.free else await self.connect()
            conn.send(data, answered(i, at, conn))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(finished), timeout)
        end = loop.time()
        return [r if r is not None else Reply(end - (t0 + i / rate), 0, b"", "no answer in time")
                for i, r in enumerate(replies)]

    def close(self) -> None:
        for conn in self.opened:
            if conn.transport is not None:
                conn.transport.close()
        self.opened.clear()
        self.free.clear()


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.closed = False

    async def request(self, data: bytes) -> tuple[int, bytes]:
        self.writer.write(data)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed by the server")
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        close = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        data = await self.reader.readexactly(length) if length else b""
        self.closed = close  # a complete answer, after which the server closes: not reused
        return status, data

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Keep-alive connections to one host; a request takes a free one or opens another."""

    def __init__(self, base_url: str) -> None:
        u = urlsplit(base_url)
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or 80
        self.free: list[Connection] = []
        self.all: list[Connection] = []

    async def _get(self) -> Connection:
        if self.free:
            return self.free.pop()
        return await self._new()

    async def _new(self) -> Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        conn = Connection(reader, writer)
        self.all.append(conn)
        return conn

    async def send(self, method: str, path: str, headers: Mapping[str, str], body: bytes = b"") -> tuple[int, bytes]:
        data = request_bytes(method, path, f"{self.host}:{self.port}", headers, body)
        for attempt in (1, 2):
            reused = bool(self.free) and attempt == 1
            conn = await self._get() if attempt == 1 else await self._new()
            try:
                result = await conn.request(data)
            except (ConnectionError, asyncio.IncompleteReadError):
                conn.close()
                self.all.remove(conn)
                # The server closes idle keep-alive connections: retry once on a new one,
                # as any HTTP client does, but only when the failed one was reused.
                if reused and attempt == 1:
                    continue
                raise
            except BaseException:
                conn.close()
                self.all.remove(conn)
                raise
            if conn.closed:
                conn.close()
                self.all.remove(conn)
            else:
                self.free.append(conn)
            return result
        raise AssertionError("unreachable")

    def close(self) -> None:
        for conn in self.all:
            conn.close()
        self.all.clear()
        self.free.clear()
