"""A tiny TCP proxy for the scale-out tests: it stands where a load balancer would, in front of
several servers, and sends each new connection to the next one that accepts it (round robin).

It runs an asyncio loop on a thread of its own and knows nothing of HTTP: a server going down
drops the connections pinned to it, as a real balancer's would, and clients reconnect.
"""

from __future__ import annotations

import asyncio
import threading
from itertools import count


class TCPProxy:
    def __init__(self, upstream_ports: list[int], host: str = "127.0.0.1") -> None:
        self.upstream_ports = list(upstream_ports)
        self.host = host
        self.port = 0
        self.connections = 0
        self.refused = 0  # upstream connects refused (a server down): tried the next one
        self._turn = count()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> TCPProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    def stop(self) -> None:
        def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.call_later(0.1, self._loop.stop)

        self._loop.call_soon_threadsafe(close)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, self.host, 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        for _ in range(3 * len(self.upstream_ports)):  # a round or three: all may be restarting
            port = self.upstream_ports[next(self._turn) % len(self.upstream_ports)]
            try:
                return await asyncio.open_connection(self.host, port)
            except OSError:
                self.refused += 1
                await asyncio.sleep(0.05)
        return None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        upstream = await self._upstream()
        if upstream is None:
            writer.close()
            return
        up_reader, up_writer = upstream
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()
