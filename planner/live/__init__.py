"""Reading the tenant live from Microsoft's APIs: a careful HTTP client and ``collect``.

The default base URLs live here, where the command line can read them without importing an
HTTP library.
"""

DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
DEFAULT_BAP_URL = "https://api.bap.microsoft.com"
DEFAULT_POWERPLATFORM_URL = "https://api.powerplatform.com"
