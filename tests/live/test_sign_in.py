"""capplan collect signing in with Azure Identity, as shipped, against a sign-in service on
loopback (tests/live/identity.py): DefaultAzureCredential with a service principal's environment
variables, the device code flow of an admin at a terminal, and the ways both fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from loopback import Reply, Seen

from planner.cli.main import cli

from .microsoft import BAP_PATH, CAPACITY_PATH, GRAPH_PATH, Behaviour, microsoft

pytest.importorskip("azure.identity", reason="Azure Identity (capplan[live]) is not installed")
pytest.importorskip("cryptography", reason="the test certificates need cryptography")

from .identity import (
    AUTHORITY,
    CLIENT_ID,
    CLIENT_SECRET,
    DEVICE_GRANT,
    REFRESH_TOKEN,
    TENANT_ID,
    USER_CODE,
    VERIFICATION_URI,
    Entra,
    Grant,
    entra_on_loopback,
    token_for,
)

# Real sign-ins over TLS, with Azure Identity's own retries: about 12 s for the module, so a
# bare pytest leaves them to the README's test command and CI.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BAP_SCOPE = "https://service.powerapps.com/.default"
SERVICE_PRINCIPAL = {
    "AZURE_TENANT_ID": TENANT_ID,
    "AZURE_CLIENT_ID": CLIENT_ID,
    "AZURE_CLIENT_SECRET": CLIENT_SECRET,
}
PROMPT = f"open {VERIFICATION_URI} in a browser and enter the code {USER_CODE}"


def arguments(out: Path, graph: str, other: str, *extra: str) -> list[str]:
    return [
        "collect",
        "--out",
        str(out),
        "--graph-url",
        graph,
        "--bap-url",
        other,
        "--powerplatform-url",
        other,
        *extra,
    ]


def own_tokens(behaviour: Behaviour, port: int) -> tuple[str, str, list[str]]:
    """Graph on one loopback name and the Power Platform APIs on the other, so that each call
    has its own token audience (the admin API's is always the PowerApps service): ``behaviour``
    then takes, for each API, only the token issued for its scope. Returns the two base URLs and
    the scopes in the order collect calls the APIs."""
    graph, other = f"http://localhost:{port}", f"http://127.0.0.1:{port}"
    scopes = {
        GRAPH_PATH: f"{graph}/.default",
        BAP_PATH: BAP_SCOPE,
        CAPACITY_PATH: f"{other}/.default",
    }
    behaviour.tokens = {path: token_for(scope) for path, scope in scopes.items()}
    return graph, other, list(scopes.values())


def assert_nothing_secret(stdout: str, stderr: str, out: Path, *secrets: str) -> None:
    written = [p.read_bytes() for p in out.rglob("*") if p.is_file()] if out.exists() else []
    for secret in secrets:
        assert secret not in stdout and secret not in stderr, secret
        assert all(secret.encode() not in data for data in written), secret


def bearers(requests: list[Seen], path: str) -> set[str]:
    return {seen.authorization for seen in requests if seen.path.split("?")[0] == path}


@pytest.mark.parametrize("authority", [None, "login.microsoftonline.us"])
def test_default_credential_signs_in_as_the_service_principal_of_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, authority: str | None
) -> None:
    """No option: DefaultAzureCredential finds AZURE_CLIENT_ID, AZURE_TENANT_ID and
    AZURE_CLIENT_SECRET first, asks the authority (the public cloud's, or AZURE_AUTHORITY_HOST's)
    for one token per API, and each API receives the token for its own scope."""
    entra = Entra()
    behaviour = Behaviour()
    out = tmp_path / "snapshots"
    variables = dict(SERVICE_PRINCIPAL)
    if authority:
        variables["AZURE_AUTHORITY_HOST"] = authority
    with (
        microsoft(behaviour) as apis,
        entra_on_loopback(entra, tmp_path, monkeypatch, **variables) as sign_in,
    ):
        graph, other, scopes = own_tokens(behaviour, apis.port)
        result = CliRunner().invoke(cli, arguments(out, graph, other))
    assert result.exit_code == 0, result.stderr
    assert sign_in.destinations == [f"CONNECT {authority or AUTHORITY}:443"]
    assert entra.grants == [Grant(TENANT_ID, "client_credentials", scope) for scope in scopes]
    assert entra.unknown == []
    for path, scope in zip((GRAPH_PATH, BAP_PATH, CAPACITY_PATH), scopes, strict=True):
        assert bearers(apis.requests, path) == {f"Bearer {token_for(scope)}"}, path
    (folder,) = out.iterdir()
    assert sorted(p.name for p in folder.iterdir()) == [
        "environments.json",
        "manifest.json",
        "subscribedSkus.json",
        "tenantCapacity.json",
    ]
    assert result.stderr == ""
    assert_nothing_secret(
        result.stdout, result.stderr, out, CLIENT_SECRET, *(token_for(s) for s in scopes)
    )


@pytest.mark.parametrize(
    ("tenant", "signed_in_to"), [(None, "organizations"), (TENANT_ID, TENANT_ID)]
)
def test_device_code_signs_an_admin_in_once_for_the_three_apis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tenant: str | None, signed_in_to: str
) -> None:
    """--device-code: the sign-in instructions go to the terminal's error stream (standard output
    carries what was written), MSAL polls while the sign-in is pending, and the other two APIs'
    tokens come from the refresh token without asking the admin again. AZURE_TENANT_ID, when
    set, is the tenant signed in to (a guest admin's customer)."""
    entra = Entra(pending=1)
    behaviour = Behaviour()
    out = tmp_path / "snapshots"
    variables = {"AZURE_TENANT_ID": tenant} if tenant else {}
    with (
        microsoft(behaviour) as apis,
        entra_on_loopback(entra, tmp_path, monkeypatch, **variables),
    ):
        graph, other, scopes = own_tokens(behaviour, apis.port)
        result = CliRunner().invoke(cli, arguments(out, graph, other, "--device-code"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count(PROMPT) == 1 and "UTC" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert USER_CODE not in result.stdout and "wrote" in result.stdout
    assert entra.device_codes == [scopes[0]]
    assert entra.polls == 2  # one 'authorization_pending', then the token
    assert entra.grants == [
        Grant(signed_in_to, DEVICE_GRANT, scopes[0]),
        Grant(signed_in_to, "refresh_token", scopes[1]),
        Grant(signed_in_to, "refresh_token", scopes[2]),
    ]
    for path, scope in zip((GRAPH_PATH, BAP_PATH, CAPACITY_PATH), scopes, strict=True):
        assert bearers(apis.requests, path) == {f"Bearer {token_for(scope)}"}, path
    assert_nothing_secret(
        result.stdout, result.stderr, out, REFRESH_TOKEN, *(token_for(s) for s in scopes)
    )


@pytest.mark.parametrize("status", [400, 401])
def test_a_refused_client_secret_is_one_message_in_a_real_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    """The authority answers invalid_client: exit status 2, capplan's message and its 'expected'
    line, nothing else on the terminal (Azure Identity's multi-line warnings are not let through
    to it), no traceback, no secret, no snapshot, and no API called. A real process, because
    pytest's own log capture would hide what an unconfigured logger prints."""
    refusal = Reply(
        status,
        {
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the "
            "secret being sent in the request is the client secret value.\r\nTrace ID: 3f1a",
        },
    )
    entra = Entra(refusal=refusal)
    out = tmp_path / "snapshots"
    with (
        microsoft(Behaviour()) as apis,
        entra_on_loopback(entra, tmp_path, monkeypatch, **SERVICE_PRINCIPAL),
    ):
        graph, other, _ = own_tokens(Behaviour(), apis.port)
        finished = subprocess.run(
            [sys.executable, "-m", "planner", *arguments(out, graph, other)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            env=dict(os.environ),
            stdin=subprocess.DEVNULL,
        )
    assert finished.returncode == 2, finished.stderr
    lines = finished.stderr.splitlines()
    assert len(lines) == 2, finished.stderr
    assert lines[0].startswith("capplan: error: Azure Identity could not get a token for ")
    assert "EnvironmentCredential: Authentication failed: AADSTS7000215: Invalid client" in lines[0]
    assert "Trace ID" not in lines[0]  # the first line of the service's answer
    assert lines[1].startswith("  expected: ") and "--device-code" in lines[1]
    assert "Traceback" not in finished.stderr and finished.stdout == ""
    assert apis.requests == []
    assert not out.exists() or not any(out.iterdir())
    assert_nothing_secret(finished.stdout, finished.stderr, out, CLIENT_SECRET)


def test_a_declined_device_code_sign_in_is_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusal = Reply(
        400,
        {"error": "authorization_declined", "error_description": "AADSTS70000: User declined."},
    )
    entra = Entra(refusal=refusal)
    out = tmp_path / "snapshots"
    with (
        microsoft(Behaviour()) as apis,
        entra_on_loopback(entra, tmp_path, monkeypatch),
    ):
        graph, other, _ = own_tokens(Behaviour(), apis.port)
        result = CliRunner().invoke(cli, arguments(out, graph, other, "--device-code"))
    assert result.exit_code == 2
    prompt, error, expected = result.stderr.splitlines()
    assert PROMPT in prompt
    assert error.startswith("capplan: error: Azure Identity could not get a token for ")
    assert error.endswith(": Authentication failed: AADSTS70000: User declined.")
    assert expected.startswith("  expected: ")
    assert apis.requests == [] and not out.exists()


def test_no_identity_set_up_says_so_in_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing to sign in with (no variables, no managed identity answering, no Azure CLI on the
    PATH, an empty home): DefaultAzureCredential tries every credential and capplan says none was
    found, naming them, in one line. The managed identity probe is the only request, and the
    proxy refuses it."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("HOME", str(empty))
    monkeypatch.setenv("PATH", str(empty))
    entra = Entra()
    out = tmp_path / "snapshots"
    with (
        microsoft(Behaviour()) as apis,
        entra_on_loopback(entra, tmp_path, monkeypatch) as sign_in,
    ):
        graph, other, _ = own_tokens(Behaviour(), apis.port)
        result = CliRunner().invoke(cli, arguments(out, graph, other))
    assert result.exit_code == 2
    error, expected = result.stderr.splitlines()
    assert "no identity to sign in with was found (DefaultAzureCredential tried " in error
    assert "EnvironmentCredential" in error and "AzureCliCredential" in error
    assert "az login" in expected
    assert all(not place.startswith("CONNECT") for place in sign_in.destinations)
    assert entra.grants == [] and apis.requests == []


def test_the_authority_certificate_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the test's certificate authority the sign-in fails: TLS is verified for real."""
    entra = Entra()
    out = tmp_path / "snapshots"
    with (
        microsoft(Behaviour()) as apis,
        entra_on_loopback(entra, tmp_path, monkeypatch, **SERVICE_PRINCIPAL),
    ):
        monkeypatch.delenv("REQUESTS_CA_BUNDLE")
        graph, other, _ = own_tokens(Behaviour(), apis.port)
        result = CliRunner().invoke(cli, arguments(out, graph, other))
    assert result.exit_code == 2
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr or "certificate" in result.stderr.lower()
    assert entra.grants == [] and entra.unknown == [] and apis.requests == []
    assert_nothing_secret(result.stdout, result.stderr, out, CLIENT_SECRET)
