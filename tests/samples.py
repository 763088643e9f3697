"""Fictional documents shared by several test modules."""

CLIENT = "C-7K2M9Q"
CLIENT_YAML = f"""form: core.client
id: {CLIENT}
name: Ana Example
dob: 1990-04-02
assigned_worker: casey
intake_date: 2026-01-05
stage: intake
"""
