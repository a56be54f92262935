"""The inventory's words for people: capacity types and environment types as an admin says
them. The JSON and the inventory keep the ids (``dataverse_database``, ``addon_sandbox``); every
human sentence, from a planned change to a report, uses these."""

from __future__ import annotations

CAPACITY_TYPE_WORDS = {
    "dataverse_database": "Dataverse database",
    "dataverse_file": "Dataverse file",
    "dataverse_log": "Dataverse log",
    "operations_database": "Operations database",
    "operations_file": "Operations file",
}
ENVIRONMENT_TYPE_WORDS = {
    "production": "Production",
    "sandbox": "Sandbox (included Tier 2)",
    "addon_sandbox": "Add-on sandbox",
    "cloud_hosted_dev": "Cloud-hosted development",
    "dataverse_production": "Dataverse production",
    "dataverse_sandbox": "Dataverse sandbox",
    "default": "Default",
    "developer": "Developer",
    "trial": "Trial",
    "teams": "Teams",
}


def capacity_type_words(capacity_type: str) -> str:
    """ "Dataverse database" for ``dataverse_database``; an unknown id as it is."""
    return CAPACITY_TYPE_WORDS.get(capacity_type, capacity_type)


def environment_type_words(environment_type: str) -> str:
    """ "Add-on sandbox" for ``addon_sandbox``; an unknown id as it is."""
    return ENVIRONMENT_TYPE_WORDS.get(environment_type, environment_type)


def pool_words(pool: str) -> str:
    """A pool id in words where no rule set is at hand to give its title: ``database`` is
    "database", ``dataverse_file`` "Dataverse file"."""
    return CAPACITY_TYPE_WORDS.get(pool, pool.replace("_", " "))
