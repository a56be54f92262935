"""A Microsoft Entra sign-in service on loopback, for ``capplan collect`` signing in with Azure
Identity exactly as shipped (no option, no authority of its own).

Azure Identity and MSAL speak only https, and to the public cloud's authority they send no
instance discovery request, so the test keeps that authority's name: the client reaches
``login.microsoftonline.com`` through a loopback CONNECT proxy (``HTTPS_PROXY``, as behind a
company proxy), which tunnels every connection to one loopback HTTPS server. That server holds a
certificate for the authority's names from a certificate authority made for the test with the
``cryptography`` package (which Azure Identity installs through MSAL); the client trusts that
authority through ``REQUESTS_CA_BUNDLE``, set for the test alone. The proxy records every
destination asked for: nothing can leave the machine unseen.

The server answers what MSAL asks, as Entra documents it: the OpenID configuration, the instance
metadata, the token endpoint (client credentials, device code, refresh token) and the device code
endpoint.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import os
import selectors
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from loopback import LoopbackServer, Reply, Seen

AUTHORITY = "login.microsoftonline.com"  # the public cloud's, Azure Identity's default
AUTHORITY_HOSTS = (AUTHORITY, "login.microsoftonline.us")  # the certificate's names
TENANT_ID = "8f5d2c4e-1b7a-4c3d-9e2f-0a6b5c4d3e2f"
CLIENT_ID = "3c1e9f0a-5d2b-4e6c-8a7f-1b2c3d4e5f60"
CLIENT_SECRET = "Q1w~s3cr3t-client-value.for_the_loopback_tests"
USER_ID = "5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170"
USER_NAME = "admin@contoso.example"
DEVICE_CODE = "DAQABAAEAAAD-loopback-device-code"
USER_CODE = "LBK7QX2RM"
VERIFICATION_URI = "https://microsoft.com/devicelogin"
REFRESH_TOKEN = "0.ARwA-loopback-refresh-token-s3cr3t"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

# Variables that choose or steer a credential, cleared so that only the test's are in force.
_IDENTITY_VARIABLE_PREFIXES = ("AZURE_", "MSI_", "IDENTITY_", "IMDS_")
_PROXY_AND_TRUST_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(claims: dict[str, object]) -> str:
    """A token shaped like Entra's (header.claims.signature); nobody here checks the signature."""
    header = _b64(json.dumps({"typ": "JWT", "alg": "RS256"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}.bG9vcGJhY2stc2lnbmF0dXJl"


def token_for(scope: str) -> str:
    """The access token this service issues for ``scope``: one per resource, always the same."""
    digest = hashlib.sha256(scope.encode()).hexdigest()[:16]
    return _jwt({"aud": scope.removesuffix("/.default"), "tid": TENANT_ID, "uti": digest})


def resource_scope(requested: str) -> str:
    """The resource's ``/.default`` scope among those MSAL asks for (it adds ``openid profile
    offline_access`` to a user's sign-in)."""
    scopes = [s for s in requested.split() if s.endswith("/.default")]
    assert len(scopes) == 1, requested
    return scopes[0]


# --------------------------------------------------------------------------------------------
# Certificates


@dataclass(frozen=True)
class Certificates:
    ca_file: Path  # the test's certificate authority, for REQUESTS_CA_BUNDLE
    server: ssl.SSLContext  # the server's certificate for AUTHORITY_HOSTS, signed by it


def make_certificates(folder: Path) -> Certificates:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    valid = (now - dt.timedelta(hours=1), now + dt.timedelta(days=1))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "capplan test authority")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(host) for host in AUTHORITY_HOSTS]
    names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, AUTHORITY)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_file = folder / "test-authority.pem"
    ca_file.write_bytes(ca.public_bytes(pem))
    chain = folder / "server.pem"
    chain.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + leaf.public_bytes(pem)
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return Certificates(ca_file, context)


# --------------------------------------------------------------------------------------------
# The sign-in service


@dataclass(frozen=True)
class Grant:
    """One token request the service answered with a token."""

    tenant: str
    grant_type: str
    scope: str  # the resource's /.default scope


@dataclass
class Entra:
    """What the sign-in service answers. ``refusal``, when set, answers every token request
    (a wrong secret, a declined sign-in); ``pending`` is how many polls of a device code are
    answered 'authorization_pending' before the user is taken as signed in."""

    refusal: Reply | None = None
    pending: int = 1
    interval: int = 1  # seconds MSAL waits between polls, as the device code answer says
    grants: list[Grant] = field(default_factory=list)
    polls: int = 0
    device_codes: list[str] = field(default_factory=list)  # the scope each was asked for
    unknown: list[str] = field(default_factory=list)

    def __call__(self, seen: Seen) -> Reply:
        host = seen.headers.get("Host", AUTHORITY).split(":")[0]
        path = urlsplit(seen.path).path
        parts = path.strip("/").split("/")
        if seen.method == "GET" and path == "/common/discovery/instance":
            return Reply(200, self._instance_metadata(host))
        if seen.method == "GET" and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return Reply(200, self._openid_configuration(host, parts[0]))
        if seen.method == "POST" and parts[1:] == ["oauth2", "v2.0", "devicecode"]:
            return self._device_code(seen.form)
        if seen.method == "POST" and parts[1:] == ["oauth2", "v2.0", "token"]:
            return self._token(parts[0], host, seen.form)
        self.unknown.append(f"{seen.method} {seen.path}")
        return Reply(404, {"error": "not_found"})

    def _openid_configuration(self, host: str, tenant: str) -> dict[str, object]:
        base = f"https://{host}/{tenant}"
        return {
            "issuer": f"https://{host}/{TENANT_ID}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "jwks_uri": f"https://{host}/{tenant}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "tenant_region_scope": "EU",
        }

    def _instance_metadata(self, host: str) -> dict[str, object]:
        return {
            "tenant_discovery_endpoint": (
                f"https://{host}/common/v2.0/.well-known/openid-configuration"
            ),
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }

    def _device_code(self, form: dict[str, str]) -> Reply:
        if form.get("client_id", "") == "":
            return _error(400, "invalid_request", "AADSTS900144: client_id is missing.")
        self.device_codes.append(resource_scope(form.get("scope", "")))
        return Reply(
            200,
            {
                "device_code": DEVICE_CODE,
                "user_code": USER_CODE,
                "verification_uri": VERIFICATION_URI,
                "expires_in": 900,
                "interval": self.interval,
                "message": f"To sign in, use a web browser to open the page {VERIFICATION_URI} "
                f"and enter the code {USER_CODE} to authenticate.",
            },
        )

    def _token(self, tenant: str, host: str, form: dict[str, str]) -> Reply:
        if self.refusal is not None:
            return self.refusal
        grant_type = form.get("grant_type", "")
        if grant_type == "client_credentials":
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return _error(401, "invalid_client", "AADSTS7000215: Invalid client secret.")
            return self._issue(tenant, host, grant_type, form, user=False)
        if grant_type == DEVICE_GRANT:
            if form.get("device_code") != DEVICE_CODE or not self.device_codes:
                return _error(400, "invalid_grant", "AADSTS70000: The device code is unknown.")
            self.polls += 1
            if self.polls <= self.pending:
                return _error(400, "authorization_pending", "AADSTS70016: Pending sign-in.")
            # The poll names no scope: the token is for the one the code was asked for.
            form = {**form, "scope": self.device_codes[-1]}
            return self._issue(tenant, host, grant_type, form, user=True)
        if grant_type == "refresh_token":
            if form.get("refresh_token") != REFRESH_TOKEN:
                return _error(400, "invalid_grant", "AADSTS9002313: Invalid refresh token.")
            return self._issue(tenant, host, grant_type, form, user=True)
        return _error(400, "unsupported_grant_type", f"AADSTS70003: {grant_type} unsupported.")

    def _issue(
        self, tenant: str, host: str, grant_type: str, form: dict[str, str], *, user: bool
    ) -> Reply:
        scope = resource_scope(form.get("scope", ""))
        self.grants.append(Grant(tenant, grant_type, scope))
        body: dict[str, object] = {
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": token_for(scope),
        }
        if user:
            now = int(time.time())
            body["scope"] = f"{scope} openid profile offline_access"
            body["refresh_token"] = REFRESH_TOKEN
            body["client_info"] = _b64(json.dumps({"uid": USER_ID, "utid": TENANT_ID}).encode())
            body["id_token"] = _jwt(
                {
                    "aud": form.get("client_id", ""),
                    "iss": f"https://{host}/{TENANT_ID}/v2.0",
                    "iat": now,
                    "nbf": now,
                    "exp": now + 3600,
                    "oid": USER_ID,
                    "sub": USER_ID,
                    "tid": TENANT_ID,
                    "preferred_username": USER_NAME,
                    "name": "Contoso Admin",
                    "ver": "2.0",
                }
            )
        return Reply(200, body)


def _error(status: int, code: str, description: str) -> Reply:
    return Reply(
        status,
        {
            "error": code,
            "error_description": f"{description}\r\nTrace ID: 0b1c\r\nCorrelation ID: 7d8e",
            "error_codes": [int(description.removeprefix("AADSTS").split(":")[0])],
        },
    )


# --------------------------------------------------------------------------------------------
# The proxy


class ConnectProxy:
    """An HTTP proxy on loopback that tunnels every CONNECT to one local port, whatever host it
    names, and hangs up on anything else (an answer such as 502 would have Azure Identity take
    the managed identity endpoint for present and retry it for half a minute); ``asked`` records
    each request line's method and target."""

    def __init__(self, target_port: int) -> None:
        self.asked: list[str] = []
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner._handle(self.request, target_port)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _handle(self, client: socket.socket, target_port: int) -> None:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        header, _, rest = head.partition(b"\r\n\r\n")
        method, target, *_ = header.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        self.asked.append(f"{method} {target}")
        if method != "CONNECT":
            return  # hung up on, unanswered: anything but a tunnel has nowhere to go
        with socket.create_connection(("127.0.0.1", target_port)) as upstream:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            _relay(client, upstream)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _relay(one: socket.socket, other: socket.socket) -> None:
    with selectors.DefaultSelector() as selector:
        selector.register(one, selectors.EVENT_READ, other)
        selector.register(other, selectors.EVENT_READ, one)
        while events := selector.select(timeout=30):  # a tunnel idle that long is closed
            for key, _ in events:
                try:
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    key.data.sendall(data)
                except OSError:
                    return


# --------------------------------------------------------------------------------------------
# Putting it together


@dataclass
class SignIn:
    entra: Entra
    server: LoopbackServer  # the sign-in service, over https
    proxy: ConnectProxy

    @property
    def destinations(self) -> list[str]:
        """Every place the client asked the proxy for: the authority's host and port only."""
        return sorted(set(self.proxy.asked))


@contextmanager
def entra_on_loopback(
    entra: Entra, folder: Path, monkeypatch: pytest.MonkeyPatch, **variables: str
) -> Iterator[SignIn]:
    """Serve ``entra`` and point this test process (only) at it: the proxy, the test's
    certificate authority and ``variables`` (such as AZURE_CLIENT_ID) are set, every other
    variable that steers Azure Identity or a proxy is cleared."""
    for name in list(os.environ):
        if name.startswith(_IDENTITY_VARIABLE_PREFIXES) or name in _PROXY_AND_TRUST_VARIABLES:
            monkeypatch.delenv(name)
    certificates = make_certificates(folder)
    server = LoopbackServer(entra, tls=certificates.server)
    proxy = ConnectProxy(server.port)
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificates.ca_file))
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        yield SignIn(entra, server, proxy)
    finally:
        proxy.close()
        server.close()
