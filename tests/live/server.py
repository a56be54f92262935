"""A loopback server that answers like Graph, the Power Platform admin API and the tenant
capacity API, with the samples' real shapes, paged, and with the failures a tenant meets."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.s3cr3t-loopback-token.c2lnbmF0dXJl"
GRAPH_PATH = "/v1.0/subscribedSkus"
BAP_PATH = "/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments"
CAPACITY_PATH = "/licensing/tenantCapacity"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@dataclass
class Behaviour:
    """What each path answers. ``failures[path]`` is a list of (status, body, headers) answered
    before the real answer, one per request."""

    failures: dict[str, list[tuple[int, bytes, dict[str, str]]]] = field(default_factory=dict)
    slow: dict[str, float] = field(default_factory=dict)  # seconds before answering
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path with query, auth)
    graph: dict[str, Any] = field(default_factory=lambda: sample("licenses-graph.json"))
    environments: dict[str, Any] = field(default_factory=lambda: sample("environments-ppac.json"))
    capacity: dict[str, Any] = field(default_factory=lambda: sample("tenant-capacity.json"))


def _paged(document: dict[str, Any], page: int, base: str, path: str, link_key: str) -> dict:
    """Two pages: the first half with a next link, then the rest."""
    items = document["value"]
    half = len(items) // 2
    if page == 1:
        return {
            **{k: v for k, v in document.items() if k != "value"},
            "value": items[:half],
            link_key: f"{base}{path}?$skiptoken=page2&api-version=x",
        }
    return {**{k: v for k, v in document.items() if k != "value"}, "value": items[half:]}


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            behaviour.requests.append((self.path, self.headers.get("Authorization", "")))
            if parts.path in behaviour.slow:
                time.sleep(behaviour.slow[parts.path])
            queue = behaviour.failures.get(parts.path)
            if queue:
                status, body, headers = queue.pop(0)
                return self._send(status, body, headers)
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._send(401, b'{"error": {"code": "InvalidAuthenticationToken"}}')
            base = f"http://{self.headers['Host']}"
            page = 2 if "page2" in parse_qs(parts.query).get("$skiptoken", [""])[0] else 1
            if parts.path == GRAPH_PATH:
                body = _paged(behaviour.graph, page, base, GRAPH_PATH, "@odata.nextLink")
            elif parts.path == BAP_PATH:
                body = _paged(behaviour.environments, page, base, BAP_PATH, "nextLink")
            elif parts.path == CAPACITY_PATH:
                body = behaviour.capacity
            else:
                return self._send(404, b'{"error": {"code": "NotFound"}}')
            return self._send(200, json.dumps(body).encode())

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def serve(behaviour: Behaviour) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
