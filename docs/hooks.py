"""MkDocs hooks: the reference pages made from the code itself at build time.

A page holds a marker (an HTML comment) where generated Markdown goes:
``<!-- caseflow:cli -->`` (every command, from the click group) and ``<!-- caseflow:public-api -->``
(every name of ``caseflow.__all__``, rendered by mkdocstrings from its home module).
"""

from __future__ import annotations

from typing import Any


def public_api_markdown() -> str:
    import caseflow

    homes = dict(caseflow._HOME)
    parts = []
    for name in sorted(caseflow.__all__, key=str.lower):
        if name == "__version__":
            continue
        module = homes.get(name, "caseflow.errors")
        parts.append(f"::: {module}.{name}\n")
    return "\n".join(parts)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if "<!-- caseflow:cli -->" in markdown:
        from caseflow.cli.reference import markdown as cli_markdown

        markdown = markdown.replace("<!-- caseflow:cli -->", cli_markdown())
    if "<!-- caseflow:public-api -->" in markdown:
        markdown = markdown.replace("<!-- caseflow:public-api -->", public_api_markdown())
    return markdown
