"""planner/live/http.py on its own: where a token may go."""

from __future__ import annotations

import base64
import contextlib
import json
import tracemalloc
from urllib.parse import quote

import pytest

from planner.errors import InputError
from planner.live.http import (
    WITHHELD,
    AllowList,
    HttpClient,
    NotAllowed,
    check_host_patterns,
    host_allowed,
    parse_json,
    scrub,
)

ALLOW = AllowList.of(
    ["graph.microsoft.com", "*.crm4.dynamics.com"],
    ["http://127.0.0.1:8080/base", "https://graph.microsoft.us"],
)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8080/other/path?q=1", True),  # the given origin, any path
        ("http://127.0.0.1:8081/", False),  # another port of the same address
        ("http://localhost:8080/", False),  # another name for the machine
        ("http://[::ffff:127.0.0.1]:8080/", True),  # the same address written otherwise
        ("https://127.0.0.1:8080/", False),  # another scheme
        ("https://graph.microsoft.us/v1.0", True),
        ("https://graph.microsoft.us:443/v1.0", True),  # the scheme's own port
        ("https://graph.microsoft.us:8443/v1.0", False),
        ("http://graph.microsoft.us/v1.0", False),  # no plain http twin of an https origin
        ("https://graph.microsoft.com/v1.0", True),  # a pattern: https, any port
        ("https://GRAPH.microsoft.com./v1.0", True),
        (
            "http://graph.microsoft.com/v1.0",
            False,
        ),  # a pattern never allows plain http off loopback
        ("https://graph.microsoft.com.evil.example/", False),
        ("https://contoso.crm4.dynamics.com/", True),
        ("https://crm4.dynamics.com/", False),  # '*.' needs a label
        ("https://user:pw@graph.microsoft.com/", False),  # credentials in a URL: never
        ("ftp://graph.microsoft.com/", False),
        ("not a url", False),
    ],
)
def test_allow_list(url: str, allowed: bool) -> None:
    assert ALLOW.allows(url) is allowed


def test_an_empty_allow_list_allows_nothing() -> None:
    assert not AllowList().allows("https://graph.microsoft.com/")
    assert not AllowList().allows("http://127.0.0.1/")


@pytest.mark.parametrize(
    ("host", "patterns", "allowed"),
    [
        # IDNA 2003 (Python's codec) maps these to the ASCII domains; the connection (IDNA
        # 2008) goes to other domains, which a pattern naming the ASCII ones must not allow.
        ("straße.de", ["strasse.de"], False),
        ("glaß.com", ["glass.com"], False),
        ("glaß.com", ["xn--gla-7ka.com"], True),
        ("xn--gla-7ka.com", ["glass.com"], False),
        ("Contoso.CRM4.Dynamics.com", ["*.crm4.dynamics.com"], True),
    ],
)
def test_hosts_are_matched_as_the_connection_spells_them(
    host: str, patterns: list[str], allowed: bool
) -> None:
    assert host_allowed(host, patterns) is allowed


@pytest.mark.parametrize(
    "body",
    [
        b'"' + b'\\"' * 200_000,  # a string never closed, full of escaped quotes
        b'"' + b"a" * 5_000_000,  # a long string never closed
        b"[" * 60 + b'"x",' * 300_000 + b"]" * 60,
    ],
)
def test_the_depth_scan_is_linear_and_small(body: bytes) -> None:
    """A hostile body is scanned in one pass: no quote starts the scan again, and a string's
    length costs no memory (each was seconds, or gigabytes, before). The outcome is what the
    parser says: not JSON, or JSON within the depth."""
    tracemalloc.start()
    try:
        with contextlib.suppress(ValueError):
            parse_json(body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(body) + 10_000_000


def test_a_link_a_url_parser_refuses_is_not_followed() -> None:
    """A next-page link or redirect that cannot be parsed as a URL (a full-width number sign
    before an '@', say) is refused as not followed, not an internal error, and the message
    holds nothing of the token."""
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJlMTIzNDU2"
    with HttpClient(AllowList.of(["graph.microsoft.com"]), budget=5.0) as client:
        client._secrets.append(token)  # as send() keeps the token it sends
        with pytest.raises(NotAllowed) as refused:
            client.follow_up(
                "https://graph.microsoft.com/v1.0/x",
                f"https://{token}\uff03@graph.microsoft.com/",
                "the next page",
            )
    assert "c2lnbmF0dXJl" not in str(refused.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("ALL_PROXY", "foo://bar"), ("HTTPS_PROXY", "ftp://x"), ("ALL_PROXY", "http://[::1")],
)
def test_a_proxy_setting_httpx_cannot_use_is_the_users_to_correct(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv(variable, value)
    with pytest.raises(InputError, match="proxy settings cannot be used") as refused:
        HttpClient(AllowList.of(["graph.microsoft.com"]), budget=5.0)
    assert refused.value.file == variable


@pytest.mark.parametrize(
    "echo",
    [
        lambda t: t.upper(),
        lambda t: t.swapcase(),
        lambda t: base64.b64encode(t.encode()).decode(),
        lambda t: base64.b64encode(b"Bearer " + t.encode()).decode(),
        lambda t: base64.urlsafe_b64encode(b"xx" + t.encode()).decode(),
        lambda t: t[::-1],
        lambda t: json.dumps({"raw": t}),
        lambda t: quote(t, safe=""),
    ],
)
@pytest.mark.parametrize(
    "token",
    [
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXR0b2tlbiJ9.SiGnAtUrEsEcReT12345",
        'Secr3t"Tok\\en!XYZ1234567',
    ],
)
def test_an_echo_of_the_token_in_another_form_is_scrubbed(echo, token: str) -> None:
    """A server may send the token back changed; whatever capplan shows of its answer holds
    no more than two characters of any of those forms."""
    shown = scrub(f"error: {echo(token)} (end)", token)
    assert shown.startswith("error: ") and shown.endswith(" (end)") and "***" in shown
    # What is left beside the mark: the echo's own wrapping ('Bearer ', '{"raw": ""}') and
    # the characters at the edges of base64 that neighbouring bytes change.
    left = shown[len("error: ") : -len(" (end)")].replace("***", "")
    assert len(left) <= 16, shown


@pytest.mark.parametrize(
    "echo",
    [
        lambda t: t[:10] + " " + t[10:],
        lambda t: " ".join(t),
        lambda t: "\u200b".join(t),
        lambda t: "-".join(t[i : i + 4] for i in range(0, len(t), 4)),
    ],
    ids=["one-blank", "every-character", "zero-width", "dashes"],
)
def test_an_echo_of_the_token_spaced_out_is_withheld(echo) -> None:
    """Characters put between the token's keep it from being found as written: text that holds
    its letters and digits in a row (a part of 16 or more of them) is withheld whole."""
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXR0b2tlbiJ9.SiGnAtUrEsEcReT12345"
    assert scrub(f"url: https://org.example/{echo(token)}", token) == WITHHELD
    # Text that merely shares a few characters with it is shown.
    assert scrub("eyJ abc 12345 SiGn", token) == "eyJ abc 12345 SiGn"


@pytest.mark.parametrize(
    "pattern",
    ["*.crm4.dynamics.com", "*.crm*.dynamics.com", "*.contoso.co.uk", "contoso.co.uk", "co.uk"],
)
def test_patterns_under_an_organization_or_without_a_wildcard_are_kept(pattern: str) -> None:
    assert check_host_patterns([pattern]) == (pattern,)


@pytest.mark.parametrize("pattern", ["*.co.uk", "*.com.au", "*.ac.jp", "x*.co.uk", "*.github.io"])
def test_a_wildcard_over_a_public_suffix_is_refused(pattern: str) -> None:
    with pytest.raises(InputError, match="would allow hosts of any organization"):
        check_host_patterns([pattern])
