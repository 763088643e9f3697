"""``caseflow plugin new NAME``: a plugin package to start from, whose tests pass as generated.

The package is made from the jinja2 templates in ``templates/plugin/`` (shipped in the wheel):
every file there is rendered with the plugin's names, and file and folder names that hold
``__module__`` are given the module's name. Nothing here touches a case repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from caseflow.errors import AlreadyExists, CaseflowError

TEMPLATES = Path(__file__).parent / "templates" / "plugin"
#: A plugin's name: the entry point's name and the prefix of every id it registers (``acme.intake``).
NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


class InvalidPluginName(CaseflowError):
    """A name ``caseflow plugin new`` cannot give a plugin (refused: exit 1)."""


@dataclass(frozen=True)
class PluginNames:
    """The names one plugin is known by."""

    name: str  # the entry point, and the prefix of its ids: ``acme-housing``
    distribution: str  # what pip installs: ``caseflow-acme-housing``
    module: str  # what Python imports: ``caseflow_acme_housing``

    @classmethod
    def of(cls, name: str) -> PluginNames:
        """The names of plugin ``name``; :class:`InvalidPluginName` when it is not a valid plugin name."""
        if not NAME.fullmatch(name) or name == "core" or name.startswith("caseflow"):
            raise InvalidPluginName(
                f"'{name}' is not a plugin name: lowercase letters and digits, words joined by '-', "
                "starting with a letter (not 'core' or 'caseflow...')"
            )
        distribution = f"caseflow-{name}"
        return cls(name, distribution, distribution.replace("-", "_"))


def new_plugin(name: str, target: Path | None = None) -> list[Path]:
    """Write plugin ``name``'s package into ``target`` (default: ``./caseflow-NAME``); the files written.

    Refused (:class:`AlreadyExists`) when ``target`` exists and is not an empty folder: nothing of
    someone's is ever overwritten.
    """
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    names = PluginNames.of(name)
    target = Path(names.distribution) if target is None else target
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise AlreadyExists(f"{target} already exists and is not empty: give another --dir")
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # source code and Markdown, never HTML
    )
    context = {"name": names.name, "distribution": names.distribution, "module": names.module}
    written = []
    for template in sorted(TEMPLATES.rglob("*.j2")):
        relative = template.relative_to(TEMPLATES).as_posix()
        output = target / relative.removesuffix(".j2").replace("__module__", names.module).replace("__name__", name)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(environment.get_template(relative).render(context), encoding="utf-8")
        written.append(output)
    return written
