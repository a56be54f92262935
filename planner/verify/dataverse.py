"""Live check of a Power Platform integration link (the library half of ``capplan verify``).

One GET to the Dataverse Web API function ``RetrieveFinanceAndOperationsIntegrationDetails``
tells whether a Dataverse environment is linked to a finance and operations environment. The
answer is one of three statuses:

* ``linked``: the function answered with the URL, tenant and id of the linked environment;
* ``not_linked``: the function answered with error ``0x80048d0b`` *and* a message saying the
  instance is not integrated with finance and operations (the code alone is generic);
* ``unknown``: anything else (refused token, throttling that does not stop, timeouts, bodies that
  do not look like the documented ones). ``unknown`` is never a guess in either direction.

The bearer token is only ever put in the ``Authorization`` header. It is kept out of results,
messages, exceptions and reprs; any text that comes back from the server is scrubbed of it too.
Nothing here reads or writes files; the CLI does that. The organization URL is checked in
``url.py`` and the token found and checked in ``token.py``.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from planner.errors import InputError, json_safe, printable
from planner.live.http import (
    AllowList,
    Answer,
    HttpClient,
    HttpProblem,
    JSONTooDeep,
    StillBusy,
    host_allowed,
    is_loopback_host,
    parse_json,
    shown,
)
from planner.verify.token import (
    AZURE_EXTRA,
    DEFAULT_TOKEN_ENV,
    clean_token,
    resolve_token,
    token_from_environment,
)
from planner.verify.url import API_PATH, normalise_org_url

Status = Literal["linked", "not_linked", "unknown"]

NOT_INTEGRATED_CODE = "0x80048d0b"

EXIT_KNOWN = 0  # linked or not_linked: the answer is known
EXIT_UNKNOWN = 3  # the check could not tell

DEFAULT_MAX_WAIT = 30.0  # seconds: the longest single wait between retries

# Dataverse organizations live under these domains: the commercial cloud (crm, crm2 ... crm21,
# and GCC's crm9 are all *.crm*.dynamics.com), US Government GCC High and DoD, and the cloud
# operated by 21Vianet in China. A pattern's leading "*." stands for one or more whole labels;
# any other "*" for part of one label.
DEFAULT_ALLOWED_HOSTS: tuple[str, ...] = (
    "*.dynamics.com",
    "*.crm*.dynamics.com",
    "*.crm.microsoftdynamics.us",
    "*.crm.appsplatform.us",
    "*.crm.dynamics.cn",
)

# Keys of ``VerifyResult.to_dict()``: the JSON contract of ``capplan verify --format json``.
CONTRACT_KEYS: tuple[str, ...] = (
    "status",
    "finance_operations_url",
    "tenant_id",
    "environment_id",
    "error_code",
    "message",
)

# Columns ``verify_inventory`` adds to each inventory row.
VERIFY_COLUMNS: tuple[str, ...] = (
    "power_platform_verified",  # "linked" | "not_linked" | "unknown", or "" when not checked
    "finance_operations_url",  # the linked environment's URL, or ""
    "verify_message",  # why, in a sentence, or "" when not checked
)

# verify_message of a row whose host is not allowed (never contacted).
NOT_ALLOWED = "not checked"

_MAX_SERVER_TEXT = 300  # characters of a server-provided message we repeat


@dataclass(frozen=True)
class VerifyResult:
    """What the integration check found. Holds no credentials."""

    status: Status
    finance_operations_url: str | None = None
    tenant_id: str | None = None
    environment_id: str | None = None
    error_code: str | None = None
    message: str | None = None
    http_status: int | None = None

    @property
    def known(self) -> bool:
        return self.status != "unknown"

    def to_dict(self, *, include_http_status: bool = False) -> dict[str, Any]:
        """The contract keys, in contract order (plus ``http_status`` when asked)."""
        data: dict[str, Any] = {key: getattr(self, key) for key in CONTRACT_KEYS}
        if include_http_status:
            data["http_status"] = self.http_status
        return data


def _scrub(text: str, token: str) -> str:
    """Server or exception text as it may be shown: token removed, printable, one line."""
    return shown(text, token, limit=10 * _MAX_SERVER_TEXT)


# --------------------------------------------------------------------------------------------
# Reading answers


def _lookup(mapping: Mapping[str, Any], key: str) -> Any:
    """mapping[key], falling back to a case-insensitive match; None when absent."""
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for name, value in mapping.items():
        if isinstance(name, str) and name.lower() == lowered:
            return value
    return None


def _unwrap(body: Any) -> Any:
    """Lenient OData unwrapping: {"value": {...}} or {"value": [{...}]} -> the inner object."""
    if isinstance(body, dict) and _lookup(body, "Url") is None:
        inner = _lookup(body, "value")
        if isinstance(inner, list) and len(inner) == 1:
            inner = inner[0]
        if isinstance(inner, dict):
            return inner
    return body


def _short(text: str) -> str:
    return shown(text, limit=_MAX_SERVER_TEXT)


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


def normalise_message(message: str) -> str:
    """Lower case, straight apostrophes, single spaces, no trailing period."""
    text = " ".join(message.translate(_QUOTES).lower().split())
    return text.rstrip(" .!")


_NOT_INTEGRATED = re.compile(r"(?:\bnot|n't)\s+(?:yet\s+)?integrated\b")
_FINANCE_OPERATIONS = re.compile(r"\bfinance\s+(?:and|&)\s+operations\b")


def is_not_integrated_message(message: str) -> bool:
    """Does the message say the instance is not integrated with finance and operations?"""
    text = normalise_message(message)
    return bool(_NOT_INTEGRATED.search(text) and _FINANCE_OPERATIONS.search(text))


def _error_detail(body: Any) -> tuple[str | None, str | None]:
    """(code, message) of a Dataverse/OData error body, or (None, None)."""
    if not isinstance(body, dict):
        return None, None
    error = _lookup(body, "error")
    if not isinstance(error, dict):
        return None, None
    code = _lookup(error, "code")
    message = _lookup(error, "message")
    if isinstance(message, dict):  # old OData v3 shape: {"message": {"value": "..."}}
        message = _lookup(message, "value")
    code_text = (
        _short(str(code)) if isinstance(code, str | int) and not isinstance(code, bool) else None
    )
    code_text = code_text or None
    message_text = message.strip() if isinstance(message, str) and message.strip() else None
    return code_text, message_text


def _json_body(response: httpx.Response | Answer) -> Any:
    try:
        return parse_json(response.content)  # bytes: UTF-8/16/32 and a BOM are detected
    except JSONTooDeep:
        return _TOO_DEEP
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


_NOT_JSON = object()
_TOO_DEEP = object()


def _interpret_success(response: httpx.Response | Answer, token: str) -> VerifyResult:
    status = response.status_code
    body = _unwrap(_json_body(response))
    if body is _NOT_JSON or body is _TOO_DEEP or not isinstance(body, dict):
        what = (
            "is not JSON"
            if body is _NOT_JSON
            else "is JSON nested too deeply to read"
            if body is _TOO_DEEP
            else "is not a JSON object"
        )
        return VerifyResult(
            "unknown",
            message=f"the server answered HTTP {status} but the body {what}",
            http_status=status,
        )
    fields: dict[str, str] = {}
    missing: list[str] = []
    for key in ("Url", "TenantId", "Id"):
        value = _lookup(body, key)
        if isinstance(value, str) and value.strip():
            fields[key] = _scrub(value.strip(), token)
        else:
            missing.append(key)
    if missing:
        code, message = _error_detail(body)
        code = _scrub(code, token) if code else None
        detail = f"; server said {code}: {_short(_scrub(message or '', token))}" if code else ""
        return VerifyResult(
            "unknown",
            error_code=code,
            message=f"the server answered HTTP {status} without "
            f"{' / '.join(missing)} in the body{detail}",
            http_status=status,
        )
    return VerifyResult(
        "linked",
        finance_operations_url=fields["Url"],
        tenant_id=fields["TenantId"],
        environment_id=fields["Id"],
        message=f"linked to the finance and operations environment {fields['Url']}",
        http_status=status,
    )


def _interpret_error(response: httpx.Response | Answer, token: str) -> VerifyResult:
    status = response.status_code
    body = _json_body(response)
    code, server_message = _error_detail(body)
    code = _scrub(code, token) if code else None
    said = _short(_scrub(server_message, token)) if server_message else None
    if status in (401, 403):
        reason = "not valid or expired" if status == 401 else "not allowed to call this function"
        return VerifyResult(
            "unknown",
            error_code=code,
            message=f"the token was refused (HTTP {status}: {reason})",
            http_status=status,
        )
    if code is None:
        shape = "no JSON body" if body in (_NOT_JSON, _TOO_DEEP) else "no error code in the body"
        return VerifyResult(
            "unknown", message=f"the server answered HTTP {status} with {shape}", http_status=status
        )
    if code.lower() == NOT_INTEGRATED_CODE and said and is_not_integrated_message(said):
        return VerifyResult(
            "not_linked",
            error_code=code,
            message="the Dataverse environment is not linked to a finance and operations "
            f"environment (server said: {said})",
            http_status=status,
        )
    return VerifyResult(
        "unknown",
        error_code=code,
        message=f"the server answered HTTP {status} with error {code}"
        + (f": {said}" if said else " and no message"),
        http_status=status,
    )


def interpret_response(response: httpx.Response | Answer, token: str = "") -> VerifyResult:
    """Turn one (final) answer of the function into a result."""
    status = response.status_code
    if status == 200:
        return _interpret_success(response, token)
    if 300 <= status < 400:
        where = response.headers.get("Location")
        target = f" to {_short(_scrub(where, token))}" if where else ""
        return VerifyResult(
            "unknown",
            message=f"the server redirected (HTTP {status}){target}; check the organization URL",
            http_status=status,
        )
    if status < 400:
        return VerifyResult(
            "unknown", message=f"unexpected answer HTTP {status}", http_status=status
        )
    return _interpret_error(response, token)


# --------------------------------------------------------------------------------------------
# The check


def check_integration(
    org_url: str,
    token: str,
    *,
    timeout: float = 10.0,
    max_retries: int = 3,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_wait: float = DEFAULT_MAX_WAIT,
) -> VerifyResult:
    """Ask Dataverse whether ``org_url`` is linked to a finance and operations environment.

    Raises :class:`InputError` for a malformed URL, plain http to a non-loopback host or an
    unusable token (before any network call). Every other failure is a result with status
    ``unknown`` and a message. ``timeout`` is the budget of the whole check: connecting, every
    read and the waits between retries. 429 and 503 are retried up to ``max_retries`` times,
    waiting as Retry-After says (each wait capped at ``max_wait`` seconds) while the budget
    allows. Answers are read under planner.live.http's caps; a redirect is not followed.
    """
    base = normalise_org_url(org_url)
    bearer = clean_token(token)
    if max_retries < 0:
        raise ValueError("max_retries must be >= 0")
    headers = {"OData-MaxVersion": "4.0", "OData-Version": "4.0"}
    host = urlsplit(base).hostname or ""
    with HttpClient(
        AllowList.of(base_urls=[base]),  # the URL typed is the host the token is meant for
        budget=timeout,
        max_retries=max_retries,
        max_wait=max_wait,
        # Environment proxies are for the outside world; a loopback target is reached directly.
        trust_env=not is_loopback_host(host),
        session=client,
        sleep=sleep,
    ) as http:
        try:
            answer = http.send(base + API_PATH, bearer, headers)
        except StillBusy as busy:
            message = f"the service is {busy}"
            return VerifyResult("unknown", message=message, http_status=busy.status)
        except HttpProblem as problem:
            return VerifyResult("unknown", message=str(problem), http_status=problem.status)
    return interpret_response(answer, bearer)


# --------------------------------------------------------------------------------------------
# Inventories


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def check_allowed(org_url: str, allowed_hosts: Sequence[str]) -> None:
    """Refuse (:class:`InputError`) an organization URL whose host ``allowed_hosts`` does not
    allow, before a token is asked for; a loopback address never leaves the machine."""
    base = normalise_org_url(org_url)
    host = urlsplit(base).hostname or ""
    if not is_loopback_host(host) and not host_allowed(host, allowed_hosts):
        raise InputError(
            f"--url names {printable(host, 100)}, which is not an allowed host: the token is "
            "sent only to the Dataverse domains, or to the hosts --allow-host names",
            expected="--url https://<org>.crm.dynamics.com, or --allow-host naming this host",
        )


def verify_inventory(
    inventory_rows: Iterable[Mapping[str, Any]],
    token_for: Callable[[str], str],
    *,
    check: Callable[..., VerifyResult] = check_integration,
    file: str | None = None,
    allowed_hosts: Sequence[str] = DEFAULT_ALLOWED_HOSTS,
    **check_options: Any,
) -> list[dict[str, Any]]:
    """Check every row with an ``org_url`` and return copies carrying :data:`VERIFY_COLUMNS`.

    Rows keep their order; rows with a blank ``org_url`` are not checked and get empty
    verification columns. A row whose host matches none of ``allowed_hosts`` is never contacted
    and no token is asked for it: it gets an empty status and a ``verify_message`` saying why
    (:data:`NOT_ALLOWED`). ``token_for(org_url)`` gives the token for a (normalised) URL; each
    distinct URL is checked once. ``check_options`` go to ``check`` (timeout, client, sleep...).
    A bad URL raises :class:`InputError` naming the row (its ``source``/``location`` when it has
    them) and the ``org_url`` column. Pure: no file I/O.
    """
    results: dict[str, VerifyResult] = {}
    out: list[dict[str, Any]] = []
    allowed = AllowList(tuple(allowed_hosts))
    for index, row in enumerate(inventory_rows):
        record = dict(row)
        raw = record.get("org_url")
        if _blank(raw):
            record.update({column: "" for column in VERIFY_COLUMNS})
            out.append(record)
            continue
        try:
            base = normalise_org_url(str(raw))
        except InputError as exc:
            location = record.get("location")
            where = str(location) if not _blank(location) else f"row {index + 1}"
            source = record.get("source")
            raise InputError(
                exc.message,
                file=file or (str(source) if not _blank(source) else None),
                location=f"{where}, column org_url",
                expected=exc.expected,
            ) from None
        host = urlsplit(base).hostname or ""
        if not allowed.allows(base):
            record.update({column: "" for column in VERIFY_COLUMNS})
            record["verify_message"] = (
                f"{NOT_ALLOWED}: {host} is not an allowed host (the token goes only to "
                "hosts named with --allow-host)"
            )
            out.append(record)
            continue
        if base not in results:
            results[base] = check(base, token_for(base), **check_options)
        result = results[base]
        record["power_platform_verified"] = result.status
        record["finance_operations_url"] = result.finance_operations_url or ""
        record["verify_message"] = result.message or ""
        out.append(record)
    return out


# --------------------------------------------------------------------------------------------
# Output


def exit_status(result: VerifyResult) -> int:
    """0 when the answer is known (linked or not_linked), 3 when unknown."""
    return EXIT_KNOWN if result.known else EXIT_UNKNOWN


def render_json(result: VerifyResult) -> str:
    """The contract JSON object, indented, with a trailing newline."""
    return json_safe(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")


_STATUS_TEXT: dict[str, str] = {
    "linked": "linked",
    "not_linked": "not linked",
    "unknown": "unknown (could not tell)",
}


def render_table(result: VerifyResult) -> str:
    """A few aligned lines for a person; blank fields show as a dash."""
    rows = [
        ("Status", _STATUS_TEXT.get(result.status, result.status)),
        ("Finance and operations URL", result.finance_operations_url),
        ("Tenant id", result.tenant_id),
        ("Environment id", result.environment_id),
        ("Error code", result.error_code),
        ("HTTP status", None if result.http_status is None else str(result.http_status)),
        ("Message", result.message),
    ]
    width = max(len(label) for label, _ in rows)
    return "".join(f"{label.ljust(width)}  {value or '-'}\n" for label, value in rows)


__all__ = [
    "API_PATH",
    "AZURE_EXTRA",
    "CONTRACT_KEYS",
    "DEFAULT_ALLOWED_HOSTS",
    "DEFAULT_MAX_WAIT",
    "DEFAULT_TOKEN_ENV",
    "EXIT_KNOWN",
    "EXIT_UNKNOWN",
    "NOT_ALLOWED",
    "NOT_INTEGRATED_CODE",
    "VERIFY_COLUMNS",
    "Status",
    "VerifyResult",
    "check_allowed",
    "check_integration",
    "exit_status",
    "interpret_response",
    "is_not_integrated_message",
    "normalise_message",
    "normalise_org_url",
    "render_json",
    "render_table",
    "resolve_token",
    "token_from_environment",
    "verify_inventory",
]
