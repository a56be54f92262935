"""The bearer token of ``capplan verify``: from an environment variable, else from Azure Identity.

The token is checked for what would break a header (spaces, control or non-ASCII characters)
and is never echoed in a message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from planner.errors import InputError
from planner.live.signin import quiet_azure_logging, sign_in_failure
from planner.verify.url import normalise_org_url

DEFAULT_TOKEN_ENV = "DATAVERSE_TOKEN"
AZURE_EXTRA = "capplan[azure]"
MAX_SERVER_TEXT = 300  # characters of a credential's error message repeated


def token_from_environment(
    name: str = DEFAULT_TOKEN_ENV, *, environ: Mapping[str, str] | None = None
) -> str | None:
    """The bearer token from environment variable ``name``, or None when unset or blank."""
    value = (os.environ if environ is None else environ).get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def resolve_token(
    org_url: str,
    name: str = DEFAULT_TOKEN_ENV,
    *,
    environ: Mapping[str, str] | None = None,
    credential_factory: Callable[[], Any] | None = None,
) -> str:
    """A bearer token for ``org_url``: from variable ``name``, else from Azure Identity.

    Azure Identity (the optional extra) is used only when the variable is not set; it asks
    ``DefaultAzureCredential`` for the scope ``<org_url>/.default``. When neither gives a token,
    raises :class:`InputError` telling the user what to do.
    """
    token = token_from_environment(name, environ=environ)
    if token is not None:
        return token
    base = normalise_org_url(org_url)
    if credential_factory is None:
        try:
            from azure.identity import DefaultAzureCredential  # type: ignore[import-not-found]
        except ImportError:
            raise InputError(
                f"no bearer token: environment variable {name} is not set",
                expected=f"set {name} to a Dataverse access token, or install the extra "
                f"{AZURE_EXTRA} to sign in with Azure Identity",
            ) from None
        credential_factory = DefaultAzureCredential
    quiet_azure_logging()
    credential: Any = None
    try:
        credential = credential_factory()
        access = credential.get_token(f"{base}/.default")
        token = getattr(access, "token", None)
    except Exception as exc:  # any credential failure becomes one clear message
        reason = sign_in_failure(exc, credential, environ)
        raise InputError(
            f"no bearer token: {name} is not set and Azure Identity could not get one "
            f"({reason[:MAX_SERVER_TEXT]})",
            expected=f"set {name} to a Dataverse access token, or sign in so that Azure "
            "Identity can get one",
        ) from None
    if not isinstance(token, str) or not token.strip():
        raise InputError(
            f"no bearer token: {name} is not set and Azure Identity returned none",
            expected=f"set {name} to a Dataverse access token",
        )
    return token.strip()


def clean_token(token: str) -> str:
    if not isinstance(token, str) or not token.strip():
        raise InputError("the bearer token is empty", expected="a Dataverse access token")
    value = token.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    if not value or any(ch.isspace() or ord(ch) < 33 or ord(ch) > 126 for ch in value):
        # Never echo the token: say what is wrong with it, not what it is.
        raise InputError(
            "the bearer token contains spaces, control or non-ASCII characters",
            expected="a Dataverse access token (one line, no quotes)",
        )
    return value
