pytest_plugins = ["caseflow.testing"]
