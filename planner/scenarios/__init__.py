"""What-if scenarios: read from files and flags, applied to the inputs, compared with the
baseline. Applying a scenario is a pure function from Inputs to Inputs."""
