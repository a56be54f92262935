"""Planning never touches the network: only ``capplan verify`` and ``capplan collect`` may open a
connection.

The commands run as real processes with a ``sitecustomize`` module on PYTHONPATH that replaces
``socket.socket.connect`` (and its relatives) with a function that records the attempt and
refuses it. forecast, report and whatif must succeed with nothing recorded; verify, pointed at a
closed loopback port, must be recorded trying, which shows the shim is in force.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT / "tests" / "bad_inputs" / "good"
INPUTS = (str(GOOD / "licenses-graph.csv"), str(GOOD / "environments.csv"))
AS_OF = ("--as-of", "2026-12")

SHIM = '''
"""Test shim: record and refuse every attempt to reach the network from this process."""
import os
import socket

_LOG = os.environ["CAPPLAN_NETWORK_LOG"]


def _record(line):
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(line + "\\n")


def _refusing(name):
    def refuse(self, *args, **kwargs):
        _record(f"{name} {args[:1]!r}")
        raise ConnectionRefusedError(f"{name}: network access is blocked in this test")

    return refuse


for _name in ("connect", "connect_ex", "sendto", "sendmsg"):
    setattr(socket.socket, _name, _refusing(_name))

_getaddrinfo = socket.getaddrinfo


def _recorded_getaddrinfo(host, *args, **kwargs):
    _record(f"getaddrinfo {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _recorded_getaddrinfo
_record(f"loaded {os.getpid()}")
'''


def closed_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(args: list[str], shim: Path, log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(shim), str(ROOT)]),
        "CAPPLAN_NETWORK_LOG": str(log),
        "DATAVERSE_TOKEN": "test-token",
    }
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        environment.pop(proxy, None)
    return subprocess.Popen(
        [sys.executable, "-m", "planner", *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_only_verify_reaches_for_the_network(tmp_path: Path) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(SHIM, encoding="utf-8")
    scenario = GOOD / "scenario.toml"
    port = closed_loopback_port()
    commands: dict[str, tuple[list[str], int]] = {
        "forecast": (["forecast", *INPUTS, *AS_OF, "--format", "json"], 0),
        "report": (["report", *INPUTS, *AS_OF, "--out", str(tmp_path / "reports")], 0),
        "whatif": (["whatif", *INPUTS, *AS_OF, "--scenario", str(scenario), "-o", "w.md"], 0),
        "init": (["init", str(tmp_path / "starter")], 0),
        "rules": (["rules", "show", "--format", "json"], 0),
        "verify": (["verify", "--url", f"http://127.0.0.1:{port}", "--timeout", "5"], 3),
    }
    running = {}
    for name, (args, _) in commands.items():
        log = tmp_path / f"{name}.log"
        running[name] = (start(args, shim, log, tmp_path), log)
    for name, (process, log) in running.items():
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == commands[name][1], (name, stderr.decode())
        lines = log.read_text(encoding="utf-8").splitlines()
        assert lines and lines[0].startswith("loaded "), f"{name}: the shim did not load"
        attempts = lines[1:]
        if name == "verify":
            assert any(line.startswith("connect") and str(port) in line for line in attempts), (
                attempts
            )
            assert b"could not connect" in stdout
        else:
            assert attempts == [], f"{name} reached for the network: {attempts}"
    assert sorted(p.suffix for p in (tmp_path / "reports").iterdir()) == [".html", ".json", ".xlsx"]


def test_planning_in_process_with_sockets_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same in this process, with the history option and every report format too."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[:2]))
        raise ConnectionRefusedError("network access is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    snapshots = []
    for month, size in (("01", "3"), ("02", "3.5"), ("03", "4")):
        path = tmp_path / f"environments-2026-{month}-01.csv"
        path.write_text(f"name,type,dataverse_database_gb\nCE,dataverse_production,{size}\n")
        snapshots += ["--history", str(path)]
    runs = [
        ["forecast", *INPUTS, *AS_OF, *snapshots, "--format", "markdown"],
        ["forecast", *INPUTS, *AS_OF, "--format", "table"],
        ["report", *INPUTS, *AS_OF, "--out", str(tmp_path / "reports")],
        ["whatif", *INPUTS, *AS_OF, "--link", "CONTOSO-UAT", "--format", "json"],
        ["rules", "list"],
    ]
    for args in runs:
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, (args, result.stderr)
    assert attempts == []
