"""capplan verify through the CLI against a loopback stand-in of the Dataverse Web API."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

import pytest
from clitools import run_capplan
from loopback import LoopbackServer, Reply, Seen, serve

TOKEN = "secret-token-value"
ANSWERS = {
    "linked": (
        200,
        {
            "Url": "https://contoso.operations.dynamics.com",
            "TenantId": "72ad15f0-3a88-4e15-be25-8751c9bd0764",
            "Id": "b2106f5c-e218-4aac-841a-a59da4738eb4",
        },
    ),
    "notlinked": (
        400,
        {
            "error": {
                "code": "0x80048d0b",
                "message": "Dataverse instance isn't integrated with finance and operations.",
            }
        },
    ),
    "samecode": (400, {"error": {"code": "0x80048d0b", "message": "Something else failed."}}),
    "denied": (401, {"error": {"code": "0x80072560", "message": "The user is not authorized."}}),
    "broken": (500, {"error": {"code": "0x80040216", "message": "An unexpected error occurred."}}),
}


def dataverse(seen: Seen) -> Reply:
    """Answers by the first segment of the path: /linked/..., /notlinked/... (see ANSWERS)."""
    if seen.authorization != f"Bearer {TOKEN}":
        return Reply(401, {"error": {"code": "x", "message": "no token"}})
    status, body = ANSWERS[seen.path.strip("/").split("/")[0]]
    return Reply(status, body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(dataverse) as running:
        yield running.url


@pytest.mark.parametrize(
    ("case", "status", "exit_code"),
    [
        ("linked", "linked", 0),
        ("notlinked", "not_linked", 0),
        ("samecode", "unknown", 3),
        ("denied", "unknown", 3),
        ("broken", "unknown", 3),
    ],
)
def test_verify_each_answer(server, case, status, exit_code) -> None:
    result = run_capplan(
        "verify", "--url", f"{server}/{case}", "--format", "json", env={"DATAVERSE_TOKEN": TOKEN}
    )
    assert result.returncode == exit_code, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == status
    assert set(data) >= {
        "status",
        "finance_operations_url",
        "tenant_id",
        "environment_id",
        "error_code",
        "message",
    }
    assert TOKEN not in result.stdout + result.stderr
    if status == "linked":
        assert data["finance_operations_url"] == "https://contoso.operations.dynamics.com"


def test_verify_table_and_token_variable(server) -> None:
    result = run_capplan(
        "verify", "--url", f"{server}/linked", "--token-env", "MY_TOKEN", env={"MY_TOKEN": TOKEN}
    )
    assert result.returncode == 0
    assert "https://contoso.operations.dynamics.com" in result.stdout
    missing = run_capplan("verify", "--url", f"{server}/linked", "--token-env", "NOT_SET_HERE")
    assert missing.returncode == 2 and "NOT_SET_HERE" in missing.stderr


def test_plain_http_refused_off_loopback() -> None:
    result = run_capplan(
        "verify", "--url", "http://contoso.crm.dynamics.com", env={"DATAVERSE_TOKEN": TOKEN}
    )
    assert result.returncode == 2
    assert "https" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "flags",
    [
        ["--url", "https://evil.example"],
        ["--url", "https://evil.example", "--allow-host", "contoso.crm4.dynamics.com"],
        ["--url", "https://contoso.crm4.dynamics.com.evil.example"],
    ],
)
def test_a_url_outside_the_allowed_hosts_is_refused(flags: list[str]) -> None:
    """--url is held to the same hosts as --inventory rows: the token goes only to the
    Dataverse domains or the hosts --allow-host names, never to a host merely typed."""
    result = run_capplan("verify", *flags, env={"DATAVERSE_TOKEN": TOKEN})
    assert result.returncode == 2, result.stderr
    assert "not an allowed host" in result.stderr and "Traceback" not in result.stderr


def test_verify_inventory_writes_a_new_file(server, tmp_path) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        "name,type,org_url\n"
        f"CE,dataverse_production,{server}/linked\n"
        f"TEST,dataverse_sandbox,{server}/notlinked\n"
        "=cmd,dataverse_sandbox,\n",
        encoding="utf-8",
    )
    before = inventory.read_bytes()
    refused = run_capplan(
        "verify",
        "--inventory",
        str(inventory),
        "--out",
        str(inventory),
        env={"DATAVERSE_TOKEN": TOKEN},
    )
    assert refused.returncode == 2 and inventory.read_bytes() == before
    out = tmp_path / "verified.csv"
    result = run_capplan(
        "verify",
        "--inventory",
        str(inventory),
        "--out",
        str(out),
        "--allow-host",
        "127.0.0.1",
        env={"DATAVERSE_TOKEN": TOKEN},
    )
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows["CE"]["power_platform_verified"] == "linked"
    assert rows["TEST"]["power_platform_verified"] == "not_linked"
    assert "'=cmd" in rows  # a formula-looking name is stored as text
    assert inventory.read_bytes() == before


def test_the_token_goes_only_to_allowed_hosts(server, tmp_path) -> None:
    attacker = LoopbackServer()  # records every request: a row pointing here is never contacted
    evil = attacker.url_as("localhost")
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        "name,type,org_url\n"
        f"CE,dataverse_production,{server}/linked\n"
        f"EVIL,dataverse_sandbox,{evil}/linked\n",
        encoding="utf-8",
    )
    out = tmp_path / "verified.csv"
    try:
        # Only 127.0.0.1 is allowed: the row on "localhost" is reported, never contacted.
        result = run_capplan(
            "verify",
            "--inventory",
            str(inventory),
            "--out",
            str(out),
            "--allow-host",
            "127.0.0.1",
            env={"DATAVERSE_TOKEN": TOKEN},
        )
        assert result.returncode == 3, result.stderr
        assert "1 not checked, their host is not allowed (--allow-host): EVIL" in result.stderr
        rows = {row["name"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
        assert rows["CE"]["power_platform_verified"] == "linked"
        assert rows["EVIL"]["power_platform_verified"] == ""
        assert "localhost is not an allowed host" in rows["EVIL"]["verify_message"]
        # The default list holds Dataverse domains only: no loopback row is contacted either.
        result = run_capplan(
            "verify",
            "--inventory",
            str(inventory),
            "--out",
            str(out),
            env={"DATAVERSE_TOKEN": TOKEN},
        )
        assert result.returncode == 3 and "2 not checked" in result.stderr
        assert attacker.requests == []
        assert TOKEN not in result.stdout + result.stderr + out.read_text(encoding="utf-8")
    finally:
        attacker.close()


@pytest.mark.parametrize(
    "pattern", ["*", "*.com", "a b", "*.*.com", "*.co.uk", "*.com.au", "x*.co.uk", "*.blogspot.com"]
)
def test_allow_host_patterns_that_allow_anyone_are_refused(pattern, tmp_path) -> None:
    result = run_capplan(
        "verify", "--inventory", "x.csv", "--out", str(tmp_path / "o.csv"), "--allow-host", pattern
    )
    assert result.returncode == 2 and "--allow-host" in result.stderr
