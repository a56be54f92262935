"""Live checks against Dataverse: is an environment linked to finance and operations?"""
