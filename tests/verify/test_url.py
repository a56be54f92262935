"""The organization URL: normalised, and loopback hosts told apart from the rest."""

from __future__ import annotations

from planner.live.http import is_loopback_host
from planner.verify.url import normalise_org_url


def test_url_normalisation_and_loopback() -> None:
    assert normalise_org_url(" HTTPS://Contoso.CRM.dynamics.com/ ") == (
        "https://contoso.crm.dynamics.com"
    )
    assert normalise_org_url("http://localhost:8080/") == "http://localhost:8080"
    assert normalise_org_url("http://[::1]:81") == "http://[::1]:81"
    assert normalise_org_url("http://127.9.9.9") == "http://127.9.9.9"
    for host in ("localhost", "LOCALHOST.", "127.0.0.1", "127.200.0.3", "::1", "[::1]"):
        assert is_loopback_host(host), host
    for host in ("10.0.0.1", "128.0.0.1", "::2", "example.com", "localhost.evil"):
        assert not is_loopback_host(host), host
