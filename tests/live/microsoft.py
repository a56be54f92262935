"""Answers like Graph, the Power Platform admin API and the tenant capacity API, with the
samples' real shapes, paged, and with the failures a tenant meets; served by the one loopback
server of the tests (tests/loopback.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from loopback import LoopbackServer, Reply, Seen, serve

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.s3cr3t-loopback-token.c2lnbmF0dXJl"
GRAPH_PATH = "/v1.0/subscribedSkus"
BAP_PATH = "/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments"
CAPACITY_PATH = "/licensing/tenantCapacity"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@dataclass
class Behaviour:
    """What each path answers. ``failures[path]`` holds replies given before the real answer,
    one per request; ``tokens[path]`` the token that path takes (else ``TOKEN``)."""

    failures: dict[str, list[Reply]] = field(default_factory=dict)
    slow: dict[str, float] = field(default_factory=dict)  # seconds before answering
    tokens: dict[str, str] = field(default_factory=dict)
    graph: dict[str, Any] = field(default_factory=lambda: sample("licenses-graph.json"))
    environments: dict[str, Any] = field(default_factory=lambda: sample("environments-ppac.json"))
    capacity: dict[str, Any] = field(default_factory=lambda: sample("tenant-capacity.json"))

    def __call__(self, seen: Seen) -> Reply:
        parts = urlsplit(seen.path)
        delay = self.slow.get(parts.path, 0.0)
        queue = self.failures.get(parts.path)
        if queue:
            return queue.pop(0)
        if seen.authorization != f"Bearer {self.tokens.get(parts.path, TOKEN)}":
            return Reply(401, {"error": {"code": "InvalidAuthenticationToken"}})
        base = f"http://{seen.headers['Host']}"
        page = 2 if "page2" in parse_qs(parts.query).get("$skiptoken", [""])[0] else 1
        if parts.path == GRAPH_PATH:
            body = _paged(self.graph, page, base, GRAPH_PATH, "@odata.nextLink")
        elif parts.path == BAP_PATH:
            body = _paged(self.environments, page, base, BAP_PATH, "nextLink")
        elif parts.path == CAPACITY_PATH:
            body = self.capacity
        else:
            return Reply(404, {"error": {"code": "NotFound"}})
        return Reply(200, body, delay=delay)


def _paged(document: dict[str, Any], page: int, base: str, path: str, link_key: str) -> dict:
    """Two pages: the first half with a next link, then the rest (with any next link the
    document holds: a test plants one there)."""
    items = document["value"]
    half = len(items) // 2
    rest = {k: v for k, v in document.items() if k != "value"}
    if page == 1:
        own = f"{base}{path}?$skiptoken=page2&api-version=x"
        return {**rest, "value": items[:half], link_key: own}
    return {**rest, "value": items[half:]}


@contextmanager
def microsoft(behaviour: Behaviour) -> Iterator[LoopbackServer]:
    """The three APIs on one loopback server; ``server.url`` is the base URL of each."""
    with serve(behaviour) as server:
        yield server
