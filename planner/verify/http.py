"""HTTP that carries a bearer token: where it may go, what may come back, and for how long.

Every live call of capplan (``verify`` here, ``collect`` wherever it lives) goes through this
module, so the same rules hold for all of them:

* **Where the token goes.** A token is sent only to https hosts that match an allow list
  (:data:`DEFAULT_ALLOWED_HOSTS`, or the user's ``--allow-host`` patterns) or to a loopback
  address the user named. :func:`host_allowed` answers before any connection is made.
* **What comes back.** A body is read in small pieces and refused once it passes
  :data:`MAX_BODY_BYTES` on the wire or after decompression (a gzip bomb stops at the cap,
  not at the end of memory). Only gzip and deflate are asked for and understood. JSON is
  refused when nested deeper than :data:`MAX_JSON_DEPTH`.
* **For how long.** A :class:`Deadline` is one budget for everything: connecting, every read,
  and the waits between retries. A server that drips a byte a second is cut off when the
  budget ends, not when it pauses.
* **What may be shown.** Text from a server is scrubbed of the token (and of its parts) and
  made printable before it reaches a message: no escape sequences, no bidi overrides, no
  line breaks, no more than a few hundred characters.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from planner.errors import InputError, printable

# Dataverse organizations live under these domains: the commercial cloud (crm, crm2 ... crm21,
# and GCC's crm9 are all *.crm*.dynamics.com), US Government GCC High and DoD, and the cloud
# operated by 21Vianet in China. A pattern's leading "*." stands for one or more whole labels;
# any other "*" for part of one label.
DEFAULT_ALLOWED_HOSTS: tuple[str, ...] = (
    "*.dynamics.com",
    "*.crm*.dynamics.com",
    "*.crm.microsoftdynamics.us",
    "*.crm.appsplatform.us",
    "*.crm.dynamics.cn",
)

MAX_BODY_BYTES = 8 * 1024 * 1024  # on the wire and after decompression, each
MAX_JSON_DEPTH = 64
MAX_SHOWN_TEXT = 300  # characters of server text repeated in a message
_PIECE = 16 * 1024  # bytes read at a time: one piece inflates to at most ~16 MB, capped below

_PATTERN = re.compile(r"(?:\*\.)?(?:[a-z0-9*](?:[a-z0-9*-]*[a-z0-9*])?\.)*[a-z0-9*-]+\.?")


class ResponseTooLarge(Exception):
    """The body passed the size cap (on the wire or inflated)."""


class DeadlinePassed(Exception):
    """The time budget ran out."""


class BadEncoding(Exception):
    """The body is compressed in a way capplan did not ask for or cannot read."""


# --------------------------------------------------------------------------------------------
# Where the token may go


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1 (also IPv4-mapped)."""
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


def check_host_patterns(patterns: Iterable[str]) -> tuple[str, ...]:
    """Validate ``--allow-host`` patterns; lower-cased, or InputError naming the bad one."""
    checked = []
    for pattern in patterns:
        text = pattern.strip().lower().rstrip(".")
        address = _ip_address(text)
        if address is not None:
            checked.append(str(address))
            continue
        if not text or not _PATTERN.fullmatch(text) or text in ("*", "*.") or "**" in text:
            raise InputError(
                f"--allow-host {printable(pattern)!r} is not a host name pattern",
                expected="a host name such as contoso.crm.dynamics.com, or a pattern such as "
                "*.crm4.dynamics.com (a leading '*.' stands for any subdomains)",
            )
        labels = text.split(".")
        if "*" in text and len([label for label in labels if "*" not in label]) < 2:
            raise InputError(
                f"--allow-host {printable(pattern)!r} would allow hosts of any organization",
                expected="a pattern that names at least a domain and its top level, such as "
                "*.dynamics.com",
            )
        checked.append(text)
    return tuple(checked)


def _ip_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    text = pattern.lower().rstrip(".")
    prefix = ""
    if text.startswith("*."):
        prefix, text = r"(?:[^.]+\.)+", text[2:]
    body = re.escape(text).replace(r"\*", "[^.]*")
    return re.compile(prefix + body)


def host_allowed(host: str, patterns: Sequence[str] = DEFAULT_ALLOWED_HOSTS) -> bool:
    """Does ``host`` match one of ``patterns`` (case-insensitive, whole labels)?"""
    name = host.strip().strip("[]").rstrip(".").lower()
    if not name:
        return False
    address = _ip_address(name)
    if address is not None:  # an address matches only itself, written in any form
        return any(_ip_address(pattern) == address for pattern in patterns)
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return any(_pattern_regex(pattern).fullmatch(name) for pattern in patterns)


# --------------------------------------------------------------------------------------------
# How long


class Deadline:
    """One time budget for a whole exchange: connecting, reading, and waiting to retry."""

    def __init__(self, seconds: float, clock: Any = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())

    @property
    def passed(self) -> bool:
        return self.remaining() <= 0.0

    def timeout(self) -> httpx.Timeout:
        """An httpx timeout for the next request: no single wait longer than what is left."""
        left = max(self.remaining(), 0.001)
        return httpx.Timeout(left, connect=left, read=left, write=left, pool=left)


# --------------------------------------------------------------------------------------------
# What comes back


@dataclass(frozen=True)
class Answer:
    """A response read under the caps: status, headers and the decoded body."""

    status_code: int
    headers: httpx.Headers
    content: bytes


class _Inflater:
    """Decodes gzip or deflate piece by piece, never past ``limit`` bytes of output."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.size = 0
        codings = [part.strip().lower() for part in encoding.split(",") if part.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise BadEncoding(f"the answer is compressed {len(codings)} times")
        self.coding = codings[0] if codings else ""
        if self.coding in ("gzip", "x-gzip"):
            self._decoder: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            self._decoder = zlib.decompressobj()
            self._raw_deflate_tried = False
        elif self.coding:
            raise BadEncoding(f"the answer is compressed with {self.coding!r}, not asked for")
        else:
            self._decoder = None

    def feed(self, data: bytes) -> bytes:
        if self._decoder is None:
            out = data
        else:
            try:
                out = self._inflate(data)
            except zlib.error as error:
                raise BadEncoding(f"the compressed answer is damaged ({error})") from None
        self.size += len(out)
        if self.size > self.limit:
            raise ResponseTooLarge
        return out

    def _inflate(self, data: bytes) -> bytes:
        pieces = []
        budget = self.limit - self.size + 1  # one byte over tells "too large"
        while data and budget > 0:
            piece = self._decoder.decompress(data, budget)
            pieces.append(piece)
            budget -= len(piece)
            data = self._decoder.unconsumed_tail
        return b"".join(pieces)


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    deadline: Deadline,
    max_bytes: int = MAX_BODY_BYTES,
) -> Answer:
    """One request under the caps. Raises :class:`DeadlinePassed`, :class:`ResponseTooLarge`,
    :class:`BadEncoding` or an httpx error; redirects are never followed."""
    if deadline.passed:
        raise DeadlinePassed
    sent = {**headers, "Accept-Encoding": "gzip, deflate"}
    with client.stream(
        method, url, headers=sent, timeout=deadline.timeout(), follow_redirects=False
    ) as response:
        # Once the headers are in, a watchdog cuts the connection when the budget ends, so a
        # read that waits cannot outlast it.
        watchdog = threading.Timer(deadline.remaining(), _cut, args=(response,))
        watchdog.daemon = True
        watchdog.start()
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ResponseTooLarge
            inflater = _Inflater(response.headers.get("Content-Encoding", ""), max_bytes)
            wire = 0
            body = bytearray()
            for piece in response.iter_raw(_PIECE):
                wire += len(piece)
                if wire > max_bytes:
                    raise ResponseTooLarge
                body += inflater.feed(piece)
                if deadline.passed:
                    raise DeadlinePassed
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ReadTimeout):
            if deadline.passed:
                raise DeadlinePassed from None
            raise
        finally:
            watchdog.cancel()
        return Answer(response.status_code, response.headers, bytes(body))


def _cut(response: httpx.Response) -> None:
    """Shut the response's socket (from the watchdog thread): a blocked read returns."""
    stream = response.extensions.get("network_stream")
    try:
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            import socket

            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, AttributeError, ValueError):
        pass


class JSONTooDeep(ValueError):
    pass


def parse_json(content: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode a JSON body (UTF-8/16/32, BOM allowed); ValueError when it is not JSON,
    :class:`JSONTooDeep` when nested deeper than ``max_depth``. Duplicate keys are refused:
    which of two values a server meant cannot be told."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"the key {key!r} appears twice in one object")
            result[key] = value
        return result

    if _depth_over(content, max_depth):
        raise JSONTooDeep(f"nested more than {max_depth} levels deep")
    try:
        return json.loads(content, object_pairs_hook=no_duplicates)
    except RecursionError:
        raise JSONTooDeep(f"nested more than {max_depth} levels deep") from None


_OPENERS = re.compile(rb'[\[{]|"(?:[^"\\]|\\.)*"|[\]}]')


def _depth_over(content: bytes, max_depth: int) -> bool:
    """Whether brackets outside strings nest deeper than ``max_depth`` (UTF-8 bodies; other
    encodings are left to the parser's own recursion guard)."""
    if content[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(content) > 1 and 0 in content[:4]):
        return False
    depth = 0
    for match in _OPENERS.finditer(content):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


# --------------------------------------------------------------------------------------------
# What may be shown


def scrub(text: str, token: str) -> str:
    """Remove the token from text a server sent back, whole or in parts (a JWT's segments,
    percent-encoded), so an echo cannot carry it to a terminal, log or file."""
    if not token:
        return text
    parts = {*token.split("."), *re.split(r"[.~_+/=-]", token)}
    secrets = {token, *(part for part in parts if len(part) >= 8)}
    secrets |= {quote(secret, safe="") for secret in secrets}
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, "***")
    return text


def shown(text: str, token: str = "", limit: int = MAX_SHOWN_TEXT) -> str:
    """Server text as it may appear in a message: scrubbed, one line, printable, short."""
    cleaned = " ".join(scrub(text, token).split())
    return printable(cleaned, limit)
