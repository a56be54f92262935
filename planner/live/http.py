"""HTTP that carries a bearer token: where it may go, what may come back, and for how long.

Every live call of capplan (``verify`` and ``collect``) goes through :class:`HttpClient`, so the
same rules hold for all of them:

* **Where the token goes.** A request is sent only to a URL its :class:`AllowList` allows: a host
  matching one of the patterns (``--allow-host``, or the command's default list) over https, or
  plain http to a loopback address; or exactly the origin (scheme, host and port) of a base URL
  the user gave. A redirect or a next-page link is checked the same way *before* the token goes
  anywhere, so a base URL the user names opens that one origin and nothing beside it.
* **What comes back.** A body is read in small pieces and refused once it passes the size cap
  on the wire or after decompression (a gzip bomb stops at the cap, not at the end of memory).
  Only gzip and deflate are asked for and understood. JSON nested deeper than
  :data:`MAX_JSON_DEPTH`, or with a key twice in one object, is refused.
* **For how long.** A :class:`Deadline` is one budget for everything: connecting, every read,
  and the waits between retries; each request may also have its own, shorter limit. A server
  that drips a byte a second is cut off when the budget ends, not when it pauses. 429 and 503
  are retried as ``Retry-After`` says, each wait capped, all waits together bounded.
* **What may be shown.** Text from a server is scrubbed of the tokens (and of their parts) and
  made printable before it reaches a message or the debug log: no escape sequences, no bidi
  overrides, no line breaks, no more than a few hundred characters.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import ipaddress
import json
import math
import os
import re
import socket
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from planner import __version__
from planner.errors import InputError, printable
from planner.model.limits import MAX_ROWS

MAX_BODY_BYTES = 8 * 1024 * 1024  # on the wire and after decompression, each
MAX_JSON_DEPTH = 64
MAX_SHOWN_TEXT = 300  # characters of server text repeated in a message
MAX_REDIRECTS = 5
MAX_PAGES = 10_000
MAX_ITEMS = MAX_ROWS  # items of one paged list, all pages together, as of one input's list
# Bytes of one paged list, all pages together: each page is capped, but a list of pages is
# held whole. The admin API spends about 2 KB on an environment: 256 MB is some 130,000.
MAX_LIST_BYTES = 256 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 503})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_RETRIES = 3
DEFAULT_MAX_WAIT = 60.0  # seconds: the longest single wait before a retry
_PIECE = 16 * 1024  # bytes read at a time: one piece inflates to at most ~16 MB, capped below
_BODY_START = 100  # characters of a body that is not JSON, to say what it is instead

_PATTERN = re.compile(r"(?:\*\.)?(?:[a-z0-9*](?:[a-z0-9*-]*[a-z0-9*])?\.)*[a-z0-9*-]+\.?")


# --------------------------------------------------------------------------------------------
# What goes wrong


class HttpProblem(Exception):
    """No usable answer. ``status`` is the HTTP status, or None when there was no answer at all.
    The message is safe to show: scrubbed of every token the client holds, printable, short."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TimedOut(HttpProblem):
    """The time budget (of the request or of everything) ran out."""


class TooLarge(HttpProblem):
    """The body passed the size cap, on the wire or unpacked."""


class Unreadable(HttpProblem):
    """The body cannot be read: compressed in a way not asked for, or JSON capplan refuses."""


class Unreachable(HttpProblem):
    """No connection could be made."""


class NotAllowed(HttpProblem):
    """A redirect or next-page link points somewhere the token may not go; nothing was sent."""


class StillBusy(HttpProblem):
    """429 or 503 after every retry the bounds allow."""


class ResponseTooLarge(Exception):
    """The body passed the size cap (on the wire or inflated)."""


class DeadlinePassed(Exception):
    """The time budget ran out."""


class BadEncoding(Exception):
    """The body is compressed in a way capplan did not ask for or cannot read."""


class JSONTooDeep(ValueError):
    """JSON nested deeper than the cap."""


class DuplicateKey(ValueError):
    """JSON with one key twice in an object: which value the server meant cannot be told."""


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
        if "*" in text and (
            len([label for label in labels if "*" not in label]) < 2 or _public_suffix(labels)
        ):
            raise InputError(
                f"--allow-host {printable(pattern)!r} would allow hosts of any organization",
                expected="a pattern that names at least a domain and its top level, such as "
                "*.dynamics.com (not a suffix under which anyone registers a name, such as "
                "co.uk)",
            )
        checked.append(text)
    return tuple(checked)


def _public_suffix(labels: list[str]) -> bool:
    """Whether the labels after a pattern's last wildcard are a public suffix (co.uk,
    com.au, blogspot.com): a name anyone may register under, so the pattern would cover
    every organization's hosts there. The Public Suffix List, as the package bundles it."""
    last = max(index for index, label in enumerate(labels) if "*" in label)
    fixed = ".".join(labels[last + 1 :])
    if not fixed:
        return True
    from publicsuffixlist import PublicSuffixList

    return bool(PublicSuffixList().is_public(fixed))


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


def host_allowed(host: str, patterns: Sequence[str]) -> bool:
    """Does ``host`` match one of ``patterns`` (case-insensitive, whole labels)?"""
    name = host.strip().strip("[]").rstrip(".").lower()
    if not name:
        return False
    address = _ip_address(name)
    if address is not None:  # an address matches only itself, written in any form
        return any(_ip_address(pattern) == address for pattern in patterns)
    if not name.isascii():
        # As the connection spells it (IDNA 2008, as httpx encodes hosts): Python's own codec
        # (IDNA 2003) maps "straße.de" to "strasse.de", another domain, which a pattern
        # naming strasse.de must not allow.
        import idna

        try:
            name = idna.encode(name).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return False
    return any(_pattern_regex(pattern).fullmatch(name) for pattern in patterns)


def check_base_url(url: str, what: str) -> str:
    """A base URL without its trailing slash; ValueError with the reason when it is not usable."""
    text = url.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ValueError(f"{what} {printable(url)!r} is not a URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{what} {printable(url)!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise ValueError(f"{what} must not carry a user name or password")
    if parts.query or parts.fragment:
        raise ValueError(f"{what} must not carry a query or fragment")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(f"{what} uses plain http to {parts.hostname}; https is required")
    if origin(text) is None:  # such as an "xn--" label that is not valid punycode
        raise ValueError(f"{what} {printable(url)!r} has a host name that is not valid")
    return text


Origin = tuple[str, str, int | None]


def origin(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL, the scheme's own port as None; None when the URL
    has no such origin."""
    try:
        parsed = httpx.URL(url.strip())
        name = parsed.host  # an "xn--" label that is not valid punycode raises here
    except (httpx.InvalidURL, ValueError, TypeError):  # UnicodeError is a ValueError
        return None
    scheme = parsed.scheme.lower()
    if scheme not in ("http", "https") or not name:
        return None
    host = name.rstrip(".").lower()
    address = _ip_address(host)
    return (scheme, str(address) if address else host, parsed.port)


@dataclass(frozen=True)
class AllowList:
    """Where a token may go.

    ``patterns`` allow hosts (any port) over https, and over plain http only when loopback.
    ``origins`` allow exactly the scheme, host and port of base URLs the user gave: naming
    ``http://127.0.0.1:8080`` opens that port, not the rest of the machine, and naming
    ``https://graph.microsoft.us`` does not open its plain http twin.
    """

    patterns: tuple[str, ...] = ()
    origins: frozenset[Origin] = frozenset()

    @classmethod
    def of(cls, patterns: Iterable[str] = (), base_urls: Iterable[str] = ()) -> AllowList:
        found = {origin(url) for url in base_urls}
        return cls(tuple(patterns), frozenset(o for o in found if o is not None))

    def allows(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        where = origin(url)
        if where is None or parts.username is not None or parts.password is not None:
            return False
        if where in self.origins:
            return True
        scheme, host, _ = where
        if scheme == "http" and not is_loopback_host(host):
            return False
        return host_allowed(host, self.patterns)


# --------------------------------------------------------------------------------------------
# How long


class Deadline:
    """One time budget for a whole exchange: connecting, reading, and waiting to retry."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
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


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


# --------------------------------------------------------------------------------------------
# What comes back


@dataclass(frozen=True)
class Answer:
    """A response read under the caps: status, headers, the decoded body and where it came from."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str = ""


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
    """One request under the caps, nothing more: no allow list, no retries (see
    :class:`HttpClient`). Raises :class:`DeadlinePassed`, :class:`ResponseTooLarge`,
    :class:`BadEncoding` or an httpx error; redirects are never followed."""
    if deadline.passed:
        raise DeadlinePassed
    sent = {**headers, "Accept-Encoding": "gzip, deflate"}
    # httpx's timeouts are per read: a server that sends its status line and headers a byte at
    # a time never trips them. A watchdog shuts the connection's socket when the budget ends,
    # from before the request is sent until the body is in, so no read can outlast it. The
    # socket is learnt from the connection trace (a new connection) or, for a connection the
    # pool reuses, from the sockets this client opened before.
    sockets = _SOCKETS.setdefault(client, [])
    cut = threading.Event()

    def trace(event: str, info: Mapping[str, Any]) -> None:
        stream = info.get("return_value") if event.endswith(".complete") else None
        sock = _socket_of(stream)
        if sock is not None and sock not in sockets:
            sockets.append(sock)
            if cut.is_set():  # connected just as the budget ended
                _shut(sock)

    def expire() -> None:
        cut.set()
        for sock in list(sockets):
            _shut(sock)

    watchdog = threading.Timer(deadline.remaining(), expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        with client.stream(
            method,
            url,
            headers=sent,
            timeout=deadline.timeout(),
            follow_redirects=False,
            extensions={"trace": trace},
        ) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
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
            return Answer(response.status_code, response.headers, bytes(body), url)
    except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ReadTimeout, httpx.WriteError):
        if deadline.passed or cut.is_set():
            raise DeadlinePassed from None
        raise
    finally:
        watchdog.cancel()
        sockets[:] = [sock for sock in sockets if sock.fileno() != -1]


# The sockets each httpx client opened (learnt from its connection trace), so that a request on
# a reused connection can be cut off too. Weak: a client that is gone takes its list with it.
_SOCKETS: weakref.WeakKeyDictionary[httpx.Client, list[socket.socket]] = weakref.WeakKeyDictionary()


def _socket_of(stream: Any) -> socket.socket | None:
    get = getattr(stream, "get_extra_info", None)
    if get is None:
        return None
    try:
        sock = get("socket")
    except (OSError, AttributeError, ValueError, KeyError):
        return None
    return sock if isinstance(sock, socket.socket) else None


def _shut(sock: socket.socket) -> None:
    """Shut a socket from the watchdog thread: a read blocked on it returns at once."""
    # The plain socket's shutdown, also for a TLS socket: it leaves the TLS state alone for
    # the thread that is reading.
    with contextlib.suppress(OSError, ValueError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def parse_json(content: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode a JSON body (UTF-8/16/32, BOM allowed); ValueError when it is not JSON,
    :class:`JSONTooDeep` when nested deeper than ``max_depth``, :class:`DuplicateKey` when an
    object holds a key twice."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise DuplicateKey(f"the key {key!r} appears twice in one object")
            result[key] = value
        return result

    if _depth_over(content, max_depth):
        raise JSONTooDeep(f"nested more than {max_depth} levels deep")
    try:
        return json.loads(content, object_pairs_hook=no_duplicates)
    except RecursionError:
        raise JSONTooDeep(f"nested more than {max_depth} levels deep") from None


# A string is taken whole (to its end where it has none) by possessive repeats, which keep no
# state to go back to: scanning is linear in the body, and its memory does not grow with a
# string's length (a plain repeat kept state for each character, 128 bytes of it, and started
# again at each quote of an unclosed string).
_OPENERS = re.compile(rb'(?s)[\[{]|"(?:[^"\\]++|\\.)*+(?:"|\Z)|[\]}]')


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
    """Remove the token from text a server sent back, whole or in parts (a JWT's segments),
    in any case, percent-encoded, escaped as JSON, in base64 or reversed, so an echo cannot
    carry it to a terminal, log or file."""
    if not token:
        return text
    text = _secrets_pattern(token).sub("***", text)
    # Spaced out (a blank, a dash or an invisible character between its characters), the token
    # or a long part of it is no longer found as written: the text is withheld whole.
    squeezed = _NOT_LETTERS_OR_DIGITS.sub("", text).casefold()
    if any(secret in squeezed for secret in _squeezed_secrets(token)):
        return WITHHELD
    return text


WITHHELD = "*** (withheld: it holds the token, spaced out)"
_NOT_LETTERS_OR_DIGITS = re.compile(r"[\W_]+")
# Letters and digits of a token part, at least: fewer could occur in text by chance.
_SQUEEZED_PART = 16


@functools.lru_cache(maxsize=8)
def _squeezed_secrets(token: str) -> tuple[str, ...]:
    """The token and its parts (see :func:`_secrets_pattern`) as letters and digits alone."""
    parts = {token, *token.split("."), *re.split(r"[.~_+/=-]", token)}
    squeezed = {_NOT_LETTERS_OR_DIGITS.sub("", part).casefold() for part in parts}
    return tuple(part for part in squeezed if len(part) >= _SQUEEZED_PART)


@functools.lru_cache(maxsize=8)
def _secrets_pattern(token: str) -> re.Pattern[str]:
    """The forms of ``token`` that :func:`scrub` removes, as one pattern (longest first)."""
    parts = {*token.split("."), *re.split(r"[.~_+/=-]", token)}
    secrets = {token, *(part for part in parts if len(part) >= 8)}
    secrets |= {quote(secret, safe="") for secret in secrets}
    secrets |= {json.dumps(secret)[1:-1] for secret in secrets}
    secrets.add(token[::-1])
    # base64 of the token wherever it starts among the encoded bytes (three alignments), each
    # without the characters its neighbours change: in the standard and the URL alphabet.
    data = token.encode("utf-8", "replace")
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode("ascii").rstrip("=")
        middle = encoded[(4 * shift + 2) // 3 : -2]
        if len(middle) >= 8:
            secrets |= {middle, middle.replace("+", "-").replace("/", "_")}
    ordered = sorted((s for s in secrets if s), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE)


def shown(text: str, token: str = "", limit: int = MAX_SHOWN_TEXT) -> str:
    """Server text as it may appear in a message: scrubbed, one line, printable, short."""
    cleaned = " ".join(scrub(text, token).split())
    return printable(cleaned, limit)


def size_words(count: int) -> str:
    """A byte cap in words: "8 MB", "50 MB"."""
    return f"{count / 2**20:g} MB" if count >= 2**20 else f"{count:,} bytes"


# --------------------------------------------------------------------------------------------
# The client


@dataclass
class JsonAnswer:
    """A JSON answer, every page's items together when paged."""

    url: str
    document: Any  # the first page as the server wrote it (items replaced by all of them)
    items: list[Any]
    pages: int


_PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


def _client(trust_env: bool) -> httpx.Client:
    """httpx's client, with the proxies the environment names where ``trust_env``. A proxy
    setting it cannot use (a SOCKS proxy without its package, an unknown scheme, a malformed
    URL) is the user's to correct: an :class:`InputError`, not an internal error."""
    try:
        return httpx.Client(follow_redirects=False, trust_env=trust_env)
    except (ImportError, ValueError, httpx.InvalidURL) as error:
        named = [
            name
            for name in _PROXY_VARIABLES
            if os.environ.get(name) or os.environ.get(name.lower())
        ]
        raise InputError(
            f"the proxy settings cannot be used ({printable(str(error), 200)})",
            file=", ".join(named) or None,
            expected="HTTPS_PROXY and ALL_PROXY as http://host:port (or unset)",
        ) from None


class HttpClient:
    """GETs with a bearer token under every rule of this module; one per conversation.

    ``budget`` is the time for everything (started by the first request); ``timeout``, when
    given, the most one request may take. 429 and 503 are retried up to ``max_retries`` times,
    each wait as ``Retry-After`` says (else 1, 2, 4 ... s) but at most ``max_wait``, all waits
    together at most ``total_wait`` and never past the budget. With ``follow_redirects`` a
    redirect to an allowed URL is followed (at most :data:`MAX_REDIRECTS`); without it the 3xx
    is the answer. ``session`` is an httpx client to use instead of the client's own.
    """

    def __init__(
        self,
        allow: AllowList,
        *,
        budget: float,
        timeout: float | None = None,
        max_retries: int = DEFAULT_RETRIES,
        max_wait: float = DEFAULT_MAX_WAIT,
        total_wait: float = math.inf,
        max_bytes: int = MAX_BODY_BYTES,
        follow_redirects: bool = False,
        trust_env: bool = True,
        session: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        debug: Callable[[str], None] | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.allow = allow
        self.budget = budget
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.total_wait = total_wait
        self.max_bytes = max_bytes
        self.follow_redirects = follow_redirects
        self.sleep = sleep
        self.clock = clock
        self.debug = debug
        self.waited = 0.0
        self._deadline: Deadline | None = None
        self._secrets: list[str] = []
        self._read = 0  # bytes of the answers of the current get_json
        self._own = session is None
        self._session = session or _client(trust_env)

    def close(self) -> None:
        if self._own:
            self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---------------------------------------------------------------- showing

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = scrub(text, secret)
        return text

    def shown(self, text: str, limit: int = MAX_SHOWN_TEXT) -> str:
        """Server or exception text as it may appear: every token removed, one line, short."""
        return printable(" ".join(self.scrub(text).split()), limit)

    def shown_url(self, url: str) -> str:
        """A URL in a message: without its query (tokens of paging live there), scrubbed."""
        try:
            parts = urlsplit(url)
            bare = f"{parts.scheme}://{parts.netloc}{parts.path}"
        except ValueError:
            bare = url
        return self.shown(bare)

    def _log(self, line: str) -> None:
        if self.debug is not None:
            self.debug(self.shown(line, 10 * MAX_SHOWN_TEXT))

    # ---------------------------------------------------------------- sending

    def send(self, url: str, token: str, headers: Mapping[str, str] | None = None) -> Answer:
        """GET ``url`` with the token, retrying and (when asked) following redirects; the final
        answer, whatever its status. Raises a :class:`HttpProblem`; never sends the token where
        the allow list does not allow."""
        if token and token not in self._secrets:
            self._secrets.append(token)
        sent = {
            "Accept": "application/json",
            "User-Agent": f"capplan/{__version__}",
            **(headers or {}),
            "Authorization": f"Bearer {token}",
        }
        if not self.allow.allows(url):
            raise NotAllowed(
                f"{self.shown_url(url)} is not an allowed host; the token was not sent there"
            )
        retries = hops = 0
        while True:
            answer = self._exchange(url, sent)
            status = answer.status_code
            if status in RETRY_STATUSES:
                wait = self._retry_wait(answer, retries)
                if wait is None:
                    label = "throttled" if status == 429 else "unavailable"
                    raise StillBusy(
                        f"still {label} (HTTP {status}) after {retries} "
                        f"{'retry' if retries == 1 else 'retries'}; try again later",
                        status,
                    )
                self._log(f"waiting {wait:g} s as the server asks")
                self.sleep(wait)
                self.waited += wait
                retries += 1
                continue
            location = answer.headers.get("Location", "")
            if self.follow_redirects and status in REDIRECT_STATUSES and location.strip():
                if hops >= MAX_REDIRECTS:
                    raise HttpProblem(f"more than {MAX_REDIRECTS} redirects; stopped", status)
                url = self.follow_up(url, location, "the redirect")
                hops += 1
                continue
            return answer

    def follow_up(self, url: str, link: str, what: str) -> str:
        """The absolute URL of a redirect or next-page link (``what``), if the token may go
        there; else :class:`NotAllowed`, before anything is sent."""
        try:
            target = urljoin(url, link.strip())
            check_base_url(urlsplit(target)._replace(query="", fragment="").geturl(), what)
        except ValueError as error:
            raise NotAllowed(f"{self.shown(str(error))}; not followed with the token") from None
        if not self.allow.allows(target):
            parts = urlsplit(target)
            place = parts.netloc.rsplit("@", 1)[-1] if parts.port else parts.hostname or "?"
            raise NotAllowed(
                f"{what} goes to {self.shown(place)}, which is not an allowed host; not "
                "followed with the token (--allow-host names more hosts)"
            )
        return target

    def _retry_wait(self, answer: Answer, retries: int) -> float | None:
        """Seconds to wait before retrying, or None when the bounds say stop."""
        advised = parse_retry_after(answer.headers.get("Retry-After"))
        wait = max(0.0, min(advised if advised is not None else float(2**retries), self.max_wait))
        if retries >= self.max_retries or self.waited + wait > self.total_wait:
            return None
        if wait >= self._budget().remaining():
            return None
        return wait

    def _budget(self) -> Deadline:
        if self._deadline is None:
            self._deadline = Deadline(self.budget, self.clock)
        return self._deadline

    def _exchange(self, url: str, headers: Mapping[str, str]) -> Answer:
        budget = self._budget()
        left = budget.remaining()
        per_request = self.timeout is not None and self.timeout < left
        seconds = self.timeout if per_request and self.timeout is not None else self.budget
        timed_out = TimedOut(
            f"no complete answer within {seconds:g} s (timed out)"
            if per_request or self.timeout is None
            else f"no complete answer within {seconds:g} s, the time for the whole run (timed out)"
        )
        if left <= 0:
            raise timed_out
        deadline = Deadline(min(left, self.timeout or left), self.clock)
        self._log(f"GET {self.shown_url(url)}")
        try:
            answer = request(
                self._session,
                "GET",
                url,
                headers=headers,
                deadline=deadline,
                max_bytes=self.max_bytes,
            )
        except (httpx.TimeoutException, DeadlinePassed):
            raise timed_out from None
        except ResponseTooLarge:
            raise TooLarge(
                f"the answer is larger than {size_words(self.max_bytes)} (on the wire or "
                "unpacked): refused"
            ) from None
        except BadEncoding as error:
            raise Unreadable(f"the answer cannot be read: {self.shown(str(error))}") from None
        except httpx.ConnectError as error:
            raise Unreachable(f"could not connect: {self.shown(str(error))}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            text = self.shown(str(error)) or type(error).__name__
            raise HttpProblem(f"the request failed: {text}") from None
        self._log(f"{answer.status_code} {self.shown_url(url)} ({len(answer.content):,} bytes)")
        return answer

    # ---------------------------------------------------------------- JSON

    def get_json(self, url: str, token: str, items_key: str | None = None) -> JsonAnswer:
        """GET a JSON answer; with ``items_key``, follow ``@odata.nextLink``/``nextLink`` (each
        link checked like a redirect) and gather every page's ``items_key`` list. An HTTP error
        status, a redirect not followed or a body that is not readable JSON is an HttpProblem."""
        self._read = 0
        document = self._json(url, token)
        if items_key is None:
            return JsonAnswer(url, document, [], 1)
        items = self._items(document, items_key, url)
        pages = 1
        link = _next_link(document)
        page_url = url
        read = {url}
        last = items
        while link:
            if pages >= MAX_PAGES:
                raise HttpProblem(f"more than {MAX_PAGES} pages; stopped")
            if not last:  # a service pages on only while there is more to give
                raise Unreadable(
                    f"page {pages} of {self.shown_url(url)} has no items but links to a next "
                    "page; stopped"
                )
            page_url = self.follow_up(page_url, link, "the next-page link")
            if page_url in read:
                raise Unreadable(
                    f"the next-page link of page {pages} of {self.shown_url(url)} points back "
                    "to a page already read; stopped"
                )
            read.add(page_url)
            page = self._json(page_url, token)
            if self._read > MAX_LIST_BYTES:
                raise TooLarge(
                    f"the pages of {self.shown_url(url)} hold more than "
                    f"{size_words(MAX_LIST_BYTES)}; stopped"
                )
            last = self._items(page, items_key, page_url)
            items.extend(last)
            if len(items) > MAX_ITEMS:
                raise TooLarge(
                    f"the pages of {self.shown_url(url)} hold more than {MAX_ITEMS:,} items; "
                    "stopped"
                )
            pages += 1
            link = _next_link(page)
        if isinstance(document, dict):
            document = {
                k: v for k, v in document.items() if k not in ("@odata.nextLink", "nextLink")
            }
            document[items_key] = items
        return JsonAnswer(url, document, items, pages)

    def _json(self, url: str, token: str) -> Any:
        answer = self.send(url, token)
        status = answer.status_code
        if status >= 400:
            raise HttpProblem(f"HTTP {status}{self._detail(answer.content)}", status)
        if 300 <= status < 400:
            where = answer.headers.get("Location", "")
            target = f" to {self.shown_url(where)}" if where.strip() else ""
            raise HttpProblem(f"the server redirected (HTTP {status}){target}", status)
        self._read += len(answer.content)
        try:
            return parse_json(answer.content)
        except JSONTooDeep as error:
            raise Unreadable(f"the answer is JSON {error}: refused", status) from None
        except DuplicateKey as error:
            raise Unreadable(
                f"the answer is JSON in which {error}: which value is meant cannot be told",
                status,
            ) from None
        except (ValueError, UnicodeDecodeError):
            start = self.shown(answer.content[:_BODY_START].decode("utf-8", "replace"))
            raise Unreadable(f"the answer is not JSON (it starts {start!r})", status) from None

    def _items(self, document: Any, key: str, url: str) -> list[Any]:
        items = document.get(key) if isinstance(document, dict) else None
        if not isinstance(items, list):
            raise Unreadable(f"the answer of {self.shown_url(url)} has no '{key}' list")
        return list(items)

    def _detail(self, body: bytes) -> str:
        """The server's own error code and message, briefly, when it gave them."""
        try:
            document = parse_json(body)
        except (ValueError, UnicodeDecodeError):
            return ""
        error = document.get("error") if isinstance(document, dict) else None
        if not isinstance(error, dict):
            return ""
        parts = [str(error.get(k)) for k in ("code", "message") if error.get(k)]
        return f" ({self.shown(': '.join(parts))})" if parts else ""


def _next_link(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    for key in ("@odata.nextLink", "nextLink"):
        value = document.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
