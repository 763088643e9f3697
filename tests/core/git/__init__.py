"""Tests of caseflow.core.git, one module per module."""
