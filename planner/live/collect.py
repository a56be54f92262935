"""``capplan collect``: read the tenant's three answers live and keep them as a dated snapshot.

Three read-only GETs, each with the permission it needs (docs/microsoft-figures.md):

- Microsoft Graph ``/v1.0/subscribedSkus``: the licenses;
- the Power Platform admin API environment list with capacity;
- the Power Platform API tenant capacity: Microsoft's own figures.

The answers are checked (each must read as the input it is) and written to ``OUT/YYYY-MM-DD/``
with a ``manifest.json`` (when, which endpoints, item counts, pages, sha256) in a staging folder
that is renamed into place only when complete: a half-collected snapshot never appears.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from planner import __version__
from planner.errors import InputError, json_safe, printable
from planner.ingest.folders import MANIFEST
from planner.ingest.source import DEFAULT_MAX_BYTES
from planner.live import (
    DEFAULT_ALLOWED_HOSTS,
    DEFAULT_BAP_URL,
    DEFAULT_GRAPH_URL,
    DEFAULT_POWERPLATFORM_URL,
)
from planner.live.http import (
    AllowList,
    HttpClient,
    HttpProblem,
    JsonAnswer,
    NotAllowed,
    check_base_url,
    check_host_patterns,
    is_loopback_host,
)
from planner.live.signin import quiet_azure_logging, sign_in_failure
from planner.model.limits import process_alive

BAP_SCOPE = "https://service.powerapps.com/.default"
LIVE_EXTRA = "capplan[live]"
DEFAULT_TIMEOUT = 30.0  # seconds for one answer
DEFAULT_BUDGET = 600.0  # seconds for the whole run
DEFAULT_TOTAL_WAIT = 180.0  # seconds of waiting when the services ask to retry later
# An answer is saved as a file that capplan reads back under its input limit: a larger one
# could not be used, so it is not read either.
MAX_ANSWER_BYTES = DEFAULT_MAX_BYTES


class ServiceError(InputError):
    """The service gave no usable answer (an outage, throttling that did not stop, a body that
    is not the documented one): nothing the user's options can fix; ``collect`` exits 3."""


@dataclass(frozen=True)
class Endpoint:
    api: str  # graph | bap | powerplatform: the option and token suffix that belong to it
    title: str
    file: str
    path: str
    items_key: str
    permission: str


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "graph",
        "Microsoft Graph subscribedSkus",
        "subscribedSkus.json",
        "/v1.0/subscribedSkus",
        "value",
        "the Microsoft Graph permission LicenseAssignment.Read.All (or Organization.Read.All), "
        "granted to the app or held by the signed-in user",
    ),
    Endpoint(
        "bap",
        "Power Platform admin environment list",
        "environments.json",
        "/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments"
        "?api-version=2021-04-01&$expand=properties.capacity",
        "value",
        "the Power Platform administrator (or Dynamics 365 administrator) role",
    ),
    Endpoint(
        "powerplatform",
        "Power Platform tenant capacity",
        "tenantCapacity.json",
        "/licensing/tenantCapacity?api-version=2024-10-01",
        "tenantCapacities",
        "the Power Platform API permission Licensing.TenantCapacity.Read (for an app) or the "
        "Power Platform administrator role (for a user)",
    ),
)

# Gives a bearer token for (api, scope).
TokenSource = Callable[[str, str], str]


@dataclass(frozen=True)
class BaseUrls:
    graph: str = DEFAULT_GRAPH_URL
    bap: str = DEFAULT_BAP_URL
    powerplatform: str = DEFAULT_POWERPLATFORM_URL
    # The admin API's token audience: the PowerApps service of the cloud (--bap-scope).
    bap_scope: str = BAP_SCOPE

    def checked(self) -> BaseUrls:
        values = {}
        for api in ("graph", "bap", "powerplatform"):
            try:
                values[api] = check_base_url(getattr(self, api), f"--{api}-url")
            except ValueError as error:
                raise InputError(
                    str(error),
                    expected="an https URL (plain http only to localhost or 127.0.0.1)",
                ) from None
        scope = self.bap_scope.strip()
        try:
            parts = urlsplit(scope)
            hostless = not parts.hostname
        except ValueError:  # a malformed address, such as an unclosed '['
            hostless = True
        if hostless or parts.scheme != "https" or any(c.isspace() for c in scope):
            raise InputError(
                f"--bap-scope '{printable(self.bap_scope, 200)}' is not a token scope",
                expected="an https scope such as https://service.powerapps.com/.default",
            )
        return BaseUrls(**values, bap_scope=scope)

    def all(self) -> tuple[str, str, str]:
        return (self.graph, self.bap, self.powerplatform)

    def scope(self, api: str) -> str:
        """The token audience of an API: its host (Graph and the Power Platform API); the
        admin API's tokens are issued for the PowerApps service."""
        if api == "bap":
            return self.bap_scope
        parts = urlsplit(getattr(self, api))
        return f"{parts.scheme}://{parts.netloc}/.default"


@dataclass(frozen=True)
class Collected:
    folder: Path
    manifest: dict[str, Any]


def tokens_from_environment(name: str, environ: Mapping[str, str] | None = None) -> TokenSource:
    """Tokens minted elsewhere: ``NAME_GRAPH``, ``NAME_BAP`` or ``NAME_POWERPLATFORM`` for one API,
    else ``NAME`` for all three."""
    variables = os.environ if environ is None else environ

    def token(api: str, scope: str) -> str:
        for variable in (f"{name}_{api.upper()}", name):
            value = variables.get(variable, "").strip()
            if value:
                return _clean(value.removeprefix("Bearer ").strip(), variable)
        raise InputError(
            f"no bearer token: neither {name}_{api.upper()} nor {name} is set",
            expected=f"{name} set to an access token for {scope}, or no --token-env to sign in "
            "with Azure Identity",
        )

    return token


def tokens_from_azure(
    device_code: bool = False,
    say: Callable[[str], None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> TokenSource:
    """Tokens from Azure Identity (the ``live`` extra): DefaultAzureCredential, or a device code
    sign-in for an admin at a terminal, whose instructions go to ``say`` (the terminal's error
    stream: standard output carries what collect wrote). The library is imported only here."""
    try:
        from azure.identity import (  # type: ignore[import-not-found]
            DefaultAzureCredential,
            DeviceCodeCredential,
        )
    except ImportError:
        raise InputError(
            "signing in needs Azure Identity, which is not installed",
            expected=f"pip install '{LIVE_EXTRA}', or --token-env NAME with a token minted "
            "elsewhere",
        ) from None
    variables = os.environ if environ is None else environ
    tell = say or (lambda line: print(line, file=sys.stderr, flush=True))
    quiet_azure_logging()
    credential: Any
    if device_code:

        def prompt(uri: str, code: str, expires: dt.datetime) -> None:
            tell(
                f"To sign in, open {uri} in a browser and enter the code {code} "
                f"(valid until {expires.astimezone(dt.UTC):%H:%M} UTC)."
            )

        # A guest admin signs in to the customer's tenant, named as DefaultAzureCredential's
        # browser sign-in takes it; else the account's own ("organizations").
        tenant = variables.get("AZURE_TENANT_ID", "").strip() or None
        credential = DeviceCodeCredential(tenant_id=tenant, prompt_callback=prompt)
    else:
        credential = DefaultAzureCredential()

    def token(api: str, scope: str) -> str:
        try:
            return str(credential.get_token(scope).token)
        except Exception as error:  # any sign-in failure is one clear line
            reason = sign_in_failure(error, credential, variables)
            raise InputError(
                f"Azure Identity could not get a token for {scope}: {reason}",
                expected="az login, a managed identity, AZURE_CLIENT_ID with AZURE_TENANT_ID and "
                "AZURE_CLIENT_SECRET, or --device-code",
            ) from None

    return token


def _clean(token: str, variable: str) -> str:
    if any(ch.isspace() or ord(ch) < 33 or ord(ch) > 126 for ch in token):
        raise InputError(
            f"the token in {variable} holds spaces, control or non-ASCII characters",
            expected="an access token on one line, without quotes",
        )
    return token


def live_client(
    urls: BaseUrls,
    allow_hosts: tuple[str, ...] = (),
    *,
    timeout: float = DEFAULT_TIMEOUT,
    total_wait: float = DEFAULT_TOTAL_WAIT,
    debug: Callable[[str], None] | None = None,
) -> HttpClient:
    """The client of a collect run. The tokens go to hosts matching ``allow_hosts`` (default:
    the hosts of Microsoft's three APIs) and to exactly the origins of ``urls``; a next-page
    link or redirect anywhere else is refused before anything is sent."""
    patterns = check_host_patterns(allow_hosts) if allow_hosts else DEFAULT_ALLOWED_HOSTS
    loopback = any(is_loopback_host(urlsplit(url).hostname or "") for url in urls.all())
    return HttpClient(
        AllowList.of(patterns, urls.all()),
        budget=DEFAULT_BUDGET,
        timeout=timeout,
        total_wait=total_wait,
        max_bytes=MAX_ANSWER_BYTES,
        follow_redirects=True,
        # Environment proxies are for the outside world; a loopback target is reached directly.
        trust_env=not loopback,
        debug=debug,
    )


def collect(
    out: Path,
    tokens: TokenSource,
    urls: BaseUrls = BaseUrls(),
    *,
    client: HttpClient | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Collected:
    """Read the three answers and write ``out/YYYY-MM-DD/``; InputError when anything fails
    (nothing is written then)."""
    urls = urls.checked()
    started = now()
    target = out / started.date().isoformat()
    if target.exists():
        raise InputError(
            "a snapshot of this day already exists",
            file=str(target),
            expected="another --out folder, or the existing snapshot moved away",
        )
    own = client is None
    client = client or live_client(urls)
    try:
        answers = [(endpoint, _fetch(client, tokens, urls, endpoint)) for endpoint in ENDPOINTS]
    finally:
        if own:
            client.close()
    # A server that echoes the token into its answer does not get it written to disk.
    return _write(out, target, answers, urls, started, client.scrub)


def endpoint_url(urls: BaseUrls, endpoint: Endpoint) -> str:
    base = getattr(urls, endpoint.api)
    if endpoint.api == "graph" and base.rsplit("/", 1)[-1] in ("v1.0", "beta"):
        # A Graph base URL given with its version keeps it.
        return base + endpoint.path.removeprefix("/v1.0")
    return base + endpoint.path


def _fetch(
    client: HttpClient, tokens: TokenSource, urls: BaseUrls, endpoint: Endpoint
) -> JsonAnswer:
    url = endpoint_url(urls, endpoint)
    token = tokens(endpoint.api, urls.scope(endpoint.api))
    items_key = None if endpoint.api == "powerplatform" else endpoint.items_key
    try:
        return client.get_json(url, token, items_key)
    except NotAllowed as refused:
        # The answer points the token somewhere the user has not allowed: the user decides.
        raise InputError(
            f"{endpoint.title}: {refused}",
            expected="--allow-host HOST when that host is one of Microsoft's; else do not trust "
            "this answer",
        ) from None
    except HttpProblem as problem:
        if problem.status in (401, 403):
            refused = "refused the token" if problem.status == 401 else "refused the request"
            raise InputError(
                f"{endpoint.title} {refused} (HTTP {problem.status}): the identity lacks "
                f"{endpoint.permission}",
                expected=f"an identity with {endpoint.permission}",
            ) from None
        raise ServiceError(
            f"{endpoint.title}: {problem}", expected="a successful answer; try again later"
        ) from None


# A snapshot being written: '.<date>.<process number>-<random>.partial' in the --out folder.
PARTIAL_SUFFIX = ".partial"
_PARTIAL = re.compile(r"\.[0-9]{4}-[0-9]{2}-[0-9]{2}\.([0-9]+)-[^/]*" + re.escape(PARTIAL_SUFFIX))


def _clear_partials(out: Path) -> None:
    """Remove the snapshot folders that runs killed while writing them left in ``out`` (their
    process is gone); those of runs still at work are left alone."""
    try:
        entries = list(out.iterdir())
    except OSError:
        return
    for entry in entries:
        found = _PARTIAL.fullmatch(entry.name)
        pid = int(found.group(1)) if found else os.getpid()
        if pid != os.getpid() and not process_alive(pid) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _write(
    out: Path,
    target: Path,
    answers: list[tuple[Endpoint, JsonAnswer]],
    urls: BaseUrls,
    started: dt.datetime,
    scrub: Callable[[str], str] = lambda text: text,
) -> Collected:
    out.mkdir(parents=True, exist_ok=True)
    _clear_partials(out)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}-", suffix=PARTIAL_SUFFIX, dir=out)
    )
    try:
        entries = []
        for endpoint, answer in answers:
            # The answer as it came, but without the tokens (whole or in parts) and with the
            # characters a terminal acts on as JSON escapes (the same JSON value).
            text = json.dumps(answer.document, indent=2, ensure_ascii=False) + "\n"
            data = json_safe(scrub(text)).encode()
            _write_file(staging / endpoint.file, data)
            document = answer.document if isinstance(answer.document, dict) else {}
            items = document.get(endpoint.items_key)
            entries.append(
                {
                    "file": endpoint.file,
                    "api": endpoint.api,
                    "endpoint": answer.url,
                    "count": len(items) if isinstance(items, list) else None,
                    "pages": answer.pages,
                    "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
        _check_readable(staging, [endpoint for endpoint, _ in answers])
        manifest = {
            "schema_version": 1,
            "generator": f"capplan {__version__}",
            "collected_at": started.isoformat(timespec="seconds"),
            "date": target.name,
            "base_urls": {
                "graph": urls.graph,
                "bap": urls.bap,
                "powerplatform": urls.powerplatform,
            },
            "files": entries,
        }
        _write_file(staging / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
        try:
            os.rename(staging, target)  # atomic; fails rather than merging into a folder
        except OSError:
            raise InputError(
                "a snapshot of this day appeared while collecting",
                file=str(target),
                expected="one collect per folder and day",
            ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Collected(target, manifest)


def _write_file(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _check_readable(staging: Path, endpoints: list[Endpoint]) -> None:
    """Each answer must read as the input it is, or the snapshot would be useless later."""
    from planner.ingest import load_inputs

    for endpoint in endpoints:
        path = staging / endpoint.file
        try:
            # capplan wrote the file from an answer it parsed: the size limit on input files
            # guards against hostile ones, and the admin list of a tenant of 25,000 environments
            # or more is over the default.
            load_inputs([path], max_bytes=max(DEFAULT_MAX_BYTES, path.stat().st_size))
        except InputError as error:
            where = f" at {error.location}" if error.location else ""
            raise ServiceError(
                f"{endpoint.title} answered with something capplan cannot read{where}: "
                f"{error.message}",
                expected="the API's documented answer",
            ) from None


def next_commands(collected: Collected, out: Path) -> list[str]:
    folder = str(collected.folder)
    largest = max((entry["bytes"] for entry in collected.manifest["files"]), default=0)
    # A file over the default input size limit needs a higher one to be read.
    limit = f" --max-input-mb {-(-largest // 2**20)}" if largest > DEFAULT_MAX_BYTES else ""
    return [
        f"capplan forecast {folder}/{limit}",
        f"capplan reconcile {folder}/{limit}",
        f"capplan forecast {folder}/ --history {out}{limit}",
    ]
