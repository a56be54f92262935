"""The engine: pure functions from Inputs and a RuleSet to entitlement, consumption, forecast,
and the growth fitted from dated snapshots."""
