"""The domain's own vocabulary: ingested inputs, planned changes, units,
months, and the limits of what capplan reads (limits.py).

Every later stage reads these types; nothing here imports a stage.
"""
