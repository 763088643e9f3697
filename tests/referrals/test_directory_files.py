"""Directory files in the repository: read by a plugin, cached by content, imported in one commit."""

from __future__ import annotations

import json
import marshal
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from caseflow import AlreadyExists, CaseflowError, Directory, DirectoryLoad, Location, PluginError, Service, hookimpl
from caseflow.referrals.directory_files import CACHE_DIR, import_directory
from caseflow.testing import git, registered_plugin


def listing(*services: tuple[str, str]) -> str:
    """A toy directory format: ``{"toy-directory": [[id, name], ...]}``."""
    return json.dumps({"toy-directory": [list(s) for s in services]})


@dataclass(eq=False)
class ToyReader:
    """Reads the toy format from a .json file or a folder's listing.json; counts its reads."""

    reads: list[str] = field(default_factory=list)

    @hookimpl
    def read_provider_directory(self, source: Path, directory_id: str) -> DirectoryLoad | None:
        file = source / "listing.json" if source.is_dir() else source
        if file.suffix != ".json" or not file.is_file():
            return None
        data = json.loads(file.read_text())
        if "toy-directory" not in data:
            return None
        if data["toy-directory"] == "broken":
            raise CaseflowError(f"{file.name}:1:18: not a list of services")
        self.reads.append(directory_id)
        services, skipped = [], []
        for row in data["toy-directory"]:
            if not row[1]:
                skipped.append(f"{file.name}: service {row[0]}: name: must not be empty")
                continue
            services.append(
                Service(row[0], directory_id, "Toy Org", row[1], ("counseling",), ("es",), (Location(1, 2),))
            )
        files = (Path("listing.json"),) if source.is_dir() else (Path(source.name),)
        return DirectoryLoad(Directory(directory_id, "Toy", tuple(services)), tuple(skipped), files)


def test_a_directory_file_is_read_once_then_comes_from_the_cache(case_repo: Callable[..., Path]) -> None:
    path = case_repo({"directories/toy.json": listing(("t1", "Talk therapy"), ("t2", ""))})
    reader = ToyReader()
    first = registered_plugin(path, reader).referrals.directory_sources()
    assert [(s.id, s.path, s.skipped, s.error) for s in first] == [
        ("toy", "directories/toy.json", ("toy.json: service t2: name: must not be empty",), None)
    ]
    assert [s.id for s in registered_plugin(path, reader).referrals.directories()[-1].services] == ["t1"]
    assert reader.reads == ["toy"]  # the second repository object read the cache
    (path / "directories/toy.json").write_text(listing(("t1", "Talk therapy"), ("t3", "Group")))
    again = registered_plugin(path, reader).referrals.directories()[-1]
    assert [s.id for s in again.services] == ["t1", "t3"] and reader.reads == ["toy", "toy"]
    assert len(list((path / CACHE_DIR).glob("toy-*.marshal"))) == 1  # the stale entry is gone


def test_a_damaged_cache_is_read_again_not_trusted(case_repo: Callable[..., Path]) -> None:
    path = case_repo({"directories/toy.json": listing(("t1", "Talk therapy"))})
    reader = ToyReader()
    registered_plugin(path, reader).referrals.directories()
    (cached,) = (path / CACHE_DIR).glob("toy-*.marshal")
    for damage in (cached.read_bytes()[:40], marshal.dumps({"directory": {"services": [1]}}), b"\x00junk"):
        cached.write_bytes(damage)
        assert [s.name for s in registered_plugin(path, reader).referrals.directories()[-1].services] == [
            "Talk therapy"
        ]
    assert reader.reads == ["toy"] * 4


def test_a_source_no_plugin_reads_is_reported_and_the_others_still_load(case_repo: Callable[..., Path]) -> None:
    path = case_repo(
        {"directories/toy.json": listing(("t1", "Talk therapy")), "directories/mystery.xml": "<directory/>"}
    )
    sources = {s.id: s for s in registered_plugin(path, ToyReader()).referrals.directory_sources()}
    assert sources["mystery"].directory is None
    assert sources["mystery"].error is not None and "no installed plugin reads" in sources["mystery"].error
    assert sources["toy"].directory is not None


def test_sources_from_caseflow_yaml_must_stay_inside_the_repository(case_repo: Callable[..., Path]) -> None:
    path = case_repo({"data/extra.json": listing(("x1", "Extra"))})
    config = (path / "caseflow.yaml").read_text()
    (path / "caseflow.yaml").write_text(config + "directories:\n  sources:\n    extra: data/extra.json\n")
    git(path, "commit", "-qam", "configure a directory")
    assert [s.id for s in registered_plugin(path, ToyReader()).referrals.directories()[-1].services] == ["x1"]
    (path / "caseflow.yaml").write_text(config + "directories:\n  sources:\n    extra: ../outside.json\n")
    with pytest.raises(CaseflowError, match="a path inside the repository"):
        registered_plugin(path, ToyReader())


def test_import_records_the_files_in_one_commit_and_refuses_a_second_import(
    case_repo: Callable[..., Path], tmp_path: Path
) -> None:
    path = case_repo()
    download = tmp_path / "Springfield 211.json"
    download.write_text(listing(("t1", "Talk therapy"), ("t2", "")))
    repo = registered_plugin(path, ToyReader())
    report = import_directory(repo, repo.actor("casey"), download)
    assert (report.id, report.path, report.services, len(report.skipped)) == (
        "springfield-211",
        "directories/springfield-211.json",
        1,
        1,
    )
    assert (path / report.path).read_bytes() == download.read_bytes()
    log = git(path, "log", "-1", "--format=%ae%n%B", "--name-status")
    assert "import provider directory springfield-211" in log and "A\tdirectories/springfield-211.json" in log
    assert "Caseflow-Directory: springfield-211 (1 services, read by" in log
    head = git(path, "rev-parse", "HEAD")
    with pytest.raises(AlreadyExists, match="--replace"):
        import_directory(repo, repo.actor("casey"), download)
    assert git(path, "rev-parse", "HEAD") == head


def test_replacing_a_folder_directory_removes_files_it_no_longer_has(
    case_repo: Callable[..., Path], tmp_path: Path
) -> None:
    path = case_repo()
    folder = tmp_path / "county"
    folder.mkdir()
    (folder / "listing.json").write_text(listing(("t1", "Talk therapy")))
    repo = registered_plugin(path, ToyReader())
    import_directory(repo, repo.actor("casey"), folder)
    git(path, "mv", "directories/county/listing.json", "directories/county/old.json")
    git(path, "commit", "-qm", "an old file")
    (path / "directories/county/listing.json").write_text(listing(("t1", "Talk therapy")))
    git(path, "add", "-A")
    git(path, "commit", "-qm", "both files")
    (folder / "listing.json").write_text(listing(("t9", "New service")))
    import_directory(repo, repo.actor("casey"), folder, replace=True)
    assert git(path, "ls-files", "directories") == "directories/county/listing.json\n"
    assert git(path, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"something": "else"}', "no installed plugin reads this directory format"),
        ('{"toy-directory": "broken"}', "listing.json:1:18: not a list of services"),
        ('{"toy-directory": [["t1", ""]]}', "no valid service to import \\(1 records skipped\\)"),
    ],
)
def test_import_refuses_what_cannot_be_read_and_writes_nothing(
    case_repo: Callable[..., Path], tmp_path: Path, content: str, message: str
) -> None:
    path = case_repo()
    (tmp_path / "listing.json").write_text(content)
    repo = registered_plugin(path, ToyReader())
    head = git(path, "rev-parse", "HEAD")
    with pytest.raises(CaseflowError, match=message):
        import_directory(repo, repo.actor("casey"), tmp_path / "listing.json")
    assert git(path, "rev-parse", "HEAD") == head and not (path / "directories").exists()


def test_a_reader_that_crashes_is_named(case_repo: Callable[..., Path], tmp_path: Path) -> None:
    class Crashing:
        @hookimpl
        def read_provider_directory(self, source: Path, directory_id: str) -> DirectoryLoad | None:
            raise KeyError("services")

    (tmp_path / "x.json").write_text("{}")
    repo = registered_plugin(case_repo(), Crashing())
    with pytest.raises(PluginError, match="raised KeyError in read_provider_directory"):
        import_directory(repo, repo.actor("casey"), tmp_path / "x.json")


def test_reimporting_the_same_files_is_up_to_date_and_commits_nothing(
    case_repo: Callable[..., Path], tmp_path: Path
) -> None:
    path = case_repo()
    (tmp_path / "county.json").write_text(listing(("t1", "Talk therapy")))
    repo = registered_plugin(path, ToyReader())
    assert import_directory(repo, repo.actor("casey"), tmp_path / "county.json").commit is not None
    head = git(path, "rev-parse", "HEAD")
    again = import_directory(repo, repo.actor("casey"), tmp_path / "county.json", replace=True)
    assert again.commit is None and git(path, "rev-parse", "HEAD") == head


def test_a_folder_replaced_by_a_file_leaves_no_folder_and_ids_stay_unique(
    case_repo: Callable[..., Path], tmp_path: Path
) -> None:
    path = case_repo()
    folder = tmp_path / "county"
    folder.mkdir()
    (folder / "listing.json").write_text(listing(("t1", "Talk therapy")))
    (tmp_path / "county.json").write_text(listing(("t2", "Group")))
    repo = registered_plugin(path, ToyReader())
    import_directory(repo, repo.actor("casey"), folder)
    import_directory(repo, repo.actor("casey"), tmp_path / "county.json", replace=True)
    assert not (path / "directories/county").exists()
    assert git(path, "ls-files", "directories") == "directories/county.json\n"
    (path / "directories/county").mkdir()
    (path / "directories/county/listing.json").write_text(listing(("t3", "Other")))
    sources = registered_plugin(path, ToyReader()).referrals.directory_sources()
    assert [(s.id, s.path, s.error is None) for s in sources] == [
        ("county", "directories/county", True),
        ("county", "directories/county.json", False),
    ]
    assert "directory id 'county' is already used by directories/county" in str(sources[1].error)


def test_a_sources_hash_is_remembered_by_stat_stamp_and_taken_again_when_the_file_changes(tmp_path: Path) -> None:
    from caseflow.referrals.directory_files import content_key

    source, stamps = tmp_path / "toy.json", tmp_path / "cache" / "stamps.marshal"
    source.write_text(listing(("t1", "Talk therapy")))
    os.utime(source, (1_700_000_000, 1_700_000_000))  # long ago: its stamp can be trusted
    first = content_key(source, "salt", stamps)
    assert first == content_key(source, "salt") and stamps.exists()
    # Trusted while the stamp holds: a remembered hash is used without reading the file.
    remembered = marshal.loads(stamps.read_bytes())
    remembered[str(source)] = (remembered[str(source)][0], "0" * 64)
    stamps.write_bytes(marshal.dumps(remembered))
    assert content_key(source, "salt", stamps) != first
    # The same size and modification time, other bytes: the change time tells, and it is hashed again.
    source.write_text(listing(("t2", "Talk therapx")))
    os.utime(source, (1_700_000_000, 1_700_000_000))
    assert content_key(source, "salt", stamps) == content_key(source, "salt") != first
    # Just written: not remembered (it may change again within the clock's granularity).
    fresh = tmp_path / "fresh.json"
    fresh.write_text(listing(("t1", "Talk therapy")))
    content_key(fresh, "salt", stamps)
    assert str(fresh) not in marshal.loads(stamps.read_bytes())
