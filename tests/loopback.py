"""One real HTTP server on a loopback port for every test that speaks HTTP (verify, collect, the
sign-in of collect).

It answers each GET or POST from a script of replies or from a function of the request, records
every request (method, path with query, headers, body), speaks TLS when given a server context,
and can misbehave the ways a broken or hostile server does:
answers far larger than they should be, compressed bombs, bodies that never end, bodies dripped
a byte at a time. The system picks the port; nothing leaves the machine.
"""

from __future__ import annotations

import functools
import json
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO
from urllib.parse import parse_qs

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")


@dataclass
class Reply:
    """One answer: ``body`` as JSON (dict or list), text (str) or bytes. ``stream``, when given,
    writes the whole answer (status line, headers, body) to the socket itself."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    stream: Callable[[BinaryIO], None] | None = None


@dataclass(frozen=True)
class Seen:
    """A request as the server received it."""

    path: str  # with the query
    headers: dict[str, str]
    method: str = "GET"
    body: bytes = b""

    @property
    def authorization(self) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == "authorization"), "")

    @property
    def form(self) -> dict[str, str]:
        """A form-encoded body (an OAuth request), one value per field."""
        fields = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[-1] for name, values in fields.items()}


Responder = Callable[[Seen], Reply]


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1. Without ``respond`` it answers from :meth:`script`,
    one reply per request, repeating the last once the script runs out. With ``tls`` (a server
    context holding a certificate) it speaks HTTPS."""

    def __init__(self, respond: Responder | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Seen] = []
        self._replies: list[Reply] = [Reply(200, {})]
        self._respond = respond or self._scripted
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.block_on_close = False  # do not wait for a deliberately slow handler
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.scheme = "https" if tls is not None else "http"
        self.url = f"{self.scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url_as(self, host: str) -> str:
        """This server under another name, such as ``localhost``: another host to a client."""
        return f"{self.scheme}://{host}:{self.port}"

    def script(self, *replies: Reply) -> None:
        self._replies = list(replies)

    def _scripted(self, _: Seen) -> Reply:
        return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]

    def answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            return self._respond(seen)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _handler(owner: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._reply(owner.answer(Seen(self.path, dict(self.headers.items()))))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            self._reply(owner.answer(Seen(self.path, dict(self.headers.items()), "POST", body)))

        def _reply(self, reply: Reply) -> None:
            if reply.delay:
                time.sleep(reply.delay)
            try:
                if reply.stream is not None:
                    reply.stream(self.wfile)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                payload, content_type = _payload(reply.body)
                self.send_response(reply.status)
                if not any(name.lower() == "content-type" for name in reply.headers):
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client hung up, as it should from a hostile answer
                self.close_connection = True

        def log_message(self, *_: Any) -> None:  # quiet
            pass

    return Handler


def _payload(body: Any) -> tuple[bytes, str]:
    if isinstance(body, dict | list):
        return json.dumps(body).encode(), "application/json; odata.metadata=minimal"
    if isinstance(body, str):
        return body.encode(), "text/plain"
    return body or b"", "application/octet-stream"


@contextmanager
def serve(
    respond: Responder | None = None, tls: ssl.SSLContext | None = None
) -> Iterator[LoopbackServer]:
    server = LoopbackServer(respond, tls)
    try:
        yield server
    finally:
        server.close()


# --------------------------------------------------------------------------------------------
# Hostile answers (Reply(stream=...))


def endless_chunks(wfile: BinaryIO) -> None:
    """A chunked body that never ends (until the client hangs up)."""
    wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    wfile.write(b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b" " * 65536
    while True:
        wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))


@functools.cache
def gzip_bomb_body() -> bytes:
    """64 KB of gzip that inflates to 64 MB of spaces (a real bomb only scales this up)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * (1 << 20)
    return b"".join(compressor.compress(block) for _ in range(64)) + compressor.flush()


def gzip_bomb(wfile: BinaryIO) -> None:
    body = gzip_bomb_body()
    wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    wfile.write(b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body))
    wfile.write(body)


def huge_body(wfile: BinaryIO) -> None:
    """A plain body of 64 MB that says so up front, sent anyway."""
    wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    wfile.write(b"Content-Length: %d\r\n\r\n" % (64 << 20))
    for _ in range(64):
        wfile.write(b" " * (1 << 20))


def huge_undeclared_body(wfile: BinaryIO) -> None:
    """A body without a length that runs until the connection closes."""
    wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
    for _ in range(64):
        wfile.write(b" " * (1 << 20))


def drip(body: bytes, pause: float = 0.2) -> Callable[[BinaryIO], None]:
    """A valid answer, one byte every ``pause`` seconds: each read is quick, the whole is not."""

    def write(wfile: BinaryIO) -> None:
        wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        wfile.write(b"Content-Length: %d\r\n\r\n" % len(body))
        wfile.flush()
        for byte in body:
            wfile.write(bytes([byte]))
            wfile.flush()
            time.sleep(pause)

    return write


def drip_headers(pause: float = 0.2, seconds: float = 10.0) -> Callable[[BinaryIO], None]:
    """The status line and headers one byte every ``pause`` seconds for ``seconds``, then the
    connection closes: a client whose timeout is per read waits all that time before the body
    even starts."""

    def write(wfile: BinaryIO) -> None:
        wfile.write(b"HTTP/1.1 200 OK\r\n")
        wfile.flush()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for byte in b"X-Slow: a\r\n":
                wfile.write(bytes([byte]))
                wfile.flush()
                time.sleep(pause)

    return write


def nested(depth: int) -> bytes:
    """A JSON array nested ``depth`` levels deep."""
    return b"[" * depth + b"]" * depth
