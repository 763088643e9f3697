"""bench/sweep.py's parts that run no benchmark: sizes, the table, the plot, the repository cache.

The sweep itself is not run here (it takes many minutes); these pin what it makes from its figures,
and that a cached repository is reused only while it is what the generator builds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))  # the bench scripts import each other by name, as when run

import repo_cache  # noqa: E402
import sweep_report  # noqa: E402
from sweep_report import Cell, Sweep  # noqa: E402

from caseflow.testing import git  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_sizes_are_parsed_sorted_and_checked() -> None:
    assert sweep_report.parse_sizes("1000,10000,50000") == [1000, 10_000, 50_000]
    assert sweep_report.parse_sizes("50k, 1k,10_000") == [1000, 10_000, 50_000]
    for bad in ("", "0", "ten", "1000,1k", "-5", "1.5k"):
        with pytest.raises(ValueError):
            sweep_report.parse_sizes(bad)


def figures(*, daemon: bool = False) -> Sweep:
    """A sweep as bench/sweep.py records it, with made-up figures at 10k and 50k clients."""
    sweep = Sweep([10_000, 50_000], conditions={"date": "2026-12-06", "cores": "2", "load_start": "1.5"})
    sweep.repositories = {10_000: "10,000 clients, 87,313 documents", 50_000: "50,000 clients"}
    for size, status in ((10_000, 0.3), (50_000, 2.9)):
        sweep.put("git-status", size, Cell(seconds=status, peak_mb=46, runs=10))
        sweep.put("add-commit", size, Cell(seconds=0.43, peak_mb=49, runs=6))
    sweep.put("due-all", 10_000, Cell(seconds=0.7, ratio=2.3, peak_mb=80, runs=5))
    sweep.put("due-all", 50_000, Cell(seconds=5.8, ratio=2.0, peak_mb=250, runs=3))
    sweep.put("validate", 10_000, Cell(seconds=0.9, ratio=3.0, peak_mb=78, runs=5))
    sweep.put("validate", 50_000, Cell(seconds=4.0, ratio=1.4, peak_mb=259, runs=3))
    sweep.put("after-set", 10_000, Cell(seconds=0.93, ratio=3.1, peak_mb=80, over_warm=0.03, mb_over_warm=2))
    sweep.put("set", 10_000, Cell(seconds=0.52, ratio=1.2, peak_mb=47, runs=5))
    sweep.put("set", 50_000, Cell(seconds=2.0, ratio=1.5, peak_mb=60, runs=3))
    sweep.put("rebuild", 10_000, Cell(missing=True))
    sweep.put("rebuild", 50_000, Cell(seconds=298.2, ratio=103, peak_mb=746, largest_mb=310, runs=1))
    sweep.put("help", 10_000, Cell(failed="exit 1: boom"))
    if daemon:
        validate = sweep.cell("validate", 10_000)
        validate.daemon_seconds, validate.daemon_ratio = 0.2, 0.66
    return sweep


def row(text: str, label: str) -> list[str]:
    [line] = [line for line in text.splitlines() if line.startswith(f"| {label} |")]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_the_table_has_each_size_the_targets_and_what_is_met() -> None:
    text = sweep_report.markdown(figures(), "scale.png")
    assert "| command | × of | 10k time | 10k × | 10k MB | 50k time | 50k × | 50k MB | issue 22 target | met |" in text
    assert "daemon" not in row(text, "command")  # no resident index measured: no column for it
    assert row(text, "`due --all` warm") == [
        "`due --all` warm",
        "git status --porcelain",
        "0.700 s",
        "2.30",
        "80",
        "5.80 s",
        "2.00",
        "250",
        "10k: < 0.8 s; 50k: ≤ 1.5×, < 300 MB",
        "NO (50k: ratio)",
    ]
    assert row(text, "`validate` warm")[-1] == "yes"  # the daemon's 10k target cannot be judged: only 50k's
    assert row(text, "first `validate` after one `set`")[2:5] == ["0.930 s (+0.03 s)", "3.10", "80 (+2)"]
    assert row(text, "`set` (one field)")[-1] == "NO (50k: ratio)"
    assert row(text, "`set` (one field)")[-2] == "≥ 10k: ≤ 1.3×"
    assert row(text, "`set` (one field)")[1] == "git add + git commit"
    assert row(text, "cold `index --rebuild`")[2] == "n/a (no such command)"
    assert row(text, "cold `index --rebuild`")[5:8] == ["298 s", "103.00", "746 (largest 310)"]
    assert row(text, "cold `index --rebuild`")[-1] == "n/a"  # its target is at 10k, where it is missing
    assert row(text, "`caseflow --help`")[2] == "FAILED (exit 1: boom)"
    assert "`review` warm" not in text  # not measured: no row
    assert "- 10k: 10,000 clients, 87,313 documents" in text
    assert text.rstrip().endswith("](scale.png)")


def test_a_daemon_column_appears_once_the_resident_index_is_measured() -> None:
    text = sweep_report.markdown(figures(daemon=True), "scale.png")
    assert row(text, "command")[2:6] == ["10k time", "10k ×", "10k MB", "10k daemon"]
    assert row(text, "`validate` warm")[5] == "0.200 s (0.66×)"
    assert row(text, "`due --all` warm")[5] == "n/a"
    assert row(text, "`validate` warm")[-1] == "yes"
    slow = figures(daemon=True)
    slow.cell("validate", 10_000).daemon_seconds = 0.3
    assert row(sweep_report.markdown(slow, "scale.png"), "`validate` warm")[-1] == "NO (10k: daemon)"


def test_the_first_read_after_a_write_says_whether_the_daemon_meets_what_the_command_alone_does_not() -> None:
    sweep = figures(daemon=True)
    after = sweep.cell("after-set", 10_000)
    after.over_warm = 0.40
    assert (
        row(sweep_report.markdown(sweep, "x.png"), "first `validate` after one `set`")[-1] == "NO (10k: after a write)"
    )
    after.daemon_seconds, after.daemon_ratio, after.daemon_over_warm = 0.06, 0.2, 0.02
    assert row(sweep_report.markdown(sweep, "x.png"), "first `validate` after one `set`")[-1] == (
        "NO (10k: after a write without the daemon; met with it)"
    )
    after.over_warm = 0.04
    assert row(sweep_report.markdown(sweep, "x.png"), "first `validate` after one `set`")[-1] == "yes"


def test_the_figures_survive_the_json_they_are_kept_in() -> None:
    sweep = figures(daemon=True)
    again = Sweep.from_json(sweep.to_json())
    assert again == sweep
    assert sweep_report.markdown(again, "x.png") == sweep_report.markdown(sweep, "x.png")


def test_the_plot_is_a_png(tmp_path: Path) -> None:
    path = tmp_path / "scale.png"
    sweep_report.plot(figures(daemon=True), path)
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 20_000  # two panels with lines and a legend, not an empty canvas


def test_a_cached_repository_is_reused_only_while_it_is_what_the_generator_builds(tmp_path: Path) -> None:
    first = repo_cache.cached_repository(12, tmp_path)
    assert first.generated_seconds is not None and first.path == tmp_path / "agency-12"
    generated = git(first.path, "rev-parse", "HEAD")
    # What a run leaves behind: a commit, an untracked file, caseflow's (ignored) index folder.
    (first.path / "stray.txt").write_text("left by a run\n")
    git(first.path, "commit", "-q", "--allow-empty", "-m", "a write being measured")
    (first.path / ".caseflow").mkdir(exist_ok=True)
    (first.path / ".caseflow" / "kept").write_text("warm\n")

    again = repo_cache.cached_repository(12, tmp_path)
    assert again.generated_seconds is None  # from the cache
    assert git(again.path, "rev-parse", "HEAD") == generated
    assert not (again.path / "stray.txt").exists()
    assert (again.path / ".caseflow" / "kept").exists()

    stamp = again.path / ".git" / repo_cache.STAMP
    stamp.write_text(stamp.read_text().replace('"seed": 7', '"seed": 8'))
    rebuilt = repo_cache.cached_repository(12, tmp_path)
    assert rebuilt.generated_seconds is not None
    assert rebuilt.reason == "built with 12 clients, seed 8"
    assert git(rebuilt.path, "rev-parse", "HEAD") == generated  # the generator is deterministic
    assert not (rebuilt.path / ".caseflow").exists()


def test_the_readme_gets_the_table_only_between_its_own_markers(tmp_path: Path) -> None:
    import sections

    readme = tmp_path / "README.md"
    readme.write_text("# caseflow\n\nNo speed section here.\n")
    block = sweep_report.readme_block(figures(), "bench/scale.png")
    assert not sections.write_section(readme, "scale-sweep", block, append=False)
    assert readme.read_text() == "# caseflow\n\nNo speed section here.\n"

    readme.write_text("before\n<!-- scale-sweep:start -->\nold table\n<!-- scale-sweep:end -->\nafter\n")
    assert sections.write_section(readme, "scale-sweep", block, append=False)
    text = readme.read_text()
    assert text.startswith(
        "before\n<!-- scale-sweep:start -->\nMeasured by `bench/sweep.py` (run by `make bench`) on 2026-12-06"
    )
    assert "old table" not in text
    assert "| `due --all` warm |" in text
    assert text.endswith("](bench/scale.png)\n<!-- scale-sweep:end -->\nafter\n")


def test_a_cold_build_starts_from_what_a_fresh_clone_has(tmp_path: Path) -> None:
    import measure

    kept = tmp_path / ".caseflow"
    kept.mkdir()
    for name in measure.FRESH_CLONE_LACKS:
        (tmp_path / name).write_bytes(b"kept")
    (kept / "access-id").write_text("a1b2c3\n")  # (the clone's own: not a cache)
    document = tmp_path / "clients" / "C-4T8M2Q" / "client.yaml"
    document.parent.mkdir(parents=True)
    document.write_text("id: C-4T8M2Q\n")
    measure.as_a_fresh_clone(tmp_path)
    assert [name for name in measure.FRESH_CLONE_LACKS if (tmp_path / name).exists()] == []
    assert (
        ".caseflow/verified.bin" in measure.FRESH_CLONE_LACKS and ".caseflow/index.sqlite" in measure.FRESH_CLONE_LACKS
    )
    assert (kept / "access-id").read_text() == "a1b2c3\n" and document.read_text() == "id: C-4T8M2Q\n"


def test_the_read_after_a_write_is_compared_with_the_warm_read_of_its_own_round() -> None:
    """The machine drifts between loops: a slow round raises both reads of the round, not the difference."""
    import sweep
    from measure import Paired, Run

    def runs(*seconds: float, kib: int = 100 * 1024) -> list[Run]:
        return [Run(s, kib, 0, "", "") for s in seconds]

    # Rounds 2 and 3 ran while the machine was busy: both reads of round 2, the read after the write of
    # round 3. The median of the rounds' differences keeps the write's own cost.
    after = sweep.AfterWrite(
        Paired(runs(0.43, 0.93, 0.94, kib=110 * 1024), runs(0.3, 0.8, 0.3)), runs(0.40, 0.90, 0.40)
    )
    assert after.over_warm == pytest.approx(0.03)
    assert after.mb_over_warm == pytest.approx(10)
    # The medians of the two loops taken apart would charge the write with the machine's load.
    assert after.after.seconds - sweep.median([r.seconds for r in after.warm]) == pytest.approx(0.53)
    assert sweep.AfterWrite(Paired([], []), []).over_warm is None
