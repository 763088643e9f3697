"""The web app (``caseflow serve``): one more face over the same services as the CLI.

A local server for one person on their own laptop: it binds 127.0.0.1, admits a browser only with
the per-launch secret printed at start (as Jupyter does), then by an HttpOnly, SameSite=Strict
session cookie; every write carries a CSRF token and is one commit by the acting person, made by
the same service call the CLI makes.

May import: starlette, jinja2 (its own templates), the session (``caseflow.repo``) and its services.
"""
