"""Reaching Microsoft's APIs: ``collect`` reads the tenant, and ``http`` is the one client that
carries a bearer token, used here and by ``planner.verify``.

The default base URLs and hosts live here, where the command line can read them without
importing an HTTP library.
"""

DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
DEFAULT_BAP_URL = "https://api.bap.microsoft.com"
DEFAULT_POWERPLATFORM_URL = "https://api.powerplatform.com"
# Where collect's tokens may go unless --allow-host says otherwise: the hosts of the three
# default URLs. A base URL given on the command line is allowed as well, its origin exactly.
DEFAULT_ALLOWED_HOSTS: tuple[str, ...] = (
    "graph.microsoft.com",
    "api.bap.microsoft.com",
    "api.powerplatform.com",
)
