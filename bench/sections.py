"""bench/results.md holds one section per benchmark script, each between its own markers.

Every script rewrites only its own section, so running one benchmark keeps the others' figures.
"""

from __future__ import annotations

from pathlib import Path

HEADER = "# Benchmark results\n"


def write_section(path: Path, name: str, body: str, *, append: bool = True) -> bool:
    """Put `body` between `<!-- name:start -->` and `<!-- name:end -->` in `path`, appending if absent.

    With append=False a file without the markers is left as it is (the README: only where a person put
    them). Returns whether the file was written.
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = path.read_text() if path.exists() else HEADER
    first, last = text.find(start), text.find(end)
    if 0 <= first < last:
        text = text[:first] + block + text[last + len(end) :]
    elif append:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    else:
        return False
    path.write_text(text)
    return True
