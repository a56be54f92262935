"""The domain's own vocabulary: ingested inputs, planned changes, units and months.

Every later stage reads these types; nothing here imports a stage.
"""
