"""The live integration check against a real HTTP server on 127.0.0.1 that answers like the API."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from loopback import (
    PROXY_VARIABLES,
    LoopbackServer,
    Reply,
    drip,
    drip_headers,
    endless_chunks,
    gzip_bomb,
    huge_body,
    huge_undeclared_body,
    nested,
)

from planner.errors import InputError
from planner.live.http import parse_retry_after
from planner.verify.dataverse import (
    API_PATH,
    CONTRACT_KEYS,
    VERIFY_COLUMNS,
    VerifyResult,
    check_integration,
    exit_status,
    is_not_integrated_message,
    render_json,
    render_table,
    verify_inventory,
)

TOKEN = "eyJ0eXAiOiJKV1Qi.s3cr3t-payload.SIGNATURE-never-shown"

LINKED_BODY = {
    "@odata.context": "https://org.example/api/data/v9.1/$metadata#Microsoft.Dynamics.CRM."
    "RetrieveFinanceAndOperationsIntegrationDetailsResponse",
    "Url": "https://contoso-prod.operations.dynamics.com",
    "TenantId": "11111111-2222-3333-4444-555555555555",
    "Id": "66666666-7777-8888-9999-000000000000",
}
NOT_INTEGRATED = {
    "error": {
        "code": "0x80048d0b",
        "message": "Dataverse instance isn't integrated with finance and operations.",
    }
}


@pytest.fixture
def dataverse(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with LoopbackServer() as server:
        server.script(Reply(200, LINKED_BODY))
        yield server


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def run(server: LoopbackServer, *replies: Reply, **options: Any) -> VerifyResult:
    server.script(*replies)
    options.setdefault("sleep", Sleeps())
    options.setdefault("timeout", 2.0)
    return check_integration(server.url, TOKEN, **options)


def assert_no_token(result: VerifyResult) -> None:
    for text in (repr(result), str(result), render_json(result), render_table(result)):
        assert TOKEN not in text
        assert "s3cr3t" not in text


# ------------------------------------------------------------------------------ linked


def test_linked_answer_and_request_shape(dataverse: LoopbackServer) -> None:
    result = run(dataverse, Reply(200, LINKED_BODY))
    assert result.status == "linked"
    assert result.finance_operations_url == LINKED_BODY["Url"]
    assert result.tenant_id == LINKED_BODY["TenantId"]
    assert result.environment_id == LINKED_BODY["Id"]
    assert result.error_code is None
    assert result.http_status == 200
    assert exit_status(result) == 0

    [seen] = dataverse.requests
    assert seen.path == API_PATH == "/api/data/v9.1/RetrieveFinanceAndOperationsIntegrationDetails"
    headers = {k.lower(): v for k, v in seen.headers.items()}
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["accept"] == "application/json"
    assert headers["odata-maxversion"] == "4.0"
    assert headers["odata-version"] == "4.0"
    assert_no_token(result)


def test_trailing_slash_is_normalised(dataverse: LoopbackServer) -> None:
    dataverse.script(Reply(200, LINKED_BODY))
    result = check_integration(dataverse.url + "//", TOKEN, sleep=Sleeps())
    assert result.status == "linked"
    assert dataverse.requests[0].path == API_PATH


def test_odata_wrapped_body_is_accepted(dataverse: LoopbackServer) -> None:
    wrapped = {"@odata.context": "x", "value": [{k: v for k, v in LINKED_BODY.items()}]}
    assert run(dataverse, Reply(200, wrapped)).status == "linked"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("<html>sign in</html>", "not JSON"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        ([1, 2], "not a JSON object"),
        ({"TenantId": "t", "Id": "i"}, "Url"),
        ({"Url": "   ", "TenantId": "t", "Id": "i"}, "Url"),
        ({"Url": "https://x", "TenantId": 5, "Id": "i"}, "TenantId"),
    ],
)
def test_malformed_success_bodies_are_unknown(
    dataverse: LoopbackServer, body: Any, fragment: str
) -> None:
    result = run(dataverse, Reply(200, body))
    assert result.status == "unknown"
    assert fragment in (result.message or "")
    assert exit_status(result) == 3


# ------------------------------------------------------------------------------ not linked


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (400, "0x80048d0b", "Dataverse instance isn't integrated with finance and operations."),
        (500, "0x80048d0b", "Dataverse instance isn't integrated with finance and operations."),
        (400, "0x80048D0B", "Dataverse instance isn\u2019t integrated with Finance and Operations"),
        (400, "0x80048d0b", "The Dataverse instance is not integrated with finance and operations"),
        (400, "0x80048d0b", "  DATAVERSE INSTANCE ISN'T  INTEGRATED WITH FINANCE AND OPERATIONS. "),
    ],
)
def test_not_linked_needs_code_and_message(
    dataverse: LoopbackServer, status: int, code: str, message: str
) -> None:
    result = run(dataverse, Reply(status, {"error": {"code": code, "message": message}}))
    assert result.status == "not_linked"
    assert result.error_code == code
    assert result.finance_operations_url is None
    assert result.http_status == status
    assert exit_status(result) == 0


def test_same_code_with_another_message_is_unknown(dataverse: LoopbackServer) -> None:
    body = {"error": {"code": "0x80048d0b", "message": "Something else went wrong."}}
    result = run(dataverse, Reply(400, body))
    assert result.status == "unknown"
    assert result.error_code == "0x80048d0b"
    assert "Something else went wrong" in (result.message or "")
    assert exit_status(result) == 3


def test_same_message_with_another_code_is_unknown(dataverse: LoopbackServer) -> None:
    body = {"error": {"code": "0x80040216", "message": NOT_INTEGRATED["error"]["message"]}}
    assert run(dataverse, Reply(400, body)).status == "unknown"


def test_code_without_message_is_unknown(dataverse: LoopbackServer) -> None:
    assert run(dataverse, Reply(400, {"error": {"code": "0x80048d0b"}})).status == "unknown"


def test_message_matching_is_about_meaning() -> None:
    assert is_not_integrated_message(
        "Dataverse instance isn`t integrated with finance & operations"
    )
    assert not is_not_integrated_message(
        "Dataverse instance is integrated with finance and operations"
    )
    assert not is_not_integrated_message("Dataverse instance isn't integrated with Sales")
    assert not is_not_integrated_message("")


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("status", [401, 403])
def test_refused_token_is_unknown(dataverse: LoopbackServer, status: int) -> None:
    body = {"error": {"code": "0x80072560", "message": f"bad token {TOKEN}"}}
    result = run(dataverse, Reply(status, body, {"WWW-Authenticate": "Bearer"}))
    assert result.status == "unknown"
    assert "token was refused" in (result.message or "")
    assert str(status) in (result.message or "")
    assert_no_token(result)


def test_server_error_is_unknown(dataverse: LoopbackServer) -> None:
    body = {"error": {"code": "0x80040265", "message": "An unexpected error occurred."}}
    result = run(dataverse, Reply(500, body))
    assert result.status == "unknown"
    assert result.error_code == "0x80040265"
    assert result.http_status == 500


def test_error_without_json_is_unknown(dataverse: LoopbackServer) -> None:
    result = run(dataverse, Reply(502, "Bad gateway"))
    assert result.status == "unknown"
    assert "502" in (result.message or "")


def test_redirect_is_not_followed(dataverse: LoopbackServer) -> None:
    result = run(dataverse, Reply(302, "", {"Location": "https://login.example/"}))
    assert result.status == "unknown"
    assert len(dataverse.requests) == 1


# ------------------------------------------------------------------------------ retries


def test_429_then_200_honours_retry_after(dataverse: LoopbackServer) -> None:
    sleeps = Sleeps()
    result = run(
        dataverse,
        Reply(429, {"error": {"code": "0x80072322", "message": "throttled"}}, {"Retry-After": "2"}),
        Reply(200, LINKED_BODY),
        sleep=sleeps,
        timeout=10.0,
    )
    assert result.status == "linked"
    assert sleeps.calls == [2.0]
    assert len(dataverse.requests) == 2


def test_503_forever_is_unknown_after_bounded_retries(dataverse: LoopbackServer) -> None:
    sleeps = Sleeps()
    result = run(
        dataverse,
        Reply(503, "busy", {"Retry-After": "120"}),
        sleep=sleeps,
        max_retries=3,
        timeout=100.0,  # the budget allows the (pretend) waits
    )
    assert result.status == "unknown"
    assert result.http_status == 503
    assert sleeps.calls == [30.0, 30.0, 30.0]  # each wait capped
    assert len(dataverse.requests) == 4  # first try plus three retries
    assert exit_status(result) == 3


def test_retry_without_advice_backs_off(dataverse: LoopbackServer) -> None:
    sleeps = Sleeps()
    result = run(dataverse, Reply(429, "slow down"), sleep=sleeps, max_retries=2, timeout=10.0)
    assert result.status == "unknown"
    assert sleeps.calls == [1.0, 2.0]


def test_no_wait_beyond_the_time_budget(dataverse: LoopbackServer) -> None:
    """The timeout is the budget of the whole check: a wait that would pass it is not made."""
    sleeps = Sleeps()
    result = run(dataverse, Reply(503, "busy", {"Retry-After": "5"}), sleep=sleeps, timeout=2.0)
    assert result.status == "unknown" and sleeps.calls == []
    assert len(dataverse.requests) == 1


def test_no_retries_when_max_retries_is_zero(dataverse: LoopbackServer) -> None:
    sleeps = Sleeps()
    result = run(dataverse, Reply(429, "", {"Retry-After": "1"}), sleep=sleeps, max_retries=0)
    assert result.status == "unknown"
    assert sleeps.calls == []


def test_retry_after_as_http_date() -> None:
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=7), usegmt=True)
    assert parse_retry_after(later, now=now) == 7.0
    earlier = format_datetime(now - timedelta(seconds=7), usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0
    assert parse_retry_after("5", now=now) == 5.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("-3", now=now) is None
    assert parse_retry_after("\u0665", now=now) is None  # int() reads it as 5; no server sends it
    assert parse_retry_after("1_0", now=now) is None
    assert parse_retry_after(None) is None


# ------------------------------------------------------------------------------ transport


def test_slow_answer_times_out(dataverse: LoopbackServer) -> None:
    started = time.monotonic()
    result = run(dataverse, Reply(200, LINKED_BODY, delay=1.5), timeout=0.3)
    assert time.monotonic() - started < 1.2
    assert result.status == "unknown"
    assert "timed out" in (result.message or "")


def test_connection_refused_is_unknown() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = check_integration(f"http://127.0.0.1:{port}", TOKEN, timeout=1.0, sleep=Sleeps())
    assert result.status == "unknown"
    assert "could not connect" in (result.message or "")


def _no_network() -> httpx.Client:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"network call made to {request.url}")

    return httpx.Client(transport=httpx.MockTransport(refuse))


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with _no_network() as client, pytest.raises(InputError) as caught:
        check_integration("http://contoso.crm.dynamics.com", TOKEN, client=client)
    text = str(caught.value)
    assert "http://contoso.crm.dynamics.com" in text
    assert "https" in text
    assert TOKEN not in text


@pytest.mark.parametrize(
    "url",
    [
        "",
        "contoso.crm.dynamics.com",
        "ftp://contoso.crm.dynamics.com",
        "https://",
        "https://contoso.crm.dynamics.com:notaport",
        "https://contoso.crm.dynamics.com/?x=1",
        "https://contoso.crm.dynamics.com/api/data/v9.2",
        "https://user:pw@contoso.crm.dynamics.com",
        "https://contoso .crm.dynamics.com",
        "http://10.0.0.1",
        "http://localhost.example.com",
        "https://exa<mple.com",
        "https://a..b",
        "https://a.com:0",
        "https://xn--a.crm.dynamics.com",  # an A-label that is not valid punycode
        "https://xn--.crm.dynamics.com",
    ],
)
def test_bad_urls_raise_input_error_before_any_call(url: str) -> None:
    with _no_network() as client, pytest.raises(InputError) as caught:
        check_integration(url, TOKEN, client=client)
    assert "pw" not in str(caught.value)
    assert caught.value.expected


# ------------------------------------------------------------------------------ the token


def test_token_never_leaks(dataverse: LoopbackServer) -> None:
    echo = {"error": {"code": "0x80048d0b", "message": f"Authorization Bearer {TOKEN} rejected"}}
    scenarios = [
        Reply(200, LINKED_BODY),
        Reply(200, {"Url": f"https://x/{TOKEN}", "TenantId": "t", "Id": "i"}),
        Reply(400, NOT_INTEGRATED),
        Reply(400, echo),
        Reply(401, echo),
        Reply(500, echo),
        Reply(302, "", {"Location": f"https://login.example/?t={TOKEN}"}),
        Reply(503, "busy", {"Retry-After": "0"}),
        Reply(200, f"<html>{TOKEN}</html>"),
    ]
    for reply in scenarios:
        result = run(dataverse, reply)
        assert_no_token(result)
        assert all(TOKEN not in str(v) for v in result.to_dict(include_http_status=True).values())


def test_bad_token_error_does_not_echo_it() -> None:
    secret = "abc def-s3cr3t"
    with _no_network() as client, pytest.raises(InputError) as caught:
        check_integration("https://contoso.crm.dynamics.com", secret, client=client)
    assert "s3cr3t" not in str(caught.value) and "s3cr3t" not in repr(caught.value)
    with _no_network() as client, pytest.raises(InputError):
        check_integration("https://contoso.crm.dynamics.com", "  ", client=client)


def test_bearer_prefix_in_the_variable_is_tolerated(dataverse: LoopbackServer) -> None:
    dataverse.script(Reply(200, LINKED_BODY))
    result = check_integration(dataverse.url, f"Bearer {TOKEN}\n", sleep=Sleeps())
    assert result.status == "linked"
    assert dataverse.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


# ------------------------------------------------------------------------------ inventories


def test_verify_inventory_is_pure_and_dedupes() -> None:
    calls: list[tuple[str, str]] = []

    def fake_check(org_url: str, token: str, **options: Any) -> VerifyResult:
        calls.append((org_url, token))
        if "prod" in org_url:
            return VerifyResult("linked", finance_operations_url="https://fo", message="ok")
        return VerifyResult("not_linked", error_code="0x80048d0b", message="no")

    rows = [
        {"name": "PROD", "org_url": "https://prod.crm.dynamics.com/"},
        {"name": "UAT", "org_url": "https://uat.crm.dynamics.com"},
        {"name": "DEV", "org_url": ""},
        {"name": "CHE", "org_url": float("nan")},
        {"name": "PROD again", "org_url": "https://PROD.crm.dynamics.com"},
    ]
    out = verify_inventory(rows, lambda url: f"tok-for-{url}", check=fake_check, timeout=1.0)
    assert [r["name"] for r in out] == ["PROD", "UAT", "DEV", "CHE", "PROD again"]
    assert [r["power_platform_verified"] for r in out] == ["linked", "not_linked", "", "", "linked"]
    assert out[0]["finance_operations_url"] == "https://fo"
    assert out[1]["finance_operations_url"] == ""
    assert all(set(VERIFY_COLUMNS) <= set(r) for r in out)
    assert calls == [
        ("https://prod.crm.dynamics.com", "tok-for-https://prod.crm.dynamics.com"),
        ("https://uat.crm.dynamics.com", "tok-for-https://uat.crm.dynamics.com"),
    ]
    assert "power_platform_verified" not in rows[0]  # inputs untouched


def test_verify_inventory_names_the_bad_row() -> None:
    rows = [
        {"name": "A", "org_url": "https://a.crm.dynamics.com"},
        {
            "name": "B",
            "org_url": "http://b.crm.dynamics.com",
            "source": "inv.csv",
            "location": "row 3",
        },
    ]
    with pytest.raises(InputError) as caught:
        verify_inventory(rows, lambda url: TOKEN, check=lambda *a, **k: VerifyResult("linked"))
    assert caught.value.file == "inv.csv"
    assert caught.value.location == "row 3, column org_url"


def test_verify_inventory_against_the_server(dataverse: LoopbackServer) -> None:
    dataverse.script(Reply(200, LINKED_BODY), Reply(400, NOT_INTEGRATED))
    other = dataverse.url.replace("127.0.0.1", "localhost")
    rows = [{"name": "PROD", "org_url": dataverse.url}, {"name": "UAT", "org_url": other}]
    out = verify_inventory(
        rows,
        lambda url: TOKEN,
        sleep=Sleeps(),
        timeout=2.0,
        allowed_hosts=("127.0.0.1", "localhost"),
    )
    assert [r["power_platform_verified"] for r in out] == ["linked", "not_linked"]
    assert out[0]["finance_operations_url"] == LINKED_BODY["Url"]


# ------------------------------------------------------------------------------ output


def test_contract_json_and_table() -> None:
    result = VerifyResult(
        "linked",
        finance_operations_url="https://fo",
        tenant_id="t",
        environment_id="e",
        message="linked",
        http_status=200,
    )
    data = json.loads(render_json(result))
    assert tuple(data) == CONTRACT_KEYS
    assert set(data) == {
        "status",
        "finance_operations_url",
        "tenant_id",
        "environment_id",
        "error_code",
        "message",
    }
    assert data["status"] == "linked" and data["error_code"] is None
    assert result.to_dict(include_http_status=True)["http_status"] == 200

    table = render_table(result)
    lines = table.splitlines()
    assert lines[0].split() == ["Status", "linked"]
    label_width = len("Finance and operations URL")
    assert all(line[label_width : label_width + 2] == "  " for line in lines)
    assert all(line[label_width + 2] != " " for line in lines)  # values share one column
    assert "Error code" in table and " -" in table

    assert exit_status(result) == 0
    assert exit_status(VerifyResult("not_linked")) == 0
    assert exit_status(VerifyResult("unknown")) == 3


# ------------------------------------------------------------------------------ hostile servers


@pytest.mark.parametrize(
    ("stream", "fragment"),
    [
        (huge_body, "larger than 8 MB"),
        (huge_undeclared_body, "larger than 8 MB"),
        (endless_chunks, "larger than 8 MB"),
        (gzip_bomb, "larger than 8 MB"),
    ],
    ids=["declared", "undeclared", "endless-chunked", "gzip-bomb"],
)
def test_oversized_answers_are_cut_off(
    dataverse: LoopbackServer, stream: Any, fragment: str
) -> None:
    result = run(dataverse, Reply(stream=stream), timeout=20.0)
    assert result.status == "unknown"
    assert fragment in (result.message or "")


def test_a_dripping_server_is_cut_off_by_the_total_budget(dataverse: LoopbackServer) -> None:
    """Each byte comes quickly, the whole answer would take a minute: the budget ends it."""
    result = run(dataverse, Reply(stream=drip(json.dumps(LINKED_BODY).encode())), timeout=1.0)
    assert result.status == "unknown"
    assert "within 1 s" in (result.message or "")


def test_headers_dripped_without_end_are_cut_off_by_the_total_budget(
    dataverse: LoopbackServer,
) -> None:
    """Every header byte comes quickly and the headers never end: the budget ends them too."""
    result = run(dataverse, Reply(stream=drip_headers(0.05)), timeout=1.0)
    assert result.status == "unknown"
    assert "within 1 s" in (result.message or "")


def test_deeply_nested_json_is_unknown(dataverse: LoopbackServer) -> None:
    deep = nested(100_000)
    for status in (200, 400):
        result = run(dataverse, Reply(status, deep))
        assert result.status == "unknown", status
    result = run(dataverse, Reply(200, deep))
    assert "nested too deeply" in (result.message or "")


def test_server_text_is_made_harmless(dataverse: LoopbackServer) -> None:
    """Escape sequences, OSC-8 links, bidi overrides and the token never reach the output."""
    nasty = (
        "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ \x1b[2J \u202e gnp.exe "
        f"\x9b31m {TOKEN} {TOKEN.split('.')[1]}"
    )
    replies = [
        Reply(400, {"error": {"code": f"0x1 {nasty}", "message": nasty}}),
        Reply(500, {"error": {"code": TOKEN, "message": "x"}}),
        Reply(200, {"Url": nasty, "TenantId": nasty, "Id": nasty}),
        Reply(302, "", {"Location": nasty.encode("utf-8").decode("latin-1")}),
    ]
    for reply in replies:
        result = run(dataverse, reply)
        for text in (
            render_table(result),
            render_json(result),
            *map(str, result.to_dict().values()),
        ):
            assert_no_token(result)
            assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text, text
            assert "s3cr3t" not in text


def test_duplicate_keys_in_an_answer_are_not_guessed(dataverse: LoopbackServer) -> None:
    body = b'{"Url": "https://a.example", "Url": "https://b.example", "TenantId": "t", "Id": "i"}'
    result = run(dataverse, Reply(200, body))
    assert result.status == "unknown"


def test_inventory_rows_of_hosts_not_allowed_are_never_contacted(
    dataverse: LoopbackServer,
) -> None:
    rows = [
        {"name": "CE", "org_url": dataverse.url},
        {"name": "EVIL", "org_url": "https://attacker.example"},
        {"name": "LOOKALIKE", "org_url": "https://contoso.crm.dynamics.com.attacker.example"},
    ]
    asked: list[str] = []

    def token_for(url: str) -> str:
        asked.append(url)
        return TOKEN

    dataverse.script(Reply(200, LINKED_BODY))
    out = verify_inventory(
        rows, token_for, sleep=Sleeps(), timeout=2.0, allowed_hosts=("127.0.0.1",)
    )
    assert asked == [dataverse.url]
    assert len(dataverse.requests) == 1
    assert [row["power_platform_verified"] for row in out] == ["linked", "", ""]
    assert out[1]["verify_message"].startswith("not checked: attacker.example is not an allowed")
    # The default list: Dataverse domains only, not even loopback.
    asked.clear()
    out = verify_inventory(rows, token_for, sleep=Sleeps(), timeout=2.0)
    assert asked == [] and len(dataverse.requests) == 1
