"""A small, careful HTTP client for read-only calls to Microsoft's APIs.

What it guarantees, for ``capplan collect`` and any other live reader:

- **Where it goes.** https only, except plain http to loopback hosts (tests, local proxies). A
  next-page link is followed only to the host the first request went to: a server cannot send
  the bearer token elsewhere.
- **How long.** Each request has a timeout; the whole conversation has a deadline; 429 and 503
  are retried as ``Retry-After`` says, each wait capped and all waits together bounded.
- **How much.** A response body larger than the cap is refused, not read to the end.
- **Secrets.** The token goes into the ``Authorization`` header and nowhere else: messages and
  debug lines are scrubbed of it, and the debug log never shows headers.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from planner import __version__

RETRY_STATUSES = frozenset({429, 503})
DEFAULT_TIMEOUT = 30.0  # seconds per request
DEFAULT_DEADLINE = 600.0  # seconds for everything
DEFAULT_MAX_WAIT = 60.0  # seconds: the longest single wait before a retry
DEFAULT_TOTAL_WAIT = 180.0  # seconds: all waits together
DEFAULT_MAX_BYTES = 100 * 2**20
MAX_PAGES = 10_000
_SERVER_TEXT = 300
_BODY_START = 100  # characters of a body that is not JSON, to say what it is instead


class HttpProblem(Exception):
    """A call that did not give a usable answer. ``status`` is the HTTP status, or None when
    there was no answer at all. The message never holds the token."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def is_loopback_host(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 and ::1 (also IPv4-mapped): the only plain-http targets."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def check_base_url(url: str, what: str) -> str:
    """A base URL without its trailing slash; ValueError with the reason when it is not usable."""
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{what} {url!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise ValueError(f"{what} must not carry a user name or password")
    if parts.query or parts.fragment:
        raise ValueError(f"{what} must not carry a query or fragment")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(f"{what} uses plain http to {parts.hostname}; https is required")
    return text


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class Answer:
    """A JSON answer, every page's items together when paged."""

    url: str
    document: Any  # the first page as the server wrote it (items replaced by all of them)
    items: list[Any]
    pages: int


@dataclass
class HttpClient:
    """Read-only JSON GETs with the guarantees of this module; one per conversation."""

    timeout: float = DEFAULT_TIMEOUT
    deadline: float = DEFAULT_DEADLINE
    max_wait: float = DEFAULT_MAX_WAIT
    total_wait: float = DEFAULT_TOTAL_WAIT
    max_bytes: int = DEFAULT_MAX_BYTES
    debug: Callable[[str], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _secrets: list[str] = field(default_factory=list)
    _waited: float = 0.0
    _started: float | None = None

    def __post_init__(self) -> None:
        self._client = httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def get_json(self, url: str, token: str, items_key: str | None = None) -> Answer:
        """GET ``url``; with ``items_key``, follow ``@odata.nextLink``/``nextLink`` and gather
        every page's ``items_key`` list."""
        if token not in self._secrets:
            self._secrets.append(token)
        host = urlsplit(url).hostname or ""
        document = self._get(url, token)
        if items_key is None:
            return Answer(url, document, [], 1)
        items = self._items(document, items_key, url)
        pages = 1
        next_url = _next_link(document)
        while next_url:
            if pages >= MAX_PAGES:
                raise HttpProblem(f"{self._shown(url)}: more than {MAX_PAGES} pages; stopped")
            next_url = urljoin(url, next_url)
            next_host = urlsplit(next_url).hostname or ""
            if next_host != host and not (is_loopback_host(host) and is_loopback_host(next_host)):
                raise HttpProblem(
                    f"{self._shown(url)}: the next-page link points at another host "
                    f"({urlsplit(next_url).hostname}); not followed with the token"
                )
            try:
                check_base_url(next_url.split("?")[0], "the next-page link")
            except ValueError as error:
                raise HttpProblem(f"{self._shown(url)}: {self.scrub(str(error))}") from None
            page = self._get(next_url, token)
            items.extend(self._items(page, items_key, next_url))
            pages += 1
            next_url = _next_link(page)
        if isinstance(document, dict):
            document = {
                k: v for k, v in document.items() if k not in ("@odata.nextLink", "nextLink")
            }
            document[items_key] = items
        return Answer(url, document, items, pages)

    def _items(self, document: Any, key: str, url: str) -> list[Any]:
        items = document.get(key) if isinstance(document, dict) else None
        if not isinstance(items, list):
            raise HttpProblem(f"{self._shown(url)}: the answer has no '{key}' list")
        return list(items)

    def _shown(self, url: str) -> str:
        parts = urlsplit(url)
        return self.scrub(f"{parts.scheme}://{parts.netloc}{parts.path}")

    def _remaining(self) -> float:
        if self._started is None:
            self._started = self.clock()
        return self.deadline - (self.clock() - self._started)

    def _get(self, url: str, token: str) -> Any:
        shown = self._shown(url)
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "User-Agent": f"capplan/{__version__}",
        }
        while True:
            remaining = self._remaining()
            if remaining <= 0:
                raise HttpProblem(f"{shown}: no complete answer within {self.deadline:g} s")
            self._log(f"GET {shown}")
            try:
                status, body, retry_after = self._send(url, headers, min(self.timeout, remaining))
            except httpx.TimeoutException:
                raise HttpProblem(
                    f"{shown}: no answer within {min(self.timeout, remaining):g} s"
                ) from None
            except httpx.HTTPError as error:
                raise HttpProblem(
                    f"{shown}: the request failed ({self.scrub(str(error))[:_SERVER_TEXT]})"
                ) from None
            self._log(f"{status} {shown} ({len(body):,} bytes)")
            if status in RETRY_STATUSES:
                advised = parse_retry_after(retry_after)
                wait = min(self.max_wait, advised if advised is not None else 2.0)
                if self._waited + wait > self.total_wait or wait >= self._remaining():
                    label = "throttled (429)" if status == 429 else "unavailable (503)"
                    raise HttpProblem(
                        f"{shown}: still {label} after waiting {self._waited:g} s in all; "
                        "try again later",
                        status,
                    )
                self._log(f"waiting {wait:g} s as the server asks")
                self._waited += wait
                self.sleep(wait)
                continue
            if status >= 400:
                raise HttpProblem(f"{shown}: HTTP {status}{self._detail(body)}", status)
            try:
                return json.loads(body)
            except ValueError:
                start = self.scrub(body[:_BODY_START].decode("utf-8", "replace")).strip()
                raise HttpProblem(
                    f"{shown}: the answer is not JSON (it starts {start!r})", status
                ) from None

    def _send(self, url: str, headers: dict[str, str], timeout: float) -> tuple[int, bytes, str]:
        with self._client.stream("GET", url, headers=headers, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise HttpProblem(
                    f"{self._shown(url)}: the answer is {int(declared):,} bytes, more than the "
                    f"limit of {self.max_bytes:,}"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise HttpProblem(
                        f"{self._shown(url)}: the answer is larger than the limit of "
                        f"{self.max_bytes:,} bytes"
                    )
                chunks.append(chunk)
            return response.status_code, b"".join(chunks), response.headers.get("Retry-After", "")

    def _detail(self, body: bytes) -> str:
        """The server's own error code and message, briefly, when it gave them."""
        try:
            document = json.loads(body)
        except ValueError:
            return ""
        error = document.get("error") if isinstance(document, dict) else None
        if not isinstance(error, dict):
            return ""
        parts = [str(error.get(k)) for k in ("code", "message") if error.get(k)]
        return f" ({self.scrub(': '.join(parts))[:_SERVER_TEXT]})" if parts else ""

    def _log(self, line: str) -> None:
        if self.debug is not None:
            self.debug(self.scrub(line))


def _next_link(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    for key in ("@odata.nextLink", "nextLink"):
        value = document.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
