"""capplan collect against a real loopback server: paging, retries, refusals, leaks."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from loopback import LoopbackServer, Reply, drip, drip_headers, gzip_bomb, nested

from planner import ingest
from planner.cli.main import cli
from planner.live import collect
from planner.live.http import MAX_ITEMS, parse_retry_after

from .microsoft import (
    BAP_PATH,
    CAPACITY_PATH,
    GRAPH_PATH,
    SAMPLES,
    TOKEN,
    Behaviour,
    microsoft,
)

TOKEN_ENV = "CAPPLAN_TEST_TOKEN"


def run_collect(base: str, out: Path, *extra: str, token: str = TOKEN) -> Result:
    args = [
        "--debug",
        "collect",
        "--out",
        str(out),
        "--token-env",
        TOKEN_ENV,
        "--graph-url",
        base,
        "--bap-url",
        base,
        "--powerplatform-url",
        base,
        *extra,
    ]
    return CliRunner().invoke(cli, args, env={TOKEN_ENV: token})


def assert_no_leak(result: Result, out: Path) -> None:
    assert TOKEN not in result.stdout
    assert TOKEN not in result.stderr
    for path in out.rglob("*") if out.exists() else []:
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_paged_answers_and_a_429_give_a_complete_snapshot(tmp_path: Path) -> None:
    behaviour = Behaviour(
        failures={CAPACITY_PATH: [Reply(429, b"", {"Retry-After": "0"}), Reply(503, b"")]}
    )
    out = tmp_path / "snapshots"
    with microsoft(behaviour) as server:
        result = run_collect(server.url, out, "--max-wait", "5")
    assert result.exit_code == 0, result.stderr
    (folder,) = [p for p in out.iterdir()]
    assert sorted(p.name for p in folder.iterdir()) == [
        "environments.json",
        "manifest.json",
        "subscribedSkus.json",
        "tenantCapacity.json",
    ]
    manifest = json.loads((folder / "manifest.json").read_text())
    entries = {e["file"]: e for e in manifest["files"]}
    assert entries["subscribedSkus.json"]["count"] == 12
    assert entries["subscribedSkus.json"]["pages"] == 2
    assert entries["environments.json"]["count"] == 8
    assert entries["environments.json"]["pages"] == 2
    assert entries["tenantCapacity.json"]["count"] == 7
    for name, entry in entries.items():
        data = (folder / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["endpoint"].startswith(server.url)
    assert manifest["date"] == folder.name and manifest["collected_at"].startswith(folder.name)
    # Every request carried the token, and the 429 and 503 were retried.
    paths = [seen.path.split("?")[0] for seen in server.requests]
    assert paths.count(CAPACITY_PATH) == 3
    assert paths.count(GRAPH_PATH) == 2 and paths.count(BAP_PATH) == 2
    assert f"capplan forecast {folder}/" in result.stdout
    assert "GET " in result.stderr  # --debug shows the calls, never the token
    assert_no_leak(result, out)

    # The snapshot plans exactly like the sample files given one by one.
    runner = CliRunner()
    flags = ["--as-of", "2026-12", "--format", "json"]
    from_folder = runner.invoke(cli, ["forecast", str(folder), *flags])
    one_by_one = runner.invoke(
        cli,
        [
            "forecast",
            str(SAMPLES / "licenses-graph.json"),
            str(SAMPLES / "environments-ppac.json"),
            str(SAMPLES / "tenant-capacity.json"),
            *flags,
        ],
    )
    assert from_folder.exit_code == 0, from_folder.stderr
    planned, expected = json.loads(from_folder.stdout), json.loads(one_by_one.stdout)
    for key in ("capacity", "entitlement", "consumption", "forecast", "shortfalls"):
        assert planned[key] == expected[key], key
    assert planned["reconciliation"]["pools"] == expected["reconciliation"]["pools"]


def test_the_snapshot_folder_is_shown_as_escapes(tmp_path: Path) -> None:
    """The lines saying what was written, and the commands to run next, name the --out folder:
    an escape sequence in its name is shown, not acted on."""
    out = tmp_path / "snapshots E\x1b[31mR\u202eX\x9b1m"
    with microsoft(Behaviour()) as server:
        result = CliRunner().invoke(
            cli,
            [
                *("collect", "--out", str(out), "--token-env", TOKEN_ENV),
                *("--graph-url", server.url, "--bap-url", server.url),
                *("--powerplatform-url", server.url),
            ],
            env={TOKEN_ENV: TOKEN},
            color=True,
        )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("wrote ") == 4 and "Next:" in result.stdout
    assert "snapshots E\\x1b[31mR\\u202eX\\x9b1m" in result.stdout
    for raw in ("\x1b", "\x9b", "\u202e"):
        assert raw not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("status", "permission"),
    [(401, "LicenseAssignment.Read.All"), (403, "LicenseAssignment.Read.All")],
)
def test_a_refused_call_names_the_permission(tmp_path: Path, status: int, permission: str) -> None:
    body = json.dumps({"error": {"code": "Forbidden", "message": f"token {TOKEN} refused"}})
    behaviour = Behaviour(failures={GRAPH_PATH: [Reply(status, body)]})
    out = tmp_path / "snapshots"
    with microsoft(behaviour) as server:
        result = run_collect(server.url, out)
    assert result.exit_code == 2
    assert permission in result.stderr and f"HTTP {status}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() or not any(out.iterdir())
    assert_no_leak(result, out)


def test_the_admin_api_refusal_names_its_role(tmp_path: Path) -> None:
    behaviour = Behaviour(failures={BAP_PATH: [Reply(403, {})]})
    with microsoft(behaviour) as server:
        result = run_collect(server.url, tmp_path / "out")
    assert result.exit_code == 2
    assert "Power Platform administrator" in result.stderr


def test_a_server_error_leaves_no_snapshot(tmp_path: Path) -> None:
    body = json.dumps({"error": {"code": "InternalError", "message": f"echo Bearer {TOKEN}"}})
    behaviour = Behaviour(failures={CAPACITY_PATH: [Reply(500, body)]})
    out = tmp_path / "snapshots"
    with microsoft(behaviour) as server:
        result = run_collect(server.url, out)
    assert result.exit_code == 3
    assert "HTTP 500" in result.stderr and "InternalError" in result.stderr
    assert [p.name for p in out.iterdir()] == [] if out.exists() else True
    assert_no_leak(result, out)


def test_a_body_that_is_not_json(tmp_path: Path) -> None:
    page = b"<html><body>Sign in to continue</body></html>"
    behaviour = Behaviour(failures={BAP_PATH: [Reply(200, page, {"Content-Type": "text/html"})]})
    with microsoft(behaviour) as server:
        result = run_collect(server.url, tmp_path / "out")
    assert result.exit_code == 3
    assert "not JSON" in result.stderr and "<html>" in result.stderr


def test_a_slow_answer_times_out(tmp_path: Path) -> None:
    behaviour = Behaviour(slow={GRAPH_PATH: 2.0})
    with microsoft(behaviour) as server:
        result = run_collect(server.url, tmp_path / "out", "--timeout", "0.3")
    assert result.exit_code == 3
    assert "no complete answer within 0.3 s" in result.stderr


def test_throttling_that_does_not_stop_is_bounded(tmp_path: Path) -> None:
    throttled = [Reply(429, b"", {"Retry-After": "120"})] * 5
    behaviour = Behaviour(failures={GRAPH_PATH: list(throttled)})
    with microsoft(behaviour) as server:
        result = run_collect(server.url, tmp_path / "out", "--max-wait", "1")
    assert result.exit_code == 3
    assert "still throttled (HTTP 429)" in result.stderr
    assert len(server.requests) == 1  # the advised wait alone exceeds the bound


def test_an_answer_capplan_cannot_read_is_refused(tmp_path: Path) -> None:
    behaviour = Behaviour()
    behaviour.capacity = {"tenantCapacities": [{"capacityType": "Database"}]}
    out = tmp_path / "snapshots"
    with microsoft(behaviour) as server:
        result = run_collect(server.url, out)
    assert result.exit_code == 3
    assert "capplan cannot read" in result.stderr and "capacityUnits" in result.stderr
    assert not any(out.iterdir())  # the staging folder is gone too


def test_answers_over_the_input_size_limit_are_kept_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The admin list of a tenant of tens of thousands of environments is over the default
    input size limit (here 100 bytes, to keep the answers small): collect still checks and keeps
    it, and the commands it suggests raise the limit."""
    monkeypatch.setattr(collect, "DEFAULT_MAX_BYTES", 100)
    load_inputs = ingest.load_inputs

    def with_a_small_default(*args: object, **options: object) -> object:
        options.setdefault("max_bytes", 100)
        return load_inputs(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "load_inputs", with_a_small_default)
    out = tmp_path / "snapshots"
    with microsoft(Behaviour()) as server:
        result = run_collect(server.url, out)
    assert result.exit_code == 0, result.stderr
    (folder,) = out.iterdir()
    assert f"capplan forecast {folder}/ --max-input-mb 1\n" in result.stdout
    assert f"capplan reconcile {folder}/ --max-input-mb 1\n" in result.stdout


def test_plain_http_only_to_loopback(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["collect", "--out", str(tmp_path), "--token-env", TOKEN_ENV, "--graph-url", "http://x.io"],
        env={TOKEN_ENV: TOKEN},
    )
    assert result.exit_code == 2
    assert "plain http to x.io" in result.stderr


def test_a_host_name_that_is_not_valid_punycode_is_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "collect",
            "--out",
            str(tmp_path),
            "--token-env",
            TOKEN_ENV,
            "--graph-url",
            "https://xn--a.io",
        ],
        env={TOKEN_ENV: TOKEN},
    )
    assert result.exit_code == 2, result.output
    assert "--graph-url 'https://xn--a.io' has a host name that is not valid" in result.stderr


# ------------------------------------------------------------------------------ where tokens go


@pytest.fixture
def attacker() -> Iterator[LoopbackServer]:
    """Another server on this machine; a token must never reach it unless allowed."""
    with LoopbackServer() as server:
        yield server


def nowhere(out: Path) -> bool:
    return not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1"], ids=["other-host", "other-port"])
def test_a_next_link_elsewhere_is_refused_before_the_token_goes(
    tmp_path: Path, attacker: LoopbackServer, name: str
) -> None:
    # The base URL given opens its own origin only: not another name for the machine, and not
    # another port of the same address.
    behaviour = Behaviour()
    behaviour.graph["@odata.nextLink"] = f"{attacker.url_as(name)}{GRAPH_PATH}?$skiptoken=x"
    out = tmp_path / "snapshots"
    with microsoft(behaviour) as server:
        result = run_collect(server.url, out)
    assert result.exit_code == 2, result.stderr
    place = attacker.url_as(name).removeprefix("http://")
    assert f"the next-page link goes to {place}, which is not an allowed host" in result.stderr
    assert "--allow-host" in result.stderr and "Traceback" not in result.stderr
    assert attacker.requests == []
    graph = [seen for seen in server.requests if seen.path.startswith(GRAPH_PATH)]
    assert len(graph) == 2  # both pages of the server's own paging were read, then it stopped
    assert nowhere(out)
    assert_no_leak(result, out)


def test_an_answer_that_echoes_the_token_is_saved_without_it(tmp_path: Path) -> None:
    """The token (whole or a part of it) never reaches the disk, and characters a terminal
    acts on are saved as JSON escapes."""
    behaviour = Behaviour()
    first = behaviour.graph["value"][0]
    first["accountName"] = f"echo {TOKEN} {TOKEN.split('.')[1]} \u009b31m \u202e"
    out = tmp_path / "snapshots"
    with microsoft(behaviour) as server:
        result = run_collect(server.url, out)
    assert result.exit_code == 0, result.stderr
    assert_no_leak(result, out)
    saved = next(out.glob("*/subscribedSkus.json")).read_text(encoding="utf-8")
    assert "echo *** *** \\u009b31m \\u202e" in saved
    assert "\u009b" not in saved and "\u202e" not in saved


def test_a_next_link_back_to_a_page_already_read_stops(tmp_path: Path) -> None:
    """A loop of pages would be read until the run's time budget ends: it is stopped."""
    behaviour = Behaviour()
    out = tmp_path / "snapshots"
    with microsoft(behaviour) as server:
        behaviour.graph["@odata.nextLink"] = (
            f"{server.url}{GRAPH_PATH}?$skiptoken=page2&api-version=x"
        )
        result = run_collect(server.url, out)
        graph = [seen for seen in server.requests if seen.path.startswith(GRAPH_PATH)]
    assert result.exit_code == 3, result.stderr
    assert "the next-page link of page 2 of" in result.stderr
    assert "points back to a page already read; stopped" in result.stderr
    assert len(graph) == 2
    assert nowhere(out)


def test_an_empty_page_with_a_next_link_stops(tmp_path: Path) -> None:
    """Empty pages that always link on (each to a new address) would never end."""
    behaviour = Behaviour()
    out = tmp_path / "snapshots"
    with microsoft(behaviour) as server:
        empty = Reply(200, {"value": [], "@odata.nextLink": f"{server.url}{GRAPH_PATH}?p=2"})
        behaviour.failures[GRAPH_PATH] = [empty]
        result = run_collect(server.url, out)
    assert result.exit_code == 3, result.stderr
    assert "page 1 of" in result.stderr
    assert "has no items but links to a next page; stopped" in result.stderr
    assert nowhere(out)


def test_pages_of_more_items_than_capplan_reads_stop(tmp_path: Path) -> None:
    """Every page is under the size cap; all of them together would not fit in memory."""
    behaviour = Behaviour()
    out = tmp_path / "snapshots"
    half = MAX_ITEMS // 2 + 1
    with microsoft(behaviour) as server:
        link = f"{server.url}{GRAPH_PATH}?p="
        behaviour.failures[GRAPH_PATH] = [
            Reply(200, {"value": [{}] * half, "@odata.nextLink": f"{link}2"}),
            Reply(200, {"value": [{}] * half, "@odata.nextLink": f"{link}3"}),
        ]
        result = run_collect(server.url, out)
    assert result.exit_code == 3, result.stderr
    assert f"hold more than {MAX_ITEMS:,} items; stopped" in result.stderr
    assert nowhere(out)


def test_pages_of_more_bytes_than_capplan_holds_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each page is under the size cap, and holds few items; together they hold more bytes
    than a list may (memory grew past 3 GB before). The cap is lowered here to keep the
    test small."""
    from planner.live import http

    monkeypatch.setattr(http, "MAX_LIST_BYTES", 200_000)
    behaviour = Behaviour()
    out = tmp_path / "snapshots"
    with microsoft(behaviour) as server:
        link = f"{server.url}{GRAPH_PATH}?p="
        behaviour.failures[GRAPH_PATH] = [
            Reply(
                200, {"value": [{"skuPartNumber": "x" * 90_000}], "@odata.nextLink": f"{link}{n}"}
            )
            for n in range(2, 6)
        ]
        result = run_collect(server.url, out)
    assert result.exit_code == 3, result.stderr
    assert "hold more than 200,000 bytes; stopped" in result.stderr
    assert nowhere(out)


def test_a_redirect_elsewhere_is_refused_before_the_token_goes(
    tmp_path: Path, attacker: LoopbackServer
) -> None:
    moved = Reply(302, b"", {"Location": f"{attacker.url_as('localhost')}/collect?token=yes"})
    behaviour = Behaviour(failures={BAP_PATH: [moved]})
    out = tmp_path / "snapshots"
    with microsoft(behaviour) as server:
        result = run_collect(server.url, out)
    assert result.exit_code == 2, result.stderr
    place = attacker.url_as("localhost").removeprefix("http://")
    assert f"the redirect goes to {place}, which is not an allowed host" in result.stderr
    assert attacker.requests == []
    assert nowhere(out)
    assert_no_leak(result, out)


def test_a_redirect_within_the_base_url_is_followed(tmp_path: Path) -> None:
    behaviour = Behaviour()
    with microsoft(behaviour) as server:
        moved = Reply(307, b"", {"Location": f"{server.url}{CAPACITY_PATH}?moved=1"})
        behaviour.failures[CAPACITY_PATH] = [moved]
        result = run_collect(server.url, tmp_path)
    assert result.exit_code == 0, result.stderr
    capacity = [seen for seen in server.requests if seen.path.startswith(CAPACITY_PATH)]
    assert [seen.path.endswith("moved=1") for seen in capacity] == [False, True]
    assert all(seen.authorization == f"Bearer {TOKEN}" for seen in capacity)


def test_allow_host_lets_a_next_link_go_to_a_host_it_names(
    tmp_path: Path, attacker: LoopbackServer
) -> None:
    behaviour = Behaviour()
    skus = behaviour.graph["value"]
    behaviour.graph["@odata.nextLink"] = f"{attacker.url_as('localhost')}{GRAPH_PATH}?p=3"
    attacker.script(
        Reply(200, {"value": [{**skus[0], "skuId": "00000000-0000-0000-0000-0000000000aa"}]})
    )
    with microsoft(behaviour) as server:
        result = run_collect(server.url, tmp_path, "--allow-host", "localhost")
    assert result.exit_code == 0, result.stderr
    assert [seen.authorization for seen in attacker.requests] == [f"Bearer {TOKEN}"]
    (folder,) = tmp_path.iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    graph = next(e for e in manifest["files"] if e["file"] == "subscribedSkus.json")
    assert (graph["count"], graph["pages"]) == (len(skus) + 1, 3)


@pytest.mark.parametrize("pattern", ["*", "*.com", "a b", "*.co.uk", "*.gov.cn"])
def test_allow_host_patterns_that_allow_anyone_are_refused(tmp_path: Path, pattern: str) -> None:
    result = CliRunner().invoke(
        cli,
        ["collect", "--out", str(tmp_path), "--token-env", TOKEN_ENV, "--allow-host", pattern],
        env={TOKEN_ENV: TOKEN},
    )
    assert result.exit_code == 2
    assert "--allow-host" in result.stderr and len(result.stderr.strip().splitlines()) <= 2
    assert not any(tmp_path.iterdir())


# ------------------------------------------------------------------------------ what comes back


@pytest.mark.parametrize(
    ("reply", "fragment"),
    [
        (Reply(stream=gzip_bomb), "larger than 50 MB (on the wire or unpacked)"),
        (Reply(200, nested(100)), "nested more than 64 levels deep"),
        (Reply(200, b'{"value": [], "value": []}'), "the key 'value' appears twice"),
    ],
    ids=["gzip-bomb", "too-deep", "duplicate-key"],
)
def test_an_answer_past_the_caps_is_refused(tmp_path: Path, reply: Reply, fragment: str) -> None:
    behaviour = Behaviour(failures={BAP_PATH: [reply]})
    out = tmp_path / "snapshots"
    with microsoft(behaviour) as server:
        result = run_collect(server.url, out)
    assert result.exit_code == 3, result.stderr
    assert "Power Platform admin environment list" in result.stderr and fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert nowhere(out)


def test_a_dripping_answer_is_cut_off_at_the_timeout(tmp_path: Path) -> None:
    """Every byte comes quickly; the whole answer would take far longer than --timeout."""
    body = json.dumps({"tenantCapacities": []}).encode()
    behaviour = Behaviour(failures={CAPACITY_PATH: [Reply(stream=drip(body, 0.2))]})
    with microsoft(behaviour) as server:
        result = run_collect(server.url, tmp_path / "out", "--timeout", "0.5")
    assert result.exit_code == 3, result.stderr
    assert "no complete answer within 0.5 s" in result.stderr


def test_headers_dripped_without_end_are_cut_off_at_the_timeout(tmp_path: Path) -> None:
    """The headers never end, a byte at a time: --timeout bounds the wait for them too."""
    behaviour = Behaviour(failures={CAPACITY_PATH: [Reply(stream=drip_headers(0.05))]})
    with microsoft(behaviour) as server:
        result = run_collect(server.url, tmp_path / "out", "--timeout", "0.5")
    assert result.exit_code == 3, result.stderr
    assert "no complete answer within 0.5 s" in result.stderr


def test_an_existing_snapshot_of_the_day_is_kept(tmp_path: Path) -> None:
    with microsoft(Behaviour()) as server:
        first = run_collect(server.url, tmp_path)
        second = run_collect(server.url, tmp_path)
    assert first.exit_code == 0, first.stderr
    assert second.exit_code == 2 and "already exists" in second.stderr


def test_missing_token_variable(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["collect", "--out", str(tmp_path), "--token-env", "CAPPLAN_NOT_SET_ANYWHERE"]
    )
    assert result.exit_code == 2
    assert "CAPPLAN_NOT_SET_ANYWHERE" in result.stderr


def test_retry_after_values() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_scopes_and_a_graph_url_with_its_version() -> None:
    from planner.live.collect import ENDPOINTS, BaseUrls, endpoint_url

    urls = BaseUrls(graph="https://graph.microsoft.us/v1.0").checked()
    graph = next(e for e in ENDPOINTS if e.api == "graph")
    assert endpoint_url(urls, graph) == "https://graph.microsoft.us/v1.0/subscribedSkus"
    assert urls.scope("graph") == "https://graph.microsoft.us/.default"
    assert urls.scope("powerplatform") == "https://api.powerplatform.com/.default"
    assert urls.scope("bap") == "https://service.powerapps.com/.default"


def test_a_sovereign_cloud_names_the_admin_api_scope() -> None:
    from planner.errors import InputError
    from planner.live.collect import BaseUrls

    urls = BaseUrls(
        graph="https://graph.microsoft.us",
        bap="https://api.bap.example.us",
        bap_scope="https://service.powerapps.example.us/.default",
    ).checked()
    assert urls.scope("bap") == "https://service.powerapps.example.us/.default"
    with pytest.raises(InputError, match=r"--bap-scope 'service\.powerapps\.us' is not a token"):
        BaseUrls(bap_scope="service.powerapps.us").checked()
    for malformed in ("https://[x/.default", "https://:443/.default"):  # urlsplit refuses one
        with pytest.raises(InputError, match="is not a token scope"):
            BaseUrls(bap_scope=malformed).checked()


def test_tokens_per_api_from_the_environment() -> None:
    from planner.live.collect import tokens_from_environment

    tokens = tokens_from_environment("T", {"T": "all", "T_BAP": "Bearer admin-only"})
    assert tokens("graph", "s") == "all"
    assert tokens("bap", "s") == "admin-only"


def test_signing_in_without_the_live_extra_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Azure Identity made unimportable, whether or not it is installed here.
    monkeypatch.setitem(sys.modules, "azure.identity", None)
    result = CliRunner().invoke(cli, ["collect", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "pip install 'capplan[live]'" in result.stderr
    assert not any(tmp_path.iterdir())


def test_device_code_and_a_token_variable_are_one_too_many(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["collect", "--out", str(tmp_path), "--device-code", "--token-env", TOKEN_ENV]
    )
    assert result.exit_code == 2
    assert "--device-code and --token-env" in result.stderr


def test_a_killed_runs_partial_snapshot_is_cleared_and_a_live_runs_kept(tmp_path: Path) -> None:
    out = tmp_path / "snapshots"
    killed = out / f".2026-11-30.{2**22 + 77}-ab12cd{collect.PARTIAL_SUFFIX}"  # no such process
    alive = (
        out / f".2026-11-30.{os.getppid()}-ef34gh{collect.PARTIAL_SUFFIX}"
    )  # a process that exists
    for folder in (killed, alive):
        folder.mkdir(parents=True)
        (folder / "subscribedSkus.json").write_text("{}", encoding="utf-8")
    with microsoft(Behaviour()) as server:
        result = run_collect(server.url, out)
    assert result.exit_code == 0, result.stderr
    assert not killed.exists() and alive.exists()
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] != []
