# caseflow's own pytest helpers (an opt-in plugin for plugin authors too): case_repo, run_caseflow.
pytest_plugins = ["caseflow.testing"]
