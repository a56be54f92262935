"""Signing in through Azure Identity, the parts ``collect`` and ``verify`` share: its loggers
kept off the terminal, and its failures as one line without secrets."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from planner.live.http import shown

# Environment variables of Azure Identity that hold a secret: never repeated in a message.
SECRET_VARIABLES = ("AZURE_CLIENT_SECRET", "AZURE_PASSWORD")


def quiet_azure_logging() -> None:
    """Azure Identity and MSAL log each failure as a warning of many lines; with no handler
    anywhere Python would print it to the terminal beside capplan's own one-line message."""
    for name in ("azure", "msal"):
        logger = logging.getLogger(name)
        if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
            logger.addHandler(logging.NullHandler())


def sign_in_failure(
    error: Exception, credential: Any, environ: Mapping[str, str] | None = None
) -> str:
    """One line out of Azure Identity's message, without any secret of ``environ``'s sign-in
    variables. DefaultAzureCredential lists each credential it tried, one per tab-indented
    line: a chain cut short stopped at a real failure (a refused secret), the last one listed;
    a chain tried to the end found no identity set up at all."""
    reason = _first_line(error, credential)
    variables = os.environ if environ is None else environ
    for name in SECRET_VARIABLES:
        secret = variables.get(name, "").strip()
        if secret:
            reason = shown(reason, secret)
    return reason


def _first_line(error: Exception, credential: Any) -> str:
    lines = str(error).strip().splitlines() or [type(error).__name__]
    attempts = [line.strip() for line in lines if line.startswith("\t")]
    if not attempts:
        return shown(lines[0])
    if len(attempts) < len(getattr(credential, "credentials", ())):
        return shown(attempts[-1])
    tried = ", ".join(attempt.split(":", 1)[0] for attempt in attempts)
    return shown(f"no identity to sign in with was found (DefaultAzureCredential tried {tried})")
