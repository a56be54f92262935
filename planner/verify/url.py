"""The organization URL of ``capplan verify``: checked, normalised, and never shown with a password.

https is required except to loopback hosts; the URL must name the organization, not a Web API
path, and stay a valid URL with the integration function's path appended.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

from planner.errors import InputError
from planner.live.http import is_loopback_host

# The Dataverse Web API function that tells whether an environment is linked.
API_PATH = "/api/data/v9.1/RetrieveFinanceAndOperationsIntegrationDetails"

# Labels of letters, digits and hyphens (non-ASCII letters allowed for international names),
# separated by single dots.
_HOST_NAME = re.compile(r"(?:[^\W_](?:[^\W_]|-)*\.)*[^\W_](?:[^\W_]|-)*\.?")


def _shown_url(raw: str) -> str:
    """The URL as we may repeat it: stripped, with any user:password part masked."""
    text = raw.strip()
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@?#]*@", r"\1***@", text)


def normalise_org_url(org_url: str) -> str:
    """Check an organization URL and return it without a trailing slash.

    https is required, except to loopback hosts. Raises :class:`InputError` naming the URL and
    what is expected when it is malformed or not allowed.
    """
    expected = "the environment URL, like https://contoso.crm.dynamics.com"
    if not isinstance(org_url, str) or not org_url.strip():
        raise InputError("the organization URL is empty", expected=expected)
    raw = org_url.strip()
    shown = _shown_url(raw)
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        raise InputError(
            f"organization URL {shown!r} contains spaces or control characters", expected=expected
        )
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise InputError(
            f"organization URL {shown!r} is malformed ({exc})", expected=expected
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"organization URL {shown!r} is not an http(s) URL", expected=expected)
    host = parts.hostname or ""
    if not host:
        raise InputError(f"organization URL {shown!r} has no host name", expected=expected)
    if parts.username is not None or parts.password is not None:
        raise InputError(
            f"organization URL {shown!r} carries a user name or password",
            expected=expected + " (the token goes in the environment variable, not the URL)",
        )
    if parts.query or parts.fragment or raw.endswith(("?", "#")):
        raise InputError(f"organization URL {shown!r} has a query or fragment", expected=expected)
    path = parts.path.rstrip("/")
    if "/api/data" in path.lower():
        raise InputError(
            f"organization URL {shown!r} already points into the Web API",
            expected=expected + " (without /api/data/...)",
        )
    if scheme == "http" and not is_loopback_host(host):
        raise InputError(
            f"organization URL {shown!r} uses plain http",
            expected="an https URL (plain http is only allowed to localhost, 127.0.0.0/8 or ::1)",
        )
    if ":" not in host and not _HOST_NAME.fullmatch(host):
        raise InputError(
            f"organization URL {shown!r} has an invalid host name {host!r}", expected=expected
        )
    if port is not None and not 0 < port < 65536:
        raise InputError(f"organization URL {shown!r} has an invalid port", expected=expected)
    host_part = f"[{host}]" if ":" in host else host
    netloc = f"{host_part}:{port}" if port is not None else host_part
    normalised = f"{scheme}://{netloc}{path}"
    try:
        httpx.URL(normalised + API_PATH).host  # noqa: B018 - an invalid "xn--" label raises
    except (httpx.InvalidURL, ValueError) as exc:  # UnicodeError is a ValueError
        raise InputError(
            f"organization URL {shown!r} is malformed ({exc})", expected=expected
        ) from None
    return normalised
