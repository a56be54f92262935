"""planner/live/http.py on its own: where a token may go."""

from __future__ import annotations

import pytest

from planner.live.http import AllowList

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
