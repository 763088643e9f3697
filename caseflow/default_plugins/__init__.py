"""caseflow's built-in behaviour, registered through the same hooks as any agency plugin."""
