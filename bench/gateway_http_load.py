"""A lean open-loop HTTP/1.1 load generator on asyncio streams.

httpx costs a millisecond or more of CPU per request; on a 2-core machine shared with the
system under test that cost would be measured as the server's. This client keeps a pool of
keep-alive connections, writes each request as prepared bytes and reads the reply with
Content-Length framing (what uvicorn sends), so nearly all the CPU goes to the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from urllib.parse import urlsplit


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.closed = False

    async def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        self.writer.write(head + body)
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
        lines = [f"{method} {path} HTTP/1.1", f"host: {self.host}:{self.port}", f"content-length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        for attempt in (1, 2):
            reused = bool(self.free) and attempt == 1
            conn = await self._get() if attempt == 1 else await self._new()
            try:
                result = await conn.request(head, body)
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
