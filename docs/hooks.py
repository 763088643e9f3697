"""MkDocs hooks: the reference pages made from the code itself at build time.

A page holds a marker (an HTML comment) where generated Markdown goes:
``<!-- caseflow:cli -->`` (every command, from the click group) and ``<!-- caseflow:public-api -->``
(every name of ``caseflow.__all__``, rendered by mkdocstrings from its home module) and
``<!-- caseflow:config -->`` (every setting of caseflow.yaml, from the schema it is checked against)
and ``<!-- caseflow:checks -->`` (every built-in check with its declared parameters) and
``<!-- caseflow:report-variables -->`` (every variable a report template receives).
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


def config_markdown() -> str:
    """One row per setting of caseflow.yaml: its key (dotted; ``[]`` for a list's items), what it
    is, and what it takes, from ``CONFIG_SCHEMA`` itself."""
    from caseflow.core.config import CONFIG_SCHEMA

    rows = ["| setting | what it is | takes |", "| --- | --- | --- |"]

    def takes(schema: dict[str, Any]) -> str:
        if "const" in schema:
            return f"`{schema['const']}`"
        if "enum" in schema:
            return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
        kind = schema.get("type", "")
        if kind == "array" and isinstance(schema.get("items"), dict) and "enum" in schema["items"]:
            return "a list of " + ", ".join(f"`{v}`" for v in schema["items"]["enum"])
        bounds = [f"{word} {schema[key]}" for key, word in (("minimum", "from"), ("maximum", "to")) if key in schema]
        return " ".join([f"{kind}" if kind else "a mapping", *bounds]).strip()

    def walk(schema: dict[str, Any], path: str) -> None:
        for key, sub in schema.get("properties", {}).items():
            name = f"{path}.{key}" if path else key
            rows.append(f"| `{name}` | {sub.get('title', '')} | {takes(sub)} |")
            walk(sub, name)
            items = sub.get("items")
            if isinstance(items, dict) and "properties" in items:
                walk(items, f"{name}[]")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra.get("title"):
            rows.append(f"| `{path}.<name>` | {extra['title']} | {takes(extra)} |")
            walk(extra, f"{path}.<name>")

    walk(CONFIG_SCHEMA, "")
    return "\n".join(rows) + "\n"


def checks_markdown() -> str:
    """A section per built-in check: what it tests (``Check.doc``), then its parameters as
    declared (``Check.parameters``: name, type, meaning, default or *required*)."""
    from caseflow.workflow.checks import CHECKS

    parts = []
    for check in CHECKS:
        parts.append(f"## `{check.id}`\n\n{check.doc}")
        if not check.parameters:
            parts.append("No parameters.\n")
            continue
        rows = ["| parameter | type | meaning | default |", "| --- | --- | --- | --- |"]
        for parameter in check.parameters:
            default = "*required*" if parameter.required else parameter.default or "none"
            rows.append(f"| `{parameter.name}` | {parameter.type_name} | {parameter.meaning} | {default} |")
        parts.append("\n".join(rows) + "\n")
    return "\n\n".join(parts)


def report_variables_markdown() -> str:
    """A row per variable a report's template receives, from ``TEMPLATE_VARIABLES``."""
    from caseflow.reporting.run import TEMPLATE_VARIABLES

    rows = ["| variable | what it holds |", "| --- | --- |"]
    rows += [f"| `{name}` | {meaning} |" for name, meaning in TEMPLATE_VARIABLES.items()]
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if "<!-- caseflow:cli -->" in markdown:
        from caseflow.cli.reference import markdown as cli_markdown

        markdown = markdown.replace("<!-- caseflow:cli -->", cli_markdown())
    if "<!-- caseflow:public-api -->" in markdown:
        markdown = markdown.replace("<!-- caseflow:public-api -->", public_api_markdown())
    if "<!-- caseflow:config -->" in markdown:
        markdown = markdown.replace("<!-- caseflow:config -->", config_markdown())
    if "<!-- caseflow:checks -->" in markdown:
        markdown = markdown.replace("<!-- caseflow:checks -->", checks_markdown())
    if "<!-- caseflow:report-variables -->" in markdown:
        markdown = markdown.replace("<!-- caseflow:report-variables -->", report_variables_markdown())
    return markdown
