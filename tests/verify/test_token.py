"""The bearer token: from the environment variable first, then from Azure Identity."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from planner.errors import InputError
from planner.verify.token import resolve_token, token_from_environment

TOKEN = "eyJ0eXAiOiJKV1Qi.s3cr3t-payload.SIGNATURE-never-shown"


def test_token_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAVERSE_TOKEN", f" {TOKEN} ")
    assert token_from_environment() == TOKEN
    monkeypatch.setenv("OTHER_TOKEN", "")
    assert token_from_environment("OTHER_TOKEN") is None
    monkeypatch.delenv("MISSING_TOKEN", raising=False)
    assert token_from_environment("MISSING_TOKEN") is None


def test_resolve_token_without_variable_or_azure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # import fails
    with pytest.raises(InputError) as caught:
        resolve_token("https://contoso.crm.dynamics.com", "MY_TOKEN", environ={})
    text = str(caught.value)
    assert "MY_TOKEN" in text and "capplan[azure]" in text


def test_resolve_token_prefers_variable_then_credential() -> None:
    scopes: list[str] = []

    class Credential:
        def get_token(self, scope: str) -> Any:
            scopes.append(scope)
            return type("AccessToken", (), {"token": "from-credential"})()

    url = "https://contoso.crm.dynamics.com/"
    assert resolve_token(
        url, environ={"DATAVERSE_TOKEN": "env"}, credential_factory=Credential
    ) == ("env")
    assert scopes == []
    assert resolve_token(url, environ={}, credential_factory=Credential) == "from-credential"
    assert scopes == ["https://contoso.crm.dynamics.com/.default"]

    class Failing:
        def get_token(self, scope: str) -> Any:
            raise RuntimeError("no account signed in\nlong details")

    with pytest.raises(InputError) as caught:
        resolve_token(url, environ={}, credential_factory=Failing)
    assert "DATAVERSE_TOKEN" in str(caught.value)
